// AdamW as torch.optim.AdamW: a parameter without a gradient in a step is left untouched (no decay) and
// its own step count, which its bias correction uses, waits; the counts survive state() / restore().
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { selectBackend } from '../../src/trainer/backend.js';
import { AdamW } from '../../src/trainer/adamw.js';

/** torch's AdamW update of one scalar parameter after `t` steps with these gradients (its own steps only). */
function torchAdamW(p: number, grads: number[], lr: number, wd: number): number {
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

test('AdamW leaves a parameter without a gradient untouched, and its step count waits', async () => {
  await selectBackend('cpu');
  const a = tf.variable(tf.tensor1d([0.5]));
  const b = tf.variable(tf.tensor1d([-0.25]));
  const params = new Map([
    ['a', a],
    ['b', b],
  ]);
  const opt = new AdamW(params, { weightDecay: 0.1 });
  opt.apply(new Map([['a', tf.tensor1d([0.3])]]), 0.01);
  assert.equal(b.dataSync()[0], -0.25, 'b had no gradient: not stepped, not decayed');
  opt.apply(new Map([['a', tf.tensor1d([-0.2])]]), 0.01);
  const state = await opt.state();
  assert.equal(state.step, 2);
  assert.deepEqual([...(state.paramSteps ?? [])], [['b', 0]]);

  // Restored into a fresh optimiser, b's first step is still its first: bias correction with t = 1.
  const restored = new AdamW(params, { weightDecay: 0.1 });
  restored.restore(state);
  restored.apply(
    new Map([
      ['a', tf.tensor1d([0.1])],
      ['b', tf.tensor1d([0.4])],
    ]),
    0.01,
  );
  assert.ok(Math.abs((a.dataSync()[0] as number) - torchAdamW(0.5, [0.3, -0.2, 0.1], 0.01, 0.1)) < 1e-6);
  assert.ok(Math.abs((b.dataSync()[0] as number) - torchAdamW(-0.25, [0.4], 0.01, 0.1)) < 1e-6);
  assert.equal((await restored.state()).paramSteps?.get('b'), 1);
  opt.dispose();
  restored.dispose();
});
