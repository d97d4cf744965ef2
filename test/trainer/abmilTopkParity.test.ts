// The 2025 AEM variant, entropy_topk (the entropy of the renormalised top-k attention), on gated ABMIL
// against PyTorch 1.13 (float64) on zoo_parity.json's `abmil_topk` cases: forward values, the top-k
// regulariser, the losses, every gradient and the parameters after one AdamW step, on cpu and wasm.
// Then the same regulariser over several heads (their mean) and the once-per-run notice of small bags.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { selectBackend } from '../../src/trainer/backend.js';
import { PARITY_BACKENDS, startParityBackend } from '../helpers/parityBackends.js';
import { GatedAbmil, ABMIL_PARAM_NAMES } from '../../src/trainer/models/abmil.js';
import { lossTerms, regulariserOf, regulariserValueAndGrad, topkSmallBagNotice, type Regulariser } from '../../src/trainer/lossTerms.js';
import { AdamW } from '../../src/trainer/adamw.js';
import { assertAllClose } from '../helpers/abmilGolden.js';
import { casesOf, flatValues, zooFixture, type Values, type ZooCase } from '../helpers/zooGolden.js';
import { close } from '../helpers/paths.js';

const fixture = zooFixture('zoo_parity.json');
const cases = casesOf(fixture, 'abmil_topk');

/** The fixture names ABMIL's parameters V.w, w.b, ...; the model V.weight, w.bias, ... */
const fixtureName = (name: string) => name.replace('.weight', '.w').replace('.bias', '.b');

function buildModel(c: ZooCase): GatedAbmil {
  const initial = new Map(ABMIL_PARAM_NAMES.map((n) => [n, flatValues(c.params[fixtureName(n)] as Values)]));
  return new GatedAbmil({ inputDim: c.D, hiddenDim: c.D_inner as number, attentionDim: c.D_attn as number, nClasses: c.n_classes, dropout: 0 }, initial);
}

test('the abmil_topk convention is the one implemented', () => {
  assert.match(fixture.conventions.abmil_topk ?? '', /top-k attention values renormalised to sum 1/);
  assert.deepEqual(regulariserOf({ regulariser: 'entropy_topk', k: 3 }), { kind: 'entropy_topk', k: 3 });
  assert.equal(regulariserOf({ regulariser: 'kl', k: 3 }), 'kl');
  assert.throws(() => regulariserOf({ regulariser: 'entropy_topk' }), /needs aem\.k/);
});

for (const parity of PARITY_BACKENDS) {
  test(`ABMIL with entropy_topk: parity with PyTorch on ${parity.label}`, async (t) => {
    const info = await startParityBackend(parity);
    assert.equal(tf.getBackend(), info.tfName);
    assert.equal(cases.length, 2);
    for (const c of cases) {
      await t.test(c.name, () => {
        const k = c.top_k as number;
        const reg: Regulariser = { kind: 'entropy_topk', k };
        const model = buildModel(c);
        const x = tf.tensor2d(c.x.flat(), [c.N, c.D]);
        const fwd = model.forward(x, { training: false });
        assertAllClose(tf.softmax(fwd.scores).dataSync(), c.expected.attention as Values, 'attention');
        assertAllClose(fwd.logits.dataSync(), c.expected.logits as Values, 'logits');

        const renormalised = c.expected.topk_renormalised as number[];
        assert.equal(renormalised.length, Math.min(k, c.N), 'the fixture renormalises min(k, N) values');
        const top = tf.topk(tf.softmax(fwd.scores), Math.min(k, c.N));
        const topSum = tf.sum(top.values);
        assertAllClose(tf.div(top.values, topSum).dataSync(), renormalised, 'top-k renormalised');

        const value = regulariserValueAndGrad(fwd.scores, reg).value.dataSync()[0] as number;
        assert.ok(close(value, c.expected.neg_entropy_topk as number), `neg top-k entropy ${value} vs ${String(c.expected.neg_entropy_topk)}`);
        const terms = lossTerms(fwd.logits, fwd.scores, c.label, c.n_classes, reg, c.lambda);
        assert.ok(close(terms.ce.dataSync()[0] as number, c.expected.ce), 'cross-entropy');
        assert.ok(close(terms.total.dataSync()[0] as number, c.expected.total), 'total loss');

        const grads = model.backward(fwd.cache, terms.dLogits, terms.dScores);
        for (const name of ABMIL_PARAM_NAMES) {
          assertAllClose((grads.get(name) as tf.Tensor).dataSync(), c.expected.grads[fixtureName(name)] as Values, `grad ${name}`);
        }
        const opt = new AdamW(model.params, { weightDecay: 1e-5 });
        opt.apply(grads, 1e-3);
        for (const name of ABMIL_PARAM_NAMES) {
          assertAllClose((model.params.get(name) as tf.Variable).dataSync(), c.expected.params_after_one_adamw_step[fixtureName(name)] as Values, `after AdamW ${name}`);
        }
        opt.dispose();
        model.dispose();
        tf.dispose([x, fwd.logits, fwd.scores, top.values, top.indices, topSum, terms.ce, terms.total, terms.dLogits, terms.dScores, terms.regulariser]);
      });
    }
  });
}

