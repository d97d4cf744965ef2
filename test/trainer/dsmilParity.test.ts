// DSMIL + AEM against PyTorch 1.13 (float64) on zoo_parity.json's `dsmil` cases: instance logits,
// critical instances, attention, bag logits, both loss halves, every gradient and one AdamW step, on
// cpu and wasm.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { selectBackend } from '../../src/trainer/backend.js';
import { Dsmil, DSMIL_PARAM_NAMES } from '../../src/trainer/models/dsmil.js';
import { lossTerms, regulariserValueAndGrad } from '../../src/trainer/lossTerms.js';
import { AdamW } from '../../src/trainer/adamw.js';
import { assertAllClose } from '../helpers/abmilGolden.js';
import { casesOf, flatValues, zooFixture, type Values, type ZooCase } from '../helpers/zooGolden.js';
import { close } from '../helpers/paths.js';

const cases = casesOf(zooFixture('zoo_parity.json'), 'dsmil');

function buildModel(c: ZooCase): Dsmil {
  const initial = new Map(DSMIL_PARAM_NAMES.map((n) => [n, flatValues(c.params[n] as Values)]));
  return new Dsmil({ inputDim: c.D, queryDim: c.D_q as number, nClasses: c.n_classes }, initial);
}

for (const backend of ['cpu', 'wasm'] as const) {
  test(`DSMIL parity with PyTorch on ${backend}`, async (t) => {
    const info = await selectBackend(backend);
    assert.equal(tf.getBackend(), info.tfName);
    assert.equal(cases.length, 2);
    for (const c of cases) {
      await t.test(c.name, () => {
        const model = buildModel(c);
        const x = tf.tensor2d(c.x.flat(), [c.N, c.D]);
        const fwd = model.forward(x, { training: true, label: c.label });
        assert.deepEqual(fwd.scores.shape, [c.n_classes, c.N]);
        assertAllClose(fwd.scores.dataSync(), c.expected.attention_scores as Values, 'scores');
        assertAllClose(tf.softmax(fwd.scores).dataSync(), c.expected.attention as Values, 'attention');
        assertAllClose(fwd.logits.dataSync(), c.expected.bag_logits as Values, 'bag logits');

        const ent = regulariserValueAndGrad(fwd.scores, 'entropy').value.dataSync()[0] as number;
        assert.ok(close(ent, c.expected.neg_entropy_mean_over_classes as number), `neg entropy ${ent}`);
        const terms = lossTerms(fwd.logits, fwd.scores, c.label, c.n_classes, 'entropy', c.lambda, fwd.extraTerms, fwd.bagLossWeight);
        const maxInstance = fwd.extraTerms?.['maxInstance'];
        assert.ok(maxInstance);
        // The fixture's ce is the classification loss: 0.5 max-instance CE + 0.5 bag CE.
        const ce = (terms.ce.dataSync()[0] as number) + (maxInstance.dataSync()[0] as number);
        assert.ok(close(ce, c.expected.ce), `ce ${ce} vs ${c.expected.ce}`);
        assert.ok(close(terms.total.dataSync()[0] as number, c.expected.total), 'total loss');

        const grads = model.backward(fwd.cache, terms.dLogits, terms.dScores);
        for (const name of DSMIL_PARAM_NAMES) {
          assertAllClose((grads.get(name) as tf.Tensor).dataSync(), c.expected.grads[name] as Values, `grad ${name}`);
        }
        const opt = new AdamW(model.params, { weightDecay: 1e-5 });
        opt.apply(grads, 1e-3);
        for (const name of DSMIL_PARAM_NAMES) {
          assertAllClose((model.params.get(name) as tf.Variable).dataSync(), c.expected.params_after_one_adamw_step[name] as Values, `after AdamW ${name}`);
        }
        opt.dispose();
        model.dispose();
        tf.dispose([x, fwd.logits, fwd.scores]);
      });
    }
  });
}
