// CLAM_SB + AEM against PyTorch 1.13 (float64) on zoo2_parity.json's `clam_sb` cases (with and without
// subtyping, CE and SmoothTop1SVM instance loss, one case with hard SVM rows): attention, bag logits, the
// instance clustering's choices, logits and losses, each loss term, every gradient (none for an unused
// instance classifier) and one AdamW step, on cpu and wasm.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { selectBackend } from '../../src/trainer/backend.js';
import { PARITY_BACKENDS, startParityBackend } from '../helpers/parityBackends.js';
import { ClamSb, clamInstanceDetail, clamParamNames, type ClamInstanceDetail, type ClamInstanceLoss } from '../../src/trainer/models/clam.js';
import { lossTerms, regulariserValueAndGrad } from '../../src/trainer/lossTerms.js';
import { AdamW } from '../../src/trainer/adamw.js';
import { assertAllClose } from '../helpers/abmilGolden.js';
import { casesOf, flatValues, zooFixture, type Values, type ZooCase } from '../helpers/zooGolden.js';
import { close } from '../helpers/paths.js';

const cases = casesOf(zooFixture('zoo2_parity.json'), 'clam_sb');

function buildModel(c: ZooCase): ClamSb {
  const names = clamParamNames(c.n_classes);
  const initial = new Map(names.map((n) => [n, flatValues(c.params[n] as Values)]));
  return new ClamSb(
    {
      inputDim: c.D,
      hiddenDim: c.D_hidden as number,
      attentionDim: c.D_attn as number,
      nClasses: c.n_classes,
      dropout: 0,
      kSample: c.k_sample as number,
      instanceLoss: c.instance_loss as ClamInstanceLoss,
      subtyping: c.subtyping as boolean,
      bagWeight: c.bag_weight as number,
    },
    initial,
  );
}

const scalar = (t: tf.Tensor) => t.dataSync()[0] as number;

for (const parity of PARITY_BACKENDS) {
  test(`CLAM_SB parity with PyTorch on ${parity.label}`, async (t) => {
    const info = await startParityBackend(parity);
    assert.equal(tf.getBackend(), info.tfName);
    assert.equal(cases.length, 4);
    assert.ok(cases.some((c) => c.subtyping) && cases.some((c) => !c.subtyping));
    assert.ok(cases.some((c) => c.instance_loss === 'svm') && cases.some((c) => c.instance_loss === 'ce'));
    for (const c of cases) {
      await t.test(c.name, () => {
        const e = c.expected;
        const model = buildModel(c);
        const x = tf.tensor2d(c.x.flat(), [c.N, c.D]);
        const fwd = model.forward(x, { training: true, label: c.label });
        assert.deepEqual(fwd.scores.shape, [1, c.N]);
        assertAllClose(fwd.scores.dataSync(), e.attention_scores as Values, 'scores');
        assertAllClose(tf.softmax(fwd.scores).dataSync(), e.attention as Values, 'attention');
        assertAllClose(fwd.logits.dataSync(), e.bag_logits as Values, 'bag logits');

        const detail = clamInstanceDetail(fwd.cache);
        assert.ok(detail);
        assert.deepEqual(Array.from(detail.topIds.dataSync()), e.top_p_ids, 'top ids');
        assert.deepEqual(Array.from(detail.bottomIds.dataSync()), e.top_n_ids, 'bottom ids');
        const logitsPerClass = e.instance_logits_per_class as unknown as (Values | null)[];
        const targetsPerClass = e.instance_targets_per_class as unknown as (number[] | null)[];
        const lossPerClass = e.instance_loss_per_class as unknown as (number | null)[];
        const hardPerClass = e.svm_hard_rows_per_class as unknown as (boolean[] | null)[] | undefined;
        for (let k = 0; k < c.n_classes; k++) {
          const mine: ClamInstanceDetail['perClass'][number] = detail.perClass[k];
          if (logitsPerClass[k] === null) {
            assert.equal(mine, undefined, `class ${k} is skipped`);
            continue;
          }
          assert.ok(mine, `class ${k} is used`);
          assertAllClose(mine.logits.dataSync(), logitsPerClass[k] as Values, `instance logits of class ${k}`);
          assert.deepEqual(Array.from(tf.argMax(mine.targets, 1).dataSync()), targetsPerClass[k], `targets of class ${k}`);
          assert.ok(close(scalar(mine.loss), lossPerClass[k] as number), `instance loss of class ${k}: ${scalar(mine.loss)} vs ${lossPerClass[k]}`);
          if (hardPerClass) assert.deepEqual(Array.from(mine.hardRows?.dataSync() ?? []).map(Boolean), hardPerClass[k], `hard SVM rows of class ${k}`);
        }
        if (hardPerClass) assert.equal(hardPerClass.flat().some(Boolean), c.name.includes('hard'));
        assert.ok(close(scalar(detail.loss), e.instance_loss as number), `instance loss ${scalar(detail.loss)}`);

        const ent = scalar(regulariserValueAndGrad(fwd.scores, 'entropy').value);
        assert.ok(close(ent, e.neg_entropy as number), `neg entropy ${ent}`);
        const terms = lossTerms(fwd.logits, fwd.scores, c.label, c.n_classes, 'entropy', c.lambda, fwd.extraTerms, fwd.bagLossWeight);
        const bagWeight = c.bag_weight as number;
        assert.ok(close(scalar(terms.ce), bagWeight * (e.bag_ce as number)), `weighted bag ce ${scalar(terms.ce)}`);
        const instanceTerm = fwd.extraTerms?.['instance'];
        assert.ok(instanceTerm);
        assert.deepEqual(Object.keys(fwd.extraTerms ?? {}), ['instance']);
        assert.ok(close(scalar(instanceTerm), (1 - bagWeight) * (e.instance_loss as number)), `weighted instance loss ${scalar(instanceTerm)}`);
        assert.ok(close(scalar(terms.total), e.total), `total ${scalar(terms.total)} vs ${e.total}`);

        const grads = model.backward(fwd.cache, terms.dLogits, terms.dScores);
        const names = clamParamNames(c.n_classes);
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
        tf.dispose([x, fwd.logits, fwd.scores]);
      });
    }
  });
}

test('CLAM_SB: a bag smaller than kSample trains its instance classifiers on all of its instances', async () => {
  await selectBackend('cpu');
  const c = cases[0] as ZooCase;
  const model = new ClamSb({ inputDim: c.D, hiddenDim: 16, attentionDim: 8, nClasses: 2, dropout: 0, kSample: 8, instanceLoss: 'ce', subtyping: false, bagWeight: 0.7 }, new Map(clamParamNames(2).map((n) => [n, flatValues(c.params[n] as Values)])));
  const x = tf.tensor2d(c.x.slice(0, 5).flat(), [5, c.D]);
  const fwd = model.forward(x, { training: true, label: 1 });
  const detail = clamInstanceDetail(fwd.cache);
  assert.ok(detail);
  assert.deepEqual([...detail.topIds.dataSync()].sort(), [0, 1, 2, 3, 4]);
  assert.deepEqual(detail.perClass[1]?.logits.shape, [10, 2]);
  const terms = lossTerms(fwd.logits, fwd.scores, 1, 2, 'entropy', 0.1, fwd.extraTerms, fwd.bagLossWeight);
  assert.ok(Number.isFinite(scalar(terms.total)));
  const grads = model.backward(fwd.cache, terms.dLogits, terms.dScores);
  for (const [name, g] of grads) assert.ok([...g.dataSync()].every(Number.isFinite), name);
  model.dispose();
});
