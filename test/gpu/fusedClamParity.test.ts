// The fused WebGPU path of CLAM-SB + AEM against PyTorch 1.13 (float64) on zoo2_parity.json's clam_sb
// cases (with and without subtyping, CE and SmoothTop1SVM instance loss, one case with hard SVM rows),
// with each GEMM kind: scores, attention, bag logits, the regulariser, each loss term (weighted bag CE,
// weighted instance loss, total) in evaluation and training, the top / bottom instances the clustering
// picked, every gradient (none for an unused instance classifier), and the parameters after one AdamW
// step (an unused classifier not stepped at all). Skipped with the reason where there is no WebGPU adapter.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Bag } from '../../src/data/types.js';
import { clamParamNames, initClamParams, type ClamInstanceLoss } from '../../src/trainer/models/clam.js';
import { SeededRandom } from '../../src/util/seededRandom.js';
import { FusedRunner, FusedUnsupportedError } from '../../src/trainer/gpu/fusedRunner.js';
import { assertAllClose } from '../helpers/abmilGolden.js';
import { casesOf, flatValues, zooFixture, type Values } from '../helpers/zooGolden.js';
import { close } from '../helpers/paths.js';
import { webgpuForTests } from '../helpers/webgpu.js';

const gpu = await webgpuForTests();
const cases = casesOf(zooFixture('zoo2_parity.json'), 'clam_sb');

test('fused WebGPU CLAM-SB parity with PyTorch', { skip: gpu.skip ?? false }, async (t) => {
  if (gpu.skip !== undefined) return;
  t.diagnostic(`adapter: ${gpu.adapter}`);
  assert.equal(cases.length, 4);
  for (const c of cases) for (const gemmKind of ['tiled', 'direct'] as const) {
    await t.test(`${c.name}, ${gemmKind} GEMMs`, async () => {
      const e = c.expected;
      const names = clamParamNames(c.n_classes);
      const kSample = c.k_sample as number;
      const bagWeight = c.bag_weight as number;
      const shape = { inputDim: c.D, hiddenDim: c.D_hidden as number, attentionDim: c.D_attn as number, nClasses: c.n_classes, dropout: 0 };
      const instance = { kSample, loss: c.instance_loss as ClamInstanceLoss, subtyping: c.subtyping as boolean, bagWeight };
      const initial = new Map(names.map((n) => [n, flatValues(c.params[n] as Values)]));
      const runner = await FusedRunner.create(gpu.gpu, { shape, initial, regulariser: 'entropy', weightDecay: 1e-5, residentBytes: 1 << 20, gemmKind, instance });
      try {
        assert.equal(runner.arch, 'clam_sb');
        assert.deepEqual([...runner.paramShapes.keys()], names);
        const bag: Bag = { slideId: c.name, n: c.N, d: c.D, dtype: 'float32', features: Float32Array.from(c.x.flat()) };
        const objective = { nClasses: c.n_classes, regulariser: 'entropy' as const, lambda: c.lambda };
        const evaluation = runner.evaluate(bag, c.label, objective);
        await runner.flush();
        const r = await evaluation;
        assertAllClose(await runner.readFlat('s', c.N), e.attention_scores as Values, 'scores');
        assertAllClose(r.attention, e.attention as Values, 'attention');
        const out = await runner.readFlat('evalOut', 2 * c.n_classes + 4);
        assertAllClose(out.subarray(c.n_classes, 2 * c.n_classes), e.bag_logits as Values, 'bag logits');
        assertAllClose((await runner.readFlat('stats', 1)), e.neg_entropy as number, 'neg entropy');
        assert.ok(close(r.regulariser, e.neg_entropy as number), `regulariser ${r.regulariser}`);
        assert.ok(close(r.ce, bagWeight * (e.bag_ce as number)), `weighted bag CE ${r.ce} vs ${bagWeight * (e.bag_ce as number)}`);
        assert.deepEqual(Object.keys(r.terms), ['instance']);
        assert.ok(close(r.terms['instance'] as number, (1 - bagWeight) * (e.instance_loss as number)), `weighted instance loss ${r.terms['instance']}`);
        assert.ok(close(r.total, e.total), `total ${r.total} vs ${e.total}`);

        await runner.step(bag, undefined, c.label, objective, 1e-3);
        const losses = await runner.takeLosses();
        assert.equal(losses.bags, 1);
        assert.ok(close(losses.loss, e.total), `training loss ${losses.loss} vs ${e.total}`);
        assert.ok(close(losses.ce, bagWeight * (e.bag_ce as number)), `training weighted bag CE ${losses.ce}`);
        assert.ok(close(losses.terms?.['instance'] as number, (1 - bagWeight) * (e.instance_loss as number)), `training instance loss ${losses.terms?.['instance']}`);
        assert.ok(close(losses.regulariser, e.neg_entropy as number), `training regulariser ${losses.regulariser}`);

        const ids = new Uint32Array((await runner.readFlat('instIds', 2 * kSample)).buffer);
        assert.deepEqual([...ids.subarray(0, kSample)], e.top_p_ids, 'top instances, highest first');
        assert.deepEqual([...ids.subarray(kSample, 2 * kSample)], e.top_n_ids, 'bottom instances, lowest first');

        const grads = await runner.gradients();
        for (const name of names) {
          const expected = e.grads[name];
          if (expected === null) assert.equal(grads.get(name), undefined, `${name} gets no gradient`);
          else assertAllClose(grads.get(name) as Float32Array, expected as Values, `grad ${name}`);
        }
        const state = await runner.exportState();
        assert.equal(state.step, 1);
        for (const name of names) {
          assertAllClose(state.params.get(name) as Float32Array, e.params_after_one_adamw_step[name] as Values, `after AdamW ${name}`);
          if (e.grads[name] === null) {
            assert.deepEqual([...(state.params.get(name) as Float32Array)], [...flatValues(c.params[name] as Values)], `${name} is not stepped`);
            assert.equal(state.paramSteps?.get(name), 0, `${name} has taken no AdamW step`);
          } else {
            assert.equal(state.paramSteps?.get(name), undefined, `${name} has taken every step`);
          }
        }
      } finally {
        runner.dispose();
      }
    });
  }
});

