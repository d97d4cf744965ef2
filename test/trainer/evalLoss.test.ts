// The evaluation's host-side regularisers agree with the training's tfjs ones where a row covers only
// part of the instances (DTFD-MIL's pseudo-bags: the others scored OUTSIDE_SCORE). The tfjs KL is the one
// dtfdParity.test.ts checks against PyTorch per pseudo-bag.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { selectBackend } from '../../src/trainer/backend.js';
import { evalLoss } from '../../src/trainer/evalLoss.js';
import { OUTSIDE_SCORE, regulariserValueAndGrad } from '../../src/trainer/lossTerms.js';
import { close } from '../helpers/paths.js';

test('evalLoss: KL and entropy over rows that cover part of the instances equal the training regulariser', async () => {
  await selectBackend('cpu');
  const O = OUTSIDE_SCORE;
  // Three pseudo-bags over seven instances: {0, 1, 2}, {3, 4}, {5, 6}.
  const scores = [0.3, -1.2, 0.8, O, O, O, O, O, O, O, 2.0, 0.1, O, O, O, O, O, O, O, -0.4, 0.9];
  for (const kind of ['kl', 'entropy'] as const) {
    const r = evalLoss({ logits: [0.2, -0.1], scores, heads: 3, label: 1, regulariser: kind, lambda: 0.5 });
    const expected = tf.tidy(() => regulariserValueAndGrad(tf.tensor2d(scores, [3, 7]), kind).value.dataSync()[0] as number);
    assert.ok(Number.isFinite(r.regulariser), `${kind}: ${r.regulariser}`);
    assert.ok(close(r.regulariser, expected), `${kind}: host ${r.regulariser} vs tfjs ${expected}`);
  }
  // By hand for the KL of the second row: log 2 - mean of log a over its two instances, a = softmax(2.0, 0.1).
  const a = [Math.exp(2.0), Math.exp(0.1)].map((v, _, all) => v / (Math.exp(2.0) + Math.exp(0.1)) + 0 * all.length);
  const klRow2 = -Math.log(2) - (Math.log(a[0] as number) + Math.log(a[1] as number)) / 2;
  const one = evalLoss({ logits: [0, 0], scores: [O, O, O, 2.0, 0.1, O, O], heads: 1, label: 0, regulariser: 'kl', lambda: 1 });
  assert.ok(close(one.regulariser, klRow2), `${one.regulariser} vs ${klRow2}`);
});
