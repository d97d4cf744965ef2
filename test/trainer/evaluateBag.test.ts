// One evaluation of a bag (forward pass as tfjs kernels, losses and softmaxes on the host) against
// PyTorch 1.13 (float64): ABMIL on abmil_parity.json (entropy and KL regularisers, lambda 0, N = 1) and
// DSMIL on zoo_parity.json (its own max-instance loss term and bag loss weight), and entropy_topk on
// zoo_parity.json's abmil_topk cases, on cpu and wasm.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { selectBackend } from '../../src/trainer/backend.js';
import { ABMIL_PARAM_NAMES, GatedAbmil } from '../../src/trainer/models/abmil.js';
import { DSMIL_PARAM_NAMES, Dsmil } from '../../src/trainer/models/dsmil.js';
import { evaluateBag } from '../../src/trainer/step.js';
import { assertAllClose, golden } from '../helpers/abmilGolden.js';
import { close } from '../helpers/paths.js';
import { casesOf, flatValues, zooFixture, type Values } from '../helpers/zooGolden.js';

const softmax = (xs: number[]) => {
  const m = Math.max(...xs);
  const e = xs.map((x) => Math.exp(x - m));
  const s = e.reduce((a, b) => a + b, 0);
  return e.map((v) => v / s);
};

for (const backend of ['cpu', 'wasm'] as const) {
  test(`evaluateBag matches PyTorch on ${backend}: ABMIL losses, probabilities and attention`, async () => {
    await selectBackend(backend);
    for (const c of golden.cases) {
      const initial = new Map(ABMIL_PARAM_NAMES.map((n) => [n, Float32Array.from((c.params[n] as (number | number[])[]).flat())]));
      const model = new GatedAbmil({ inputDim: c.D, hiddenDim: c.D_inner, attentionDim: c.D_attn, nClasses: c.n_classes, dropout: 0 }, initial);
      const x = tf.tensor2d(c.x.flat(), [c.N, c.D]);
      const before = tf.memory().numTensors;
      const r = await evaluateBag(model, x, c.label, { nClasses: c.n_classes, regulariser: c.regulariser, lambda: c.lambda });
      assert.equal(tf.memory().numTensors, before, `${c.name}: no tensor left behind`);
      assert.equal(r.heads, 1);
      assertAllClose(r.attention, c.expected.attention, `${c.name} attention`);
      assertAllClose(r.probs, softmax(c.expected.logits), `${c.name} probs`);
      assert.ok(close(r.ce, c.expected.ce), `${c.name} ce ${r.ce} vs ${c.expected.ce}`);
      const reg = c.regulariser === 'kl' ? c.expected.kl_uniform : c.expected.neg_entropy;
      assert.ok(close(r.regulariser, reg), `${c.name} regulariser ${r.regulariser} vs ${reg}`);
      assert.ok(close(r.total, c.expected.total), `${c.name} total ${r.total} vs ${c.expected.total}`);
      x.dispose();
      model.dispose();
    }
  });

  test(`evaluateBag matches PyTorch on ${backend}: DSMIL's extra loss term and bag loss weight`, async () => {
    await selectBackend(backend);
    const cases = casesOf(zooFixture('zoo_parity.json'), 'dsmil');
    assert.ok(cases.length > 0);
    for (const c of cases) {
      const model = new Dsmil({ inputDim: c.D, queryDim: c.D_q as number, nClasses: c.n_classes }, new Map(DSMIL_PARAM_NAMES.map((n) => [n, flatValues(c.params[n] as Values)])));
      const x = tf.tensor2d(c.x.flat(), [c.N, c.D]);
      const r = await evaluateBag(model, x, c.label, { nClasses: c.n_classes, regulariser: 'entropy', lambda: c.lambda });
      assert.equal(r.heads, c.n_classes);
      assertAllClose(r.attention, c.expected.attention as Values, `${c.name} attention`);
      assert.ok(close(r.regulariser, c.expected.neg_entropy_mean_over_classes as number), `${c.name} regulariser`);
      assert.ok(close(r.total, c.expected.total), `${c.name} total ${r.total} vs ${c.expected.total}`);
      x.dispose();
      model.dispose();
    }
  });
}

for (const backend of ['cpu', 'wasm'] as const) {
  test(`evaluateBag matches PyTorch on ${backend}: ABMIL with entropy_topk (k below and above N)`, async () => {
    await selectBackend(backend);
    const cases = casesOf(zooFixture('zoo_parity.json'), 'abmil_topk');
    assert.equal(cases.length, 2);
    for (const c of cases) {
      const initial = new Map(ABMIL_PARAM_NAMES.map((n) => [n, flatValues(c.params[n.replace('.weight', '.w').replace('.bias', '.b')] as Values)]));
      const model = new GatedAbmil({ inputDim: c.D, hiddenDim: c.D_inner as number, attentionDim: c.D_attn as number, nClasses: c.n_classes, dropout: 0 }, initial);
      const x = tf.tensor2d(c.x.flat(), [c.N, c.D]);
      const r = await evaluateBag(model, x, c.label, { nClasses: c.n_classes, regulariser: { kind: 'entropy_topk', k: c.top_k as number }, lambda: c.lambda });
      assert.ok(close(r.regulariser, c.expected.neg_entropy_topk as number), `${c.name} regulariser ${r.regulariser} vs ${String(c.expected.neg_entropy_topk)}`);
      assert.ok(close(r.ce, c.expected.ce), `${c.name} ce`);
      assert.ok(close(r.total, c.expected.total), `${c.name} total ${r.total} vs ${c.expected.total}`);
      assertAllClose(r.attention, c.expected.attention as Values, `${c.name} attention`);
      x.dispose();
      model.dispose();
    }
  });
}