test('fused CLAM-SB: a bag smaller than kSample trains on all of its instances (top and bottom overlap), as one of one instance', { skip: gpu.skip ?? false }, async () => {
  if (gpu.skip !== undefined) return;
  const c = cases[0];
  assert.ok(c);
  const names = clamParamNames(2);
  const initial = new Map(names.map((n) => [n, flatValues(c.params[n] as Values)]));
  const shape = { inputDim: c.D, hiddenDim: 16, attentionDim: 8, nClasses: 2, dropout: 0 };
  const runner = await FusedRunner.create(gpu.gpu, { shape, initial, regulariser: 'entropy', weightDecay: 1e-5, residentBytes: 0, instance: { kSample: 8, loss: 'ce', subtyping: false, bagWeight: 0.7 } });
  try {
    const objective = { nClasses: 2, regulariser: 'entropy' as const, lambda: 0.1 };
    for (const n of [5, 1]) {
      const bag: Bag = { slideId: `small${n}`, n, d: c.D, dtype: 'float32', features: Float32Array.from(c.x.slice(0, n).flat()) };
      await runner.step(bag, undefined, 1, objective, 1e-3);
      const ids = new Uint32Array((await runner.readFlat('instIds', 2 * n)).buffer);
      assert.deepEqual([...ids.subarray(0, n)].sort(), Array.from({ length: n }, (_, i) => i), `top ${n} of ${n}`);
      assert.deepEqual([...ids.subarray(n, 2 * n)].sort(), Array.from({ length: n }, (_, i) => i), `bottom ${n} of ${n}`);
      const losses = await runner.takeLosses();
      assert.ok(Number.isFinite(losses.loss) && Number.isFinite(losses.terms?.['instance'] ?? NaN));
      for (const [name, g] of await runner.gradients()) assert.ok([...g].every(Number.isFinite), name);
    }
  } finally {
    runner.dispose();
  }
});

test('fused CLAM-SB: kSample x classes beyond one workgroup\'s memory is refused with the setting to change', { skip: gpu.skip ?? false }, async () => {
  if (gpu.skip !== undefined) return;
  const shape = { inputDim: 8, hiddenDim: 8, attentionDim: 4, nClasses: 40, dropout: 0 };
  const instance = { kSample: 64, loss: 'ce' as const, subtyping: true, bagWeight: 0.7 };
  const initial = initClamParams({ ...shape, kSample: 64, instanceLoss: 'ce', subtyping: true, bagWeight: 0.7 }, SeededRandom.fromSeed(1));
  await assert.rejects(FusedRunner.create(gpu.gpu, { shape, initial, regulariser: 'entropy', weightDecay: 0, residentBytes: 0, instance }), (err: Error) => {
    assert.ok(err instanceof FusedUnsupportedError);
    assert.match(err.message, /model\.kSample 64 with 40 classes and subtyping .*lower model\.kSample.*compute\.gpuPath to "tfjs"/);
    return true;
  });
});
