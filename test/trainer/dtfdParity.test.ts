// DTFD-MIL + AEM against PyTorch 1.13 (float64) on zoo2_parity.json's `dtfd` cases (the authors' code agrees
// with them to 1e-15): tier-1 attention and logits per pseudo-bag, the distilled instances, tier 2's input,
// attention and logits, both CEs, the regulariser (tier 1, and the tier-2 and both-tier variants), every
// gradient and one AdamW step, on cpu and wasm. The pseudo-bags are the fixture's.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { PARITY_BACKENDS, startParityBackend } from '../helpers/parityBackends.js';
import { Dtfd, DTFD_PARAM_NAMES, DTFD_TIER1_TERM, drawPseudoBags, pseudoBagsForEvaluation, type Distillation } from '../../src/trainer/models/dtfd.js';
import { lossTerms, regulariserValueAndGrad } from '../../src/trainer/lossTerms.js';
import { AdamW } from '../../src/trainer/adamw.js';
import { SeededRandom } from '../../src/util/seededRandom.js';
import { assertAllClose } from '../helpers/abmilGolden.js';
import { casesOf, flatValues, zooFixture, type Values, type ZooCase } from '../helpers/zooGolden.js';
import { close } from '../helpers/paths.js';

const cases = casesOf(zooFixture('zoo2_parity.json'), 'dtfd');

function buildModel(c: ZooCase): Dtfd {
  const initial = new Map(DTFD_PARAM_NAMES.map((n) => [n, flatValues(c.params[n] as Values)]));
  return new Dtfd(
    {
      inputDim: c.D,
      hiddenDim: c.D_inner as number,
      attentionDim: c.D_attn as number,
      nClasses: c.n_classes,
      pseudoBags: c.numGroup as number,
      distillation: c.distill as Distillation,
      distilledPerPseudoBag: c.instance_per_group as number,
    },
    initial,
  );
}

function num(v: unknown): number {
  assert.equal(typeof v, 'number');
  return v as number;
}

