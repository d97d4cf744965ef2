// The wasm kernels the engine substitutes, against what they replace: the in-place Slice kernel
// (src/trainer/wasmSlice.ts) against tfjs-backend-wasm's own, bit for bit, on contiguous and strided
// slices of every rank and dtype; batchMatMul (one product per batch), values and gradients, against
// plain loops.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { selectBackend } from '../../src/trainer/backend.js';
import { useWasmSliceKernel } from '../../src/trainer/wasmSlice.js';
import { batchMatMul, perBatchMatMul } from '../../src/trainer/models/layers/batchMatMul.js';
import { useAutodiff } from '../../src/trainer/models/layers/autodiff.js';
import { SeededRandom } from '../../src/util/seededRandom.js';

const SLICES: { shape: number[]; begin: number[]; size: number[] }[] = [
  { shape: [10], begin: [3], size: [5] },
  { shape: [7, 5], begin: [2, 0], size: [3, 5] }, // whole rows: one run
  { shape: [7, 5], begin: [1, 2], size: [4, 2] }, // strided
  { shape: [6, 9], begin: [0, 3], size: [-1, 3] }, // size -1: to the end
  { shape: [4, 5, 6], begin: [1, 0, 0], size: [2, 5, 6] },
  { shape: [4, 5, 6], begin: [1, 2, 1], size: [3, 2, 4] },
  { shape: [3, 4, 5, 6], begin: [1, 1, 2, 0], size: [2, 2, 3, 6] },
  { shape: [2, 3, 4, 5, 3], begin: [1, 0, 1, 2, 1], size: [1, 3, 2, 3, 2] }, // rank 5: the library's generic path
  { shape: [5, 4], begin: [2, 1], size: [0, 3] }, // empty
];

function filled(shape: number[], dtype: 'float32' | 'int32' | 'bool', rng: SeededRandom): tf.Tensor {
  const size = shape.reduce((a, b) => a * b, 1);
  const values = Array.from({ length: size }, () => rng.float());
  if (dtype === 'float32') return tf.tensor(values, shape, 'float32');
  if (dtype === 'int32') return tf.tensor(values.map((v) => Math.floor(v * 1000) - 500), shape, 'int32');
  return tf.tensor(values.map((v) => v > 0.5), shape, 'bool');
}

test('the in-place wasm Slice kernel gives what the library kernel gives, bit for bit', async () => {
  await selectBackend('wasm');
  const rng = SeededRandom.fromSeed(7);
  try {
    for (const dtype of ['float32', 'int32', 'bool'] as const) {
      for (const s of SLICES) {
        const x = filled(s.shape, dtype, rng);
        useWasmSliceKernel('library');
        const expected = tf.slice(x, s.begin, s.size);
        useWasmSliceKernel('in-place');
        const actual = tf.slice(x, s.begin, s.size);
        const what = `${dtype} ${JSON.stringify(s)}`;
        assert.deepEqual(actual.shape, expected.shape, what);
        assert.equal(actual.dtype, expected.dtype, what);
        assert.deepEqual(Array.from(actual.dataSync()), Array.from(expected.dataSync()), what);
        tf.dispose([x, expected, actual]);
      }
    }
  } finally {
    useWasmSliceKernel('in-place');
  }
});

test('selectBackend("wasm") runs the in-place Slice kernel', async () => {
  await selectBackend('wasm');
  const x = tf.tensor2d([1, 2, 3, 4, 5, 6], [3, 2]);
  useWasmSliceKernel('library');
  const libraryKernel = tf.getKernel(tf.Slice, 'wasm');
  await selectBackend('wasm');
  assert.notEqual(tf.getKernel(tf.Slice, 'wasm'), libraryKernel);
  assert.deepEqual(Array.from(tf.slice(x, [1, 1], [2, 1]).dataSync()), [4, 6]);
  x.dispose();
});

/** a [B,m,k] b [B,k,n] w [B,m,n] as nested loops: sum(w * a b) and its gradients, in float64. */
function referenceProduct(a: Float32Array, b: Float32Array, w: Float32Array, [B_, m_, k_, n_]: [number, number, number, number]): { value: number[]; da: number[]; db: number[] } {
  const value = new Array<number>(B_ * m_ * n_).fill(0);
  const da = new Array<number>(B_ * m_ * k_).fill(0);
  const db = new Array<number>(B_ * k_ * n_).fill(0);
  for (let i = 0; i < B_; i++)
    for (let r = 0; r < m_; r++)
      for (let c = 0; c < n_; c++)
        for (let j = 0; j < k_; j++) {
          const av = a[(i * m_ + r) * k_ + j] as number;
          const bv = b[(i * k_ + j) * n_ + c] as number;
          const wv = w[(i * m_ + r) * n_ + c] as number;
          value[(i * m_ + r) * n_ + c] = (value[(i * m_ + r) * n_ + c] as number) + av * bv;
          da[(i * m_ + r) * k_ + j] = (da[(i * m_ + r) * k_ + j] as number) + wv * bv;
          db[(i * k_ + j) * n_ + c] = (db[(i * k_ + j) * n_ + c] as number) + av * wv;
        }
  return { value, da, db };
}

for (const [label, product, shape] of [
  ['perBatchMatMul (one product per batch)', perBatchMatMul, [3, 5, 4, 6]],
  ['batchMatMul, small (wasm BatchMatMul)', batchMatMul, [3, 5, 4, 6]],
  ['batchMatMul, large (one product per batch)', batchMatMul, [2, 40, 24, 72]],
] as const) {
  test(`${label}: values and gradients against nested loops`, async () => {
    await selectBackend('wasm');
    useAutodiff();
    const [B, m, k, n] = shape;
    const a = tf.randomNormal([B, m, k], 0, 1, 'float32', 11) as tf.Tensor3D;
    const b = tf.randomNormal([B, k, n], 0, 1, 'float32', 12) as tf.Tensor3D;
    const weights = tf.randomNormal([B, m, n], 0, 1, 'float32', 13);
    const expected = referenceProduct(a.dataSync() as Float32Array, b.dataSync() as Float32Array, weights.dataSync() as Float32Array, [B, m, k, n]);
    const close = (actual: tf.Tensor, want: number[], wantShape: number[], what: string) => {
      assert.deepEqual(actual.shape, wantShape, what);
      const got = actual.dataSync();
      assert.equal(got.length, want.length, what);
      for (let i = 0; i < want.length; i++) assert.ok(Math.abs((got[i] as number) - (want[i] as number)) <= 1e-5 * (1 + Math.abs(want[i] as number)), `${what}[${i}]: ${got[i]} vs ${want[i]}`);
    };
    close(product(a, b), expected.value, [B, m, n], 'value');
    const [da, db] = tf.grads((x: tf.Tensor, y: tf.Tensor) => tf.sum(tf.mul(product(x as tf.Tensor3D, y as tf.Tensor3D), weights)))([a, b]) as [tf.Tensor, tf.Tensor];
    close(da, expected.da, [B, m, k], 'd/da');
    close(db, expected.db, [B, k, n], 'd/db');
    assert.throws(() => product(a, tf.zeros([B + 1, k, n]) as tf.Tensor3D), new RegExp(`batches ${B} and ${B + 1} differ`));
    tf.dispose([a, b, weights, da, db]);
  });
}
