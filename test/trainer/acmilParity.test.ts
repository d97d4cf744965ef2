// ACMIL_GA + AEM against PyTorch 1.13 (float64) on zoo2_parity.json's `acmil` cases (3 and 5 branches,
// and one branch, whose classifier then gets no gradient): unmasked and masked scores, attention, branch
// and slide logits, each loss term, every gradient and one AdamW step, on cpu and wasm, with the
// fixture's masked instances; and the training masks drawn from the run's random source.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { selectBackend } from '../../src/trainer/backend.js';
import { PARITY_BACKENDS, startParityBackend } from '../helpers/parityBackends.js';
import { Acmil, acmilParamNames, type AcmilShape } from '../../src/trainer/models/acmil.js';
import { lossTerms, regulariserValueAndGrad } from '../../src/trainer/lossTerms.js';
import { AdamW } from '../../src/trainer/adamw.js';
import { SeededRandom } from '../../src/util/seededRandom.js';
import { assertAllClose } from '../helpers/abmilGolden.js';
import { casesOf, flatValues, zooFixture, type Values, type ZooCase } from '../helpers/zooGolden.js';
import { close } from '../helpers/paths.js';

const cases = casesOf(zooFixture('zoo2_parity.json'), 'acmil');

function shapeOf(c: ZooCase): AcmilShape {
  return {
    inputDim: c.D,
    hiddenDim: c.D_inner as number,
    attentionDim: c.D_attn as number,
    nClasses: c.n_classes,
    dropout: 0,
    branches: c.n_token as number,
    maskedInstances: c.n_masked_patch as number,
    maskProbability: c.mask_drop as number,
  };
}

function buildModel(c: ZooCase): Acmil {
  const initial = new Map(acmilParamNames(c.n_token as number).map((n) => [n, flatValues(c.params[n] as Values)]));
  return new Acmil(shapeOf(c), initial);
}

const scalar = (t: tf.Tensor) => t.dataSync()[0] as number;

for (const parity of PARITY_BACKENDS) {
  test(`ACMIL parity with PyTorch on ${parity.label}`, async (t) => {
    const info = await startParityBackend(parity);
    assert.equal(tf.getBackend(), info.tfName);
    assert.equal(cases.length, 3);
    for (const c of cases) {
      await t.test(c.name, () => {
        const e = c.expected;
        const k = c.n_token as number;
        const model = buildModel(c);
        const x = tf.tensor2d(c.x.flat(), [c.N, c.D]);
        const masked = c.masked_instances as number[][];
        assert.equal(masked[0]?.length, c.n_dropped);
        let unmasked: Float32Array | undefined;
        const fwd = model.forwardMasked(x, { training: true, label: c.label }, (scores) => {
          unmasked = scores.dataSync() as Float32Array;
          return tf.tensor2d(masked.flat(), [k, c.n_dropped as number], 'int32');
        });
        assert.ok(unmasked);
        assertAllClose(unmasked, e.attention_scores_unmasked as Values, 'unmasked scores');
        assert.deepEqual(fwd.scores.shape, [k, c.N]);
        const maskedScores = fwd.scores.dataSync();
        const expectedMasked = [e.attention_scores_masked as number[][]].flat(2);
        for (let i = 0; i < expectedMasked.length; i++) {
          if ((expectedMasked[i] as number) <= -1e8) assert.equal(maskedScores[i], -1e9, `masked score ${i}`);
          else assert.ok(close(maskedScores[i] as number, expectedMasked[i] as number), `masked score ${i}: ${maskedScores[i]} vs ${expectedMasked[i]}`);
        }
        const attention = tf.softmax(fwd.scores);
        assertAllClose(attention.dataSync(), e.attention as Values, 'attention');
        for (const [b, ids] of masked.entries()) for (const id of ids) assert.equal(attention.dataSync()[b * c.N + id], 0, `masked attention ${b}, ${id} is exactly 0`);
        assertAllClose(tf.mean(attention, 0).dataSync(), e.bag_attention as Values, 'bag attention');
        assertAllClose(fwd.logits.dataSync(), e.slide_logits as Values, 'slide logits');
        const cache = fwd.cache as { branchEmbeddings: tf.Tensor2D };
        assertAllClose(model.branchLogits(cache.branchEmbeddings).dataSync(), e.branch_logits as Values, 'branch logits');

        const ent = scalar(regulariserValueAndGrad(fwd.scores, 'entropy').value);
        assert.ok(close(ent, e.neg_entropy_mean_over_branches as number), `neg entropy on the masked attention ${ent}`);
        const terms = lossTerms(fwd.logits, fwd.scores, c.label, c.n_classes, 'entropy', c.lambda, fwd.extraTerms, fwd.bagLossWeight);
        assert.deepEqual(Object.keys(fwd.extraTerms ?? {}).sort(), ['branches', 'diversity']);
        assert.ok(close(scalar(terms.ce), e.loss_slide as number), `slide ce ${scalar(terms.ce)}`);
        assert.ok(close(scalar(fwd.extraTerms?.['branches'] as tf.Scalar), e.loss_branches as number), 'branch loss');
        assert.ok(close(scalar(fwd.extraTerms?.['diversity'] as tf.Scalar), e.loss_diversity as number), `diversity ${scalar(fwd.extraTerms?.['diversity'] as tf.Scalar)} vs ${e.loss_diversity}`);
        assert.ok(close(scalar(terms.total), e.total), `total ${scalar(terms.total)} vs ${e.total}`);

        const grads = model.backward(fwd.cache, terms.dLogits, terms.dScores);
        const names = acmilParamNames(k);
        for (const name of names) {
          const expected = e.grads[name];
          if (expected === null) assert.equal(grads.get(name), undefined, `${name} gets no gradient`);
          else assertAllClose((grads.get(name) as tf.Tensor).dataSync(), expected as Values, `grad ${name}`);
        }
        const opt = new AdamW(model.params, { weightDecay: 1e-5 });
        opt.apply(grads, 1e-3);
        for (const name of names) {
          assertAllClose((model.params.get(name) as tf.Variable).dataSync(), e.params_after_one_adamw_step[name] as Values, `after AdamW ${name}`);
          if (e.grads[name] === null) assert.deepEqual(Array.from((model.params.get(name) as tf.Variable).dataSync()), Array.from(flatValues(c.params[name] as Values)), `${name} is not stepped`);
        }
        opt.dispose();
        model.dispose();
        tf.dispose([x, fwd.logits, fwd.scores, attention]);
      });
    }
  });
}