for (const parity of PARITY_BACKENDS) {
  test(`DTFD-MIL parity with PyTorch on ${parity.label}`, async (t) => {
    const info = await startParityBackend(parity);
    assert.equal(tf.getBackend(), info.tfName);
    assert.equal(cases.length, 2);
    for (const c of cases) {
      await t.test(c.name, () => {
        const model = buildModel(c);
        const groups = c.groups as number[][];
        const e = c.expected;
        const x = tf.tensor2d(c.x.flat(), [c.N, c.D]);
        const fwd = model.forwardPseudoBags(x, groups, c.label);
        assert.deepEqual(fwd.scores.shape, [groups.length, c.N]);
        // Tier-1 attention: row g over pseudo-bag g's instances (in the group's order), zero elsewhere.
        const attention = tf.softmax(fwd.scores).arraySync() as number[][];
        groups.forEach((g, row) => {
          const inside = g.map((i) => (attention[row] as number[])[i] as number);
          assertAllClose(inside, (e.tier1_attention_per_group as number[][])[row] as number[], `tier-1 attention of pseudo-bag ${row}`);
          const outside = (attention[row] as number[]).filter((_, i) => !g.includes(i));
          assert.ok(outside.every((v) => v === 0), `pseudo-bag ${row}: attention outside it is exactly 0`);
        });
        assert.deepEqual(model.distilledInstances(fwd.cache) ?? null, e.distilled_instances_per_group);
        assertAllClose(model.tier2InputOf(fwd.cache).dataSync(), e.tier2_input as Values, 'tier-2 input');
        assertAllClose(model.tier2Attention(fwd.cache).dataSync(), e.tier2_attention as Values, 'tier-2 attention');
        assertAllClose(fwd.logits.dataSync(), e.slide_logits as Values, 'slide logits');

        const reg = regulariserValueAndGrad(fwd.scores, 'entropy').value.dataSync()[0] as number;
        assert.ok(close(reg, num(e.neg_entropy_tier1_mean_over_groups)), `tier-1 neg entropy ${reg}`);
        // The KL variant per pseudo-bag: KL(U_G || a_G) = -log |G| - mean_{n in G} log a_n, averaged over pseudo-bags.
        const perGroup = (e.tier1_attention_per_group as number[][]).map((a) => -Math.log(a.length) - a.reduce((s, v) => s + Math.log(v), 0) / a.length);
        const kl = regulariserValueAndGrad(fwd.scores, 'kl');
        assert.ok(close(kl.value.dataSync()[0] as number, perGroup.reduce((s, v) => s + v, 0) / perGroup.length), 'KL counts each pseudo-bag\'s own instances');
        const dKl = kl.dScores.arraySync();
        groups.forEach((g, row) => (dKl[row] as number[]).forEach((d, i) => !g.includes(i) && assert.equal(d, 0, 'no KL gradient outside a pseudo-bag')));
        const reg2 = regulariserValueAndGrad(tf.log(model.tier2Attention(fwd.cache)) as tf.Tensor2D, 'entropy').value.dataSync()[0] as number;
        assert.ok(close(reg2, num(e.neg_entropy_tier2)), `tier-2 neg entropy ${reg2}`);

        const terms = lossTerms(fwd.logits, fwd.scores, c.label, c.n_classes, 'entropy', c.lambda, fwd.extraTerms, fwd.bagLossWeight);
        const tier1 = fwd.extraTerms?.[DTFD_TIER1_TERM]?.dataSync()[0] as number;
        assert.ok(close(tier1, num(e.loss_tier1)), `tier-1 CE ${tier1} vs ${e.loss_tier1}`);
        assert.ok(close(terms.ce.dataSync()[0] as number, num(e.loss_tier2)), 'tier-2 CE');
        assert.ok(close(terms.total.dataSync()[0] as number, c.expected.total), 'total loss');
        const ce = num(e.loss_tier1) + num(e.loss_tier2);
        assert.ok(close(ce + c.lambda * reg2, num(e.total_if_aem_tier2)), 'total with AEM on tier 2');
        assert.ok(close(ce + c.lambda * (reg + reg2), num(e.total_if_aem_both)), 'total with AEM on both tiers');

        const grads = model.backward(fwd.cache, terms.dLogits, terms.dScores);
        for (const name of DTFD_PARAM_NAMES) {
          const expected = c.expected.grads[name];
          assert.ok(expected !== null && expected !== undefined, `${name} has a gradient in the fixture`);
          assertAllClose((grads.get(name) as tf.Tensor).dataSync(), expected, `grad ${name}`);
        }
        const opt = new AdamW(model.params, { weightDecay: 1e-5 });
        opt.apply(grads, 1e-3);
        for (const name of DTFD_PARAM_NAMES) {
          assertAllClose((model.params.get(name) as tf.Variable).dataSync(), c.expected.params_after_one_adamw_step[name] as Values, `after AdamW ${name}`);
        }
        opt.dispose();
        model.dispose();
        tf.dispose([x, fwd.logits, fwd.scores]);
      });
    }
  });
}

test('pseudo-bags: a seeded partition as random.shuffle + np.array_split, fewer for a small bag', () => {
  const rng = SeededRandom.fromSeed(7);
  const groups = drawPseudoBags(22, 4, () => rng.float());
  assert.deepEqual(groups.map((g) => g.length), [6, 6, 5, 5]);
  assert.deepEqual(groups.flat().sort((a, b) => a - b), Array.from({ length: 22 }, (_, i) => i));
  const again = SeededRandom.fromSeed(7);
  assert.deepEqual(drawPseudoBags(22, 4, () => again.float()), groups, 'the same seed gives the same pseudo-bags');
  const other = SeededRandom.fromSeed(8);
  assert.notDeepEqual(drawPseudoBags(22, 4, () => other.float()), groups);
  assert.deepEqual(drawPseudoBags(3, 5, () => 0.5).map((g) => g.length), [1, 1, 1], 'three instances: three pseudo-bags');
  assert.deepEqual(pseudoBagsForEvaluation(50, 5), pseudoBagsForEvaluation(50, 5), 'evaluation pseudo-bags are fixed per bag');
});
