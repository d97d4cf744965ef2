// Multi-head attention MIL + AEM against PyTorch 1.13 (float64) on zoo_parity.json's `mha` cases:
// forward values, losses, every gradient and the parameters after one AdamW step, on cpu and wasm.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { PARITY_BACKENDS, startParityBackend } from '../helpers/parityBackends.js';
import { MultiHeadAttentionMil, MHA_PARAM_NAMES } from '../../src/trainer/models/mha.js';
import { lossTerms, regulariserValueAndGrad } from '../../src/trainer/lossTerms.js';
import { AdamW } from '../../src/trainer/adamw.js';
import { assertAllClose } from '../helpers/abmilGolden.js';
import { casesOf, flatValues, zooFixture, type Values, type ZooCase } from '../helpers/zooGolden.js';
import { close } from '../helpers/paths.js';

const cases = casesOf(zooFixture('zoo_parity.json'), 'mha');

function buildModel(c: ZooCase): MultiHeadAttentionMil {
  const initial = new Map(MHA_PARAM_NAMES.map((n) => [n, flatValues(c.params[n] as Values)]));
  return new MultiHeadAttentionMil({ inputDim: c.D, hiddenDim: c.D_inner as number, heads: c.heads as number, nClasses: c.n_classes, dropout: 0 }, initial);
}

for (const parity of PARITY_BACKENDS) {
  test(`MHA parity with PyTorch on ${parity.label}`, async (t) => {
    const info = await startParityBackend(parity);
    assert.equal(tf.getBackend(), info.tfName);
    assert.equal(cases.length, 2);
    for (const c of cases) {
      await t.test(c.name, () => {
        const model = buildModel(c);
        const x = tf.tensor2d(c.x.flat(), [c.N, c.D]);
        const fwd = model.forward(x, { training: false });
        assert.deepEqual(fwd.scores.shape, [c.heads, c.N]);
        assertAllClose(fwd.scores.dataSync(), c.expected.attention_scores as Values, 'scores');
        assertAllClose(tf.softmax(fwd.scores).dataSync(), c.expected.attention as Values, 'attention');
        assertAllClose(fwd.logits.dataSync(), c.expected.logits as Values, 'logits');

        const ent = regulariserValueAndGrad(fwd.scores, 'entropy').value.dataSync()[0] as number;
        assert.ok(close(ent, c.expected.neg_entropy_mean_over_heads as number), `neg entropy ${ent} vs ${String(c.expected.neg_entropy_mean_over_heads)}`);
        const terms = lossTerms(fwd.logits, fwd.scores, c.label, c.n_classes, 'entropy', c.lambda);
        assert.ok(close(terms.ce.dataSync()[0] as number, c.expected.ce), 'cross-entropy');
        assert.ok(close(terms.total.dataSync()[0] as number, c.expected.total), 'total loss');

        const grads = model.backward(fwd.cache, terms.dLogits, terms.dScores);
        for (const name of MHA_PARAM_NAMES) {
          assertAllClose((grads.get(name) as tf.Tensor).dataSync(), c.expected.grads[name] as Values, `grad ${name}`);
        }
        const opt = new AdamW(model.params, { weightDecay: 1e-5 });
        opt.apply(grads, 1e-3);
        for (const name of MHA_PARAM_NAMES) {
          assertAllClose((model.params.get(name) as tf.Variable).dataSync(), c.expected.params_after_one_adamw_step[name] as Values, `after AdamW ${name}`);
        }
        opt.dispose();
        model.dispose();
        tf.dispose([x, fwd.logits, fwd.scores]);
      });
    }
  });
}
