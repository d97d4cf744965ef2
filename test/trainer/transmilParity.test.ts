// TransMIL + AEM against PyTorch 1.13 (float64) on zoo2_parity.json's `transmil` cases (the authors' module
// with lucidrains' NystromAttention agrees with them to 1e-15): the square padding, the Nyström padding,
// the logits, the CE, the exact cls attention of layer 2 and its regulariser, every gradient and one
// AdamW step, on cpu and wasm.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { selectBackend } from '../../src/trainer/backend.js';
import { squareOf, TRANSMIL_PARAM_NAMES } from '../../src/trainer/models/transmil.js';
import { nystromPadding } from '../../src/trainer/models/layers/nystromAttention.js';
import { lossTerms, regulariserValueAndGrad } from '../../src/trainer/lossTerms.js';
import { AdamW } from '../../src/trainer/adamw.js';
import { assertAllClose } from '../helpers/abmilGolden.js';
import { casesOf, transmilOfCase, zooFixture, type Values } from '../helpers/zooGolden.js';
import { close } from '../helpers/paths.js';

const cases = casesOf(zooFixture('zoo2_parity.json'), 'transmil');


for (const backend of ['cpu', 'wasm'] as const) {
  test(`TransMIL parity with PyTorch on ${backend}`, async (t) => {
    const info = await selectBackend(backend);
    assert.equal(tf.getBackend(), info.tfName);
    assert.equal(cases.length, 2);
    for (const c of cases) {
      await t.test(c.name, () => {
        assert.equal(c.pinv_iterations, 6);
        assert.equal(c.residual_conv_kernel, 33);
        const e = c.expected;
        const square = squareOf(c.N);
        assert.deepEqual([square.side, square.added], [e.square_side, e.square_added]);
        const nystrom = nystromPadding(square.side ** 2 + 1, c.num_landmarks as number);
        assert.deepEqual([nystrom.pad, nystrom.blockLength], [e.nystrom_pad, e.nystrom_landmark_len]);

        const model = transmilOfCase(c, 0);
        const x = tf.tensor2d(c.x.flat(), [c.N, c.D]);
        const fwd = model.forward(x, { training: true, label: c.label });
        assert.deepEqual(fwd.scores.shape, [c.heads, c.N]);
        assertAllClose(fwd.logits.dataSync(), e.logits as Values, 'logits');
        assertAllClose(fwd.scores.dataSync(), e.cls_scores_exact_layer2 as Values, 'cls scores');
        assertAllClose(tf.softmax(fwd.scores).dataSync(), e.cls_attention_exact_layer2 as Values, 'cls attention');
        const reg = regulariserValueAndGrad(fwd.scores, 'entropy').value.dataSync()[0] as number;
        assert.ok(close(reg, e.neg_entropy_cls_exact_mean_over_heads as number), `neg entropy ${reg}`);

        const terms = lossTerms(fwd.logits, fwd.scores, c.label, c.n_classes, 'entropy', c.lambda, fwd.extraTerms, fwd.bagLossWeight);
        assert.ok(close(terms.ce.dataSync()[0] as number, c.expected.ce), 'ce');
        assert.ok(close(terms.total.dataSync()[0] as number, c.expected.total), 'total loss');

        const grads = model.backward(fwd.cache, terms.dLogits, terms.dScores);
        for (const name of TRANSMIL_PARAM_NAMES) {
          const expected = c.expected.grads[name];
          assert.ok(expected !== null && expected !== undefined, `${name} has a gradient in the fixture`);
          assertAllClose((grads.get(name) as tf.Tensor).dataSync(), expected, `grad ${name}`);
        }
        const opt = new AdamW(model.params, { weightDecay: 1e-5 });
        opt.apply(grads, 1e-3);
        for (const name of TRANSMIL_PARAM_NAMES) {
          assertAllClose((model.params.get(name) as tf.Variable).dataSync(), c.expected.params_after_one_adamw_step[name] as Values, `after AdamW ${name}`);
        }
        opt.dispose();
        model.dispose();
        tf.dispose([x, fwd.logits, fwd.scores]);
      });
    }
  });
}