/** Each branch's masked instances (attention exactly 0) of a forward pass. */
function maskedOf(scores: tf.Tensor2D): number[][] {
  const [k, n] = scores.shape;
  const values = scores.dataSync();
  return Array.from({ length: k }, (_, b) => Array.from({ length: n }, (_, i) => i).filter((i) => values[b * n + i] === -1e9));
}

test('ACMIL training masks: drawn from the top-scored instances by the seeded random source, none at evaluation', async () => {
  await selectBackend('cpu');
  const c = cases[1] as ZooCase; // 5 branches, 10 candidates, 0.6 of them masked
  const model = buildModel(c);
  const x = tf.tensor2d(c.x.flat(), [c.N, c.D]);
  const topk = c.expected.topk_instances_per_branch as number[][];
  const draw = (seed: number) => {
    const rng = SeededRandom.fromSeed(seed);
    return maskedOf(model.forward(x, { training: true, label: c.label, random: () => rng.float() }).scores);
  };
  const first = draw(7);
  for (const [b, ids] of first.entries()) {
    assert.equal(ids.length, c.n_dropped, `branch ${b} masks int(M * p) instances`);
    for (const id of ids) assert.ok(topk[b]?.includes(id), `branch ${b}: ${id} is one of its top ${c.n_masked_patch}`);
  }
  assert.deepEqual(draw(7), first, 'the same seed draws the same masks');
  assert.notDeepEqual([draw(8), draw(9), draw(10)], [first, first, first], 'other seeds draw other masks');
  assert.deepEqual(maskedOf(model.forward(x, { training: false, label: c.label }).scores).flat(), [], 'no mask at evaluation');
  assert.throws(() => model.forward(x, { training: true, label: c.label }), /random source/);

  // A bag smaller than maskedInstances: the candidates are all of its instances (min(M, N), as ACMIL).
  const small = tf.tensor2d(c.x.slice(0, 4).flat(), [4, c.D]);
  const rng = SeededRandom.fromSeed(1);
  const fwd = model.forward(small, { training: true, label: c.label, random: () => rng.float() });
  for (const ids of maskedOf(fwd.scores)) assert.equal(ids.length, Math.floor(4 * (c.mask_drop as number)));
  const terms = lossTerms(fwd.logits, fwd.scores, c.label, c.n_classes, 'entropy', 0.1, fwd.extraTerms);
  assert.ok(Number.isFinite(scalar(terms.total)));
  model.dispose();
});
