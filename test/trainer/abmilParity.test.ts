// Gated ABMIL + AEM against PyTorch 1.13 (float64) on the golden fixture: forward values, losses,
// every gradient and the parameters after one AdamW step, on the cpu and the wasm backends.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { PARITY_BACKENDS, startParityBackend } from '../helpers/parityBackends.js';
import { GatedAbmil, ABMIL_PARAM_NAMES } from '../../src/trainer/models/abmil.js';
import { lossTerms, regulariserValueAndGrad } from '../../src/trainer/lossTerms.js';
import { AdamW } from '../../src/trainer/adamw.js';
import { assertAllClose, golden, type ParityCase } from '../helpers/abmilGolden.js';
import { close } from '../helpers/paths.js';

function buildModel(c: ParityCase): GatedAbmil {
  const initial = new Map(ABMIL_PARAM_NAMES.map((n) => [n, Float32Array.from((c.params[n] as (number | number[])[]).flat())]));
  return new GatedAbmil({ inputDim: c.D, hiddenDim: c.D_inner, attentionDim: c.D_attn, nClasses: c.n_classes, dropout: 0 }, initial);
}

for (const parity of PARITY_BACKENDS) {
  test(`ABMIL parity with PyTorch on ${parity.label}`, async (t) => {
    const info = await startParityBackend(parity);
    assert.equal(tf.getBackend(), info.tfName);
    assert.ok(golden.cases.length >= 5);
    for (const c of golden.cases) {
      await t.test(c.name, () => {
        const model = buildModel(c);
        const x = tf.tensor2d(c.x.flat(), [c.N, c.D]);
        const fwd = model.forward(x, { training: false });
        assertAllClose(fwd.scores.dataSync(), c.expected.attention_scores, 'scores');
        assertAllClose(tf.softmax(fwd.scores).dataSync(), c.expected.attention, 'attention');
        assertAllClose(fwd.logits.dataSync(), c.expected.logits, 'logits');

        const ent = regulariserValueAndGrad(fwd.scores, 'entropy').value.dataSync()[0] as number;
        const kl = regulariserValueAndGrad(fwd.scores, 'kl').value.dataSync()[0] as number;
        assert.ok(close(ent, c.expected.neg_entropy), `neg entropy ${ent} vs ${c.expected.neg_entropy}`);
        assert.ok(close(-ent, c.expected.entropy), `entropy ${-ent} vs ${c.expected.entropy}`);
        assert.ok(close(kl, c.expected.kl_uniform), `KL ${kl} vs ${c.expected.kl_uniform}`);

        const terms = lossTerms(fwd.logits, fwd.scores, c.label, c.n_classes, c.regulariser, c.lambda);
        assert.ok(close(terms.ce.dataSync()[0] as number, c.expected.ce), 'cross-entropy');
        assert.ok(close(terms.total.dataSync()[0] as number, c.expected.total), 'total loss');

        const grads = model.backward(fwd.cache, terms.dLogits, terms.dScores);
        for (const name of ABMIL_PARAM_NAMES) {
          assertAllClose((grads.get(name) as tf.Tensor).dataSync(), c.expected.grads[name] as number[], `grad ${name}`);
        }
        const opt = new AdamW(model.params, { weightDecay: 1e-5 });
        opt.apply(grads, 1e-3);
        for (const name of ABMIL_PARAM_NAMES) {
          assertAllClose((model.params.get(name) as tf.Variable).dataSync(), c.expected.params_after_one_adamw_step[name] as number[], `after AdamW ${name}`);
        }
        opt.dispose();
        model.dispose();
        tf.dispose([x, fwd.logits, fwd.scores]);
      });
    }
  });
}
