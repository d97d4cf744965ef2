// `npm run bench -- kernels`: the wasm kernels the engine replaces or routes around, each timed against
// the library's own in the same process, interleaved, median of --reps (default 15) after a warm-up.
// - Slice: tfjs-backend-wasm's copies its whole input before slicing; the engine's (src/trainer/wasmSlice.ts)
//   reads it in place. Shapes: one head of TransMIL's [heads, n', m] products, and the k third of its
//   fused q|k|v product (rows of 1,536 columns, a strided slice).
// - Batched matMul: wasm runs XNNPACK only for a batch of one; layers/batchMatMul.ts multiplies per batch.
//   Shapes: Nyström's pseudo-inverse iteration [8, 256, 256]^2 and its [8, 2048, 64] x [8, 64, 256] product,
import * as tf from '@tensorflow/tfjs-core';
import { selectBackend } from '../../src/trainer/backend.js';
import { batchMatMul } from '../../src/trainer/models/layers/batchMatMul.js';
import { useWasmSliceKernel } from '../../src/trainer/wasmSlice.js';
import { median } from './ops.bench.js';

interface Pair {
  label: string;
  library: () => void;
  ours: () => void;
}

function timeOnce(fn: () => void): number {
  const t0 = performance.now();
  tf.tidy(fn);
  return performance.now() - t0;
}

function compare(pair: Pair, reps: number): void {
  pair.library();
  pair.ours();
  const a: number[] = [];
  const b: number[] = [];
  for (let i = 0; i < reps; i++) {
    a.push(timeOnce(pair.library));
    b.push(timeOnce(pair.ours));
  }
  const [ma, mb] = [median(a), median(b)];
  console.log(pair.label.padEnd(52), ma.toFixed(2).padStart(9), mb.toFixed(2).padStart(9), (ma / mb).toFixed(1).padStart(7));
}

/** The forward value read back, so that the timing includes the work (wasm runs kernels synchronously). */
function read(t: tf.Tensor): void {
  t.dataSync();
}

export async function run(args: string[]): Promise<void> {
  const reps = Number(args.find((a) => a.startsWith('--reps='))?.split('=')[1] ?? 15);
  const info = await selectBackend('wasm');
  console.log(`backend ${info.name} ${info.version} (${info.adapter}); median of ${reps}, interleaved`);
  console.log('kernel'.padEnd(52), 'library'.padStart(9), 'engine'.padStart(9), 'ratio'.padStart(7));
  const heads = tf.randomNormal([8, 256, 256], 0, 1, 'float32', 1) as tf.Tensor3D;
  const qkv = tf.randomNormal([2048, 1536], 0, 1, 'float32', 2) as tf.Tensor2D;
  const sliceWith = (which: 'library' | 'in-place', f: () => tf.Tensor) => () => {
    useWasmSliceKernel(which);
    read(f());
  };
  const oneHead = () => tf.slice(heads, [3, 0, 0], [1, 256, 256]);
  const keyThird = () => tf.slice(qkv, [0, 512], [2048, 512]);
  compare({ label: 'Slice [8,256,256] -> [1,256,256] ms', library: sliceWith('library', oneHead), ours: sliceWith('in-place', oneHead) }, reps);
  compare({ label: 'Slice [2048,1536] -> [2048,512] (strided) ms', library: sliceWith('library', keyThird), ours: sliceWith('in-place', keyThird) }, reps);
  useWasmSliceKernel('in-place');

  const b = tf.randomNormal([8, 256, 256], 0, 1, 'float32', 3) as tf.Tensor3D;
  const q = tf.randomNormal([8, 2048, 64], 0, 1, 'float32', 4) as tf.Tensor3D;
  const k = tf.randomNormal([8, 64, 256], 0, 1, 'float32', 5) as tf.Tensor3D;
  const plain = (x: tf.Tensor3D, y: tf.Tensor3D) => tf.matMul(x, y);
  compare({ label: 'BatchMatMul [8,256,256] x [8,256,256] ms', library: () => read(plain(heads, b)), ours: () => read(batchMatMul(heads, b)) }, reps);
  compare({ label: 'BatchMatMul [8,2048,64] x [8,64,256] ms', library: () => read(plain(q, k)), ours: () => read(batchMatMul(q, k)) }, reps);
  for (const t of [heads, qkv, b, q, k]) t.dispose();
}