test('entropy_topk over several heads is the mean of each head\'s, with gradient only at each head\'s top k', async () => {
  await selectBackend('cpu');
  const scores = [
    [0.3, -1.2, 2.0, 0.7, 0.1],
    [1.5, 0.2, -0.4, 0.9, 2.2],
  ];
  const k = 3;
  const { value, dScores } = regulariserValueAndGrad(tf.tensor2d(scores), { kind: 'entropy_topk', k });
  const perHead = scores.map((row) => {
    const top = [...row].sort((a, b) => b - a).slice(0, k);
    const z = top.reduce((s, v) => s + Math.exp(v), 0);
    return top.reduce((s, v) => s + (Math.exp(v) / z) * (v - Math.log(z)), 0);
  });
  assert.ok(close(value.dataSync()[0] as number, (perHead[0]! + perHead[1]!) / 2), 'mean over heads');
  const grad = dScores.arraySync();
  scores.forEach((row, h) => {
    const kth = [...row].sort((a, b) => b - a)[k - 1]!;
    row.forEach((s, n) => {
      if (s < kth) assert.equal(grad[h]![n], 0, `head ${h} instance ${n} is outside the top ${k}`);
      else assert.notEqual(grad[h]![n], 0, `head ${h} instance ${n} is in the top ${k}`);
    });
  });
  // A numerical check of one gradient entry (float32: a coarse step).
  const eps = 1e-2;
  const bumped = scores.map((row) => [...row]);
  bumped[1]![4]! += eps;
  const up = regulariserValueAndGrad(tf.tensor2d(bumped), { kind: 'entropy_topk', k }).value.dataSync()[0] as number;
  bumped[1]![4]! -= 2 * eps;
  const down = regulariserValueAndGrad(tf.tensor2d(bumped), { kind: 'entropy_topk', k }).value.dataSync()[0] as number;
  assert.ok(close(grad[1]![4]!, (up - down) / (2 * eps), 1e-2, 1e-4), `gradient ${grad[1]![4]} vs central difference ${(up - down) / (2 * eps)}`);
});

test('a bag smaller than k: the notice names the first such slide, once per run', () => {
  const notice = topkSmallBagNotice({ kind: 'entropy_topk', k: 10 });
  assert.equal(notice('big', 10), undefined);
  const first = notice('slide_11', 1);
  assert.match(first ?? '', /slide slide_11 has 1 instance\(s\).*fewer than aem\.k 10.*all 1/);
  assert.equal(notice('slide_12', 2), undefined, 'said once per run');
  assert.equal(topkSmallBagNotice('entropy')('tiny', 1), undefined, 'only entropy_topk has a k');
});

test('a run with entropy_topk trains, and a k above every bag is said once, naming the first slide', async () => {
  const { mkdtempSync, rmSync } = await import('node:fs');
  const os = await import('node:os');
  const path = await import('node:path');
  const { trainSynthetic } = await import('../helpers/syntheticRun.js');
  const workspace = mkdtempSync(path.join(os.tmpdir(), 'aem-topk-run-'));
  try {
    const run = await trainSynthetic(workspace, { lambda: 0.1, epochs: 2, seed: 0, backend: 'cpu', regulariser: 'entropy_topk', k: 100000 });
    assert.equal(run.summary.status, 'done');
    const notices = run.events.filter((e) => e.type === 'log' && e.level === 'warn' && /fewer than aem\.k/.test(e.message));
    assert.equal(notices.length, 1, 'once per run, over two epochs of bags that are all smaller than k');
    assert.match(notices[0]?.type === 'log' ? notices[0].message : '', /^slide \S+ has \d+ instance\(s\) in this step, fewer than aem\.k 100000: entropy_topk took the entropy over all \d+/);
    const small = await trainSynthetic(workspace, { lambda: 0.1, epochs: 1, seed: 0, backend: 'cpu', regulariser: 'entropy_topk', k: 4 });
    assert.equal(small.events.filter((e) => e.type === 'log' && e.level === 'warn').length, 0, 'k below every bag: nothing to say');
    const { readMetrics } = await import('../../src/trainer/runStore.js');
    const firstTest = (dir: string) => readMetrics(dir).find((m) => m.split === 'test' && m.epoch === 0);
    const [all, top4] = [firstTest(run.dir), firstTest(small.dir)];
    assert.ok(all && top4 && all.split === 'test' && top4.split === 'test');
    // sum v log v over 4 values is at least -log 4; over a whole bag of ~50+ instances it is far lower.
    assert.ok(top4.regulariser >= -Math.log(4) - 1e-6 && all.regulariser < -Math.log(4), `epoch 1 test regulariser: k 4 ${top4.regulariser}, every instance ${all.regulariser}`);
  } finally {
    rmSync(workspace, { recursive: true, force: true });
  }
});
