// Time per training step of gated ABMIL + AEM on wasm (D = 1024 -> 512 -> 128, 2 classes) next to the
// time of that step's matMuls alone, same shapes, same run. Target: step <= 1.25x its matMuls.
import * as tf from '@tensorflow/tfjs-core';
import { selectBackend } from '../../src/trainer/backend.js';
import { GatedAbmil, initAbmilParams } from '../../src/trainer/models/abmil.js';
import { AdamW } from '../../src/trainer/adamw.js';
import { SeededRandom } from '../../src/util/seededRandom.js';
import { trainStep } from '../../src/trainer/step.js';

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] as number;
}

async function timeIt(reps: number, fn: () => unknown): Promise<number> {
  await fn(); // warm-up
  const times: number[] = [];
  for (let i = 0; i < reps; i++) {
    const t0 = performance.now();
    await fn();
    times.push(performance.now() - t0);
  }
  return median(times);
}

export async function run(args: string[]): Promise<void> {
  const backendArg = args.find((a) => a.startsWith('--backend='))?.split('=')[1] ?? 'wasm';
  const info = await selectBackend(backendArg as 'wasm');
  const sizes = args.includes('--quick') ? [2000] : [2000, 8000, 20000];
  const D = 1024;
  const shape = { inputDim: D, hiddenDim: 512, attentionDim: 128, nClasses: 2, dropout: 0 };
  console.log(`backend ${info.name} ${info.version} (${info.adapter ?? ''}); D ${D}, hidden 512, attention 128; median of 3 after a warm-up`);
  console.log('N'.padStart(6), 'step ms'.padStart(9), 'matMuls ms'.padStart(11), 'ratio'.padStart(6), 'ms per 1k inst'.padStart(15));
  const rng = SeededRandom.fromSeed(0);
  for (const N of sizes) {
    const x = tf.randomNormal([N, D], 0, 1, 'float32', 1) as tf.Tensor2D;
    const model = new GatedAbmil(shape, initAbmilParams(shape, rng));
    const opt = new AdamW(model.params, { weightDecay: 1e-5 });
    const objective = { nClasses: 2, regulariser: 'entropy' as const, lambda: 0.1 };
    const step = await timeIt(3, () => trainStep(model, opt, x, 1, objective, 2e-4));
    // The same matMuls the step runs: forward x W, h [V|U], a h; backward dPre1^T x, dPre^T h, dPre [V|U]^T, h dz^T.
    const W = tf.randomNormal([D, 512]) as tf.Tensor2D;
    const h = tf.relu(tf.matMul(x, W)) as tf.Tensor2D;
    const vu = tf.randomNormal([512, 256]) as tf.Tensor2D;
    const dPre = tf.randomNormal([N, 256]) as tf.Tensor2D;
    const dPreT = tf.transpose(dPre) as tf.Tensor2D;
    const dPre1T = tf.randomNormal([512, N]) as tf.Tensor2D;
    const vuT = tf.transpose(vu) as tf.Tensor2D;
    const aRow = tf.randomUniform([1, N]) as tf.Tensor2D;
    const dzT = tf.randomNormal([512, 1]) as tf.Tensor2D;
    const matmuls = await timeIt(3, () => {
      const outs = [tf.matMul(x, W), tf.matMul(h, vu), tf.matMul(aRow, h), tf.matMul(dPre1T, x), tf.matMul(dPreT, h), tf.matMul(dPre, vuT), tf.matMul(h, dzT)];
      for (const o of outs) o.dataSync();
      tf.dispose(outs);
    });
    console.log(String(N).padStart(6), step.toFixed(0).padStart(9), matmuls.toFixed(0).padStart(11), (step / matmuls).toFixed(2).padStart(6), ((step / N) * 1000).toFixed(1).padStart(15));
    tf.dispose([x, W, h, vu, dPre, dPreT, dPre1T, vuT, aRow, dzT]);
    opt.dispose();
    model.dispose();
  }
}
