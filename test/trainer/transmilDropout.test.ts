// TransMIL's dropout (the authors' 0.1 on each Nyström layer's output projection): drawn from the run's
// random source in training only, and backward's recomputation differentiates the very masks forward drew
// (a central finite difference of the masked forward against the gradient), on the weights of
// zoo2_parity.json's first TransMIL case.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { selectBackend } from '../../src/trainer/backend.js';
import type { Transmil } from '../../src/trainer/models/transmil.js';
import { SeededRandom } from '../../src/util/seededRandom.js';
import { casesOf, transmilOfCase, zooFixture, type ZooCase } from '../helpers/zooGolden.js';

const c = casesOf(zooFixture('zoo2_parity.json'), 'transmil')[0] as ZooCase;

const buildModel = (dropout: number): Transmil => transmilOfCase(c, dropout);

const randomOf = (seed: number) => {
  const rng = SeededRandom.fromSeed(seed);
  return () => rng.float();
};

/** A tensor's values, read after the tidy that made it (tidy would walk a returned array element by element). */
function valuesOf(make: () => tf.Tensor): Float32Array {
  const t = tf.tidy(make);
  const values = t.dataSync() as Float32Array;
  t.dispose();
  return values;
}

function logitsOf(model: Transmil, x: tf.Tensor2D, training: boolean, seed?: number): Float32Array {
  return valuesOf(() => model.forward(x, { training, ...(seed !== undefined ? { random: randomOf(seed) } : {}) }).logits);
}

test('TransMIL dropout: training draws masks from the random source, evaluation draws none', async () => {
  await selectBackend('cpu');
  const x = tf.tensor2d(c.x.flat(), [c.N, c.D]);
  const plain = buildModel(0);
  const dropped = buildModel(0.3);
  assert.deepEqual([...logitsOf(dropped, x, false)], [...logitsOf(plain, x, false)], 'evaluation is the model without dropout');
  assert.deepEqual([...logitsOf(dropped, x, true, 1)], [...logitsOf(dropped, x, true, 1)], 'the same seed draws the same masks');
  assert.notDeepEqual([...logitsOf(dropped, x, true, 1)], [...logitsOf(dropped, x, true, 2)], 'another seed, other masks');
  assert.notDeepEqual([...logitsOf(dropped, x, true, 1)], [...logitsOf(plain, x, true, 1)], 'masks change the training forward');
  assert.throws(() => dropped.forward(x, { training: true }), /TransMIL: dropout needs a random source/);
  for (const m of [plain, dropped]) m.dispose();
  x.dispose();
});

test('TransMIL dropout: the gradient is that of the forward pass with the masks it drew', async () => {
  await selectBackend('cpu');
  const x = tf.tensor2d(c.x.flat(), [c.N, c.D]);
  const model = buildModel(0.3);
  const seed = 7;
  const dLogits = tf.tensor1d([0, 1]);
  const gradOf = (m: Transmil, s: number): Float32Array =>
    valuesOf(() => {
      const fwd = m.forward(x, { training: true, random: randomOf(s) });
      return m.backward(fwd.cache, dLogits, tf.zerosLike(fwd.scores)).get('fc1.w') as tf.Tensor;
    });
  const grad = gradOf(model, seed);
  // The fc1 weights reach the logits through both masked layers; take the entries with the largest gradients.
  const entries = [...grad.keys()].sort((a, b) => Math.abs(grad[b] ?? 0) - Math.abs(grad[a] ?? 0)).slice(0, 3);
  const weight = model.params.get('fc1.w') as tf.Variable;
  const original = weight.dataSync().slice();
  const eps = 1e-2;
  for (const i of entries) {
    const at = (delta: number): number => {
      const values = original.slice();
      values[i] = (values[i] ?? 0) + delta;
      weight.assign(tf.tensor(values, weight.shape));
      return logitsOf(model, x, true, seed)[1] as number;
    };
    const numeric = (at(eps) - at(-eps)) / (2 * eps);
    const analytic = grad[i] as number;
    assert.ok(Math.abs(numeric - analytic) <= 2e-2 * Math.abs(analytic) + 1e-4, `fc1.w[${i}]: backward ${analytic}, finite difference ${numeric}`);
  }
  weight.assign(tf.tensor(original, weight.shape));
  // The check can tell masks apart: the gradient under other masks differs at those entries.
  const other = gradOf(model, seed + 1);
  assert.ok(entries.some((i) => Math.abs((other[i] ?? 0) - (grad[i] ?? 0)) > 5e-2 * Math.abs(grad[i] ?? 0)), 'other masks give another gradient');
  model.dispose();
  dLogits.dispose();
  x.dispose();
});
