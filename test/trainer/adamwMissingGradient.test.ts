// AdamW with a parameter that has no gradient in a step (CLAM's unused instance classifiers, ACMIL's single
// branch): as torch.optim.AdamW, it is left exactly as it was (no decay, no moment update) and its bias
// correction counts only its own steps, also across a checkpoint.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { selectBackend } from '../../src/trainer/backend.js';
import { AdamW } from '../../src/trainer/adamw.js';
import { close } from '../helpers/paths.js';

/** torch's AdamW on one scalar for the given gradients (float64). */
function torchAdamW(p0: number, grads: number[], lr: number, wd: number): number {
  let p = p0;
  let m = 0;
  let v = 0;
  grads.forEach((g, i) => {
    const t = i + 1;
    p *= 1 - lr * wd;
    m = 0.9 * m + 0.1 * g;
    v = 0.999 * v + 0.001 * g * g;
    p -= (lr / (1 - 0.9 ** t)) * (m / (Math.sqrt(v) / Math.sqrt(1 - 0.999 ** t) + 1e-8));
  });
  return p;
}

test('AdamW leaves a parameter without a gradient untouched and counts its own steps', async () => {
  await selectBackend('cpu');
  const a = tf.variable(tf.tensor1d([0.5]));
  const b = tf.variable(tf.tensor1d([-0.25]));
  const params = new Map([
    ['a', a],
    ['b', b],
  ]);
  const opt = new AdamW(params, { weightDecay: 0.1 });
  opt.apply(new Map([['a', tf.tensor1d([0.3])]]), 0.01);
  assert.equal(b.dataSync()[0], Math.fround(-0.25), 'b had no gradient: not decayed, not stepped');
  const saved = await opt.state();
  assert.deepEqual([...(saved.paramSteps ?? new Map())], [
    ['a', 1],
    ['b', 0],
  ]);

  const resumed = new AdamW(params, { weightDecay: 0.1 });
  resumed.restore(saved);
  resumed.apply(
    new Map([
      ['a', tf.tensor1d([-0.2])],
      ['b', tf.tensor1d([0.7])],
    ]),
    0.01,
  );
  assert.ok(close(a.dataSync()[0] as number, torchAdamW(0.5, [0.3, -0.2], 0.01, 0.1)), 'a: two steps');
  assert.ok(close(b.dataSync()[0] as number, torchAdamW(-0.25, [0.7], 0.01, 0.1)), 'b: its first step, bias-corrected as t = 1');
  assert.equal((await resumed.state()).paramSteps?.get('b'), 1);
  assert.throws(() => resumed.apply(new Map([['c', tf.tensor1d([1])]]), 0.01), /gradient for c, which is not a parameter/);
  opt.dispose();
  resumed.dispose();
});
