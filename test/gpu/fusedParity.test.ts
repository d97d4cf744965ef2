// The fused WebGPU path of gated ABMIL + AEM against PyTorch 1.13 (float64) on the golden fixture:
// scores, attention, both regularisers, logits, losses, every gradient and the parameters after one
// AdamW step, with each GEMM kind (tiled and direct); and float16 features kept as float16 on the
// device against the same values as float32. Runs on any WebGPU adapter (lavapipe in CI); skipped with the reason where there is none.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Bag } from '../../src/data/types.js';
import { float16BitsToFloat32, float32ToFloat16Bits } from '../../src/data/float16.js';
import { ABMIL_PARAM_NAMES, initAbmilParams } from '../../src/trainer/models/abmil.js';
import { SeededRandom } from '../../src/util/seededRandom.js';
import { FusedRunner } from '../../src/trainer/gpu/fusedRunner.js';
import { assertAllClose, golden } from '../helpers/abmilGolden.js';
import { close } from '../helpers/paths.js';
import { webgpuForTests } from '../helpers/webgpu.js';

const gpu = await webgpuForTests();

test('fused WebGPU ABMIL parity with PyTorch', { skip: gpu.skip ?? false }, async (t) => {
  if (gpu.skip !== undefined) return;
  t.diagnostic(`adapter: ${gpu.adapter}`);
  assert.ok(golden.cases.length >= 5);
  for (const c of golden.cases) for (const gemmKind of ['tiled', 'direct'] as const) {
    await t.test(`${c.name}, ${gemmKind} GEMMs`, async () => {
      const shape = { inputDim: c.D, hiddenDim: c.D_inner, attentionDim: c.D_attn, nClasses: c.n_classes, dropout: 0 };
      const initial = new Map(ABMIL_PARAM_NAMES.map((n) => [n, Float32Array.from([c.params[n] as number[]].flat(2) as number[])]));
      const runner = await FusedRunner.create(gpu.gpu, { shape, initial, regulariser: c.regulariser, weightDecay: 1e-5, residentBytes: 1 << 20, gemmKind });
      try {
        const bag: Bag = { slideId: c.name, n: c.N, d: c.D, dtype: 'float32', features: Float32Array.from(c.x.flat()) };
        const objective = { nClasses: c.n_classes, regulariser: c.regulariser, lambda: c.lambda };
        const evaluation = runner.evaluate(bag, c.label, objective);
        await runner.flush();
        const r = await evaluation;
        assertAllClose(await runner.readFlat('s', c.N), c.expected.attention_scores, 'scores');
        assertAllClose(r.attention, c.expected.attention, 'attention');
        const out = await runner.readFlat('evalOut', 2 * c.n_classes + 3);
        assertAllClose(out.subarray(c.n_classes, 2 * c.n_classes), c.expected.logits, 'logits');
        const stats = await runner.readFlat('stats', 2);
        assertAllClose(stats, [c.expected.neg_entropy, c.expected.kl_uniform], 'neg entropy, KL');
        assert.ok(close(r.ce, c.expected.ce), `cross-entropy ${r.ce} vs ${c.expected.ce}`);
        assert.ok(close(r.total, c.expected.total), `total ${r.total} vs ${c.expected.total}`);

        await runner.step(bag, undefined, c.label, objective, 1e-3);
        const losses = await runner.takeLosses();
        assert.equal(losses.bags, 1);
        assert.ok(close(losses.loss, c.expected.total), `training loss ${losses.loss} vs ${c.expected.total}`);
        assert.ok(close(losses.ce, c.expected.ce), `training CE ${losses.ce} vs ${c.expected.ce}`);
        const grads = await runner.gradients();
        for (const name of ABMIL_PARAM_NAMES) assertAllClose(grads.get(name) as Float32Array, c.expected.grads[name] as number[], `grad ${name}`);
        const state = await runner.exportState();
        assert.equal(state.step, 1);
        for (const name of ABMIL_PARAM_NAMES) assertAllClose(state.params.get(name) as Float32Array, c.expected.params_after_one_adamw_step[name] as number[], `after AdamW ${name}`);
      } finally {
        runner.dispose();
      }
    });
  }
});

/** Evaluation, one step's gradients and the parameters after it, for one bag (sampled rows when given). */
async function stepOutputs(runner: FusedRunner, bag: Bag, rows: Int32Array | undefined) {
  const objective = { nClasses: 2, regulariser: 'entropy' as const, lambda: 0.1 };
  const evaluation = runner.evaluate(bag, 1, objective);
  await runner.flush();
  const r = await evaluation;
  await runner.step(bag, rows, 1, objective, 1e-3);
  const losses = await runner.takeLosses();
  return { probs: r.probs, attention: r.attention, loss: losses.loss, grads: await runner.gradients(), params: (await runner.exportState()).params };
}

test('fused path: float16 features stay float16 on the device and give what their float32 values give', { skip: gpu.skip ?? false }, async (t) => {
  if (gpu.skip !== undefined) return;
  // D = 9 and 7 instances: an odd count of halves, padded to whole words on the device.
  const shape = { inputDim: 9, hiddenDim: 40, attentionDim: 36, nClasses: 2, dropout: 0 };
  const rng = SeededRandom.fromSeed(11);
  const initial = initAbmilParams(shape, rng);
  const n = 7;
  const halves = float32ToFloat16Bits(Float32Array.from({ length: n * shape.inputDim }, () => rng.float() * 4 - 2));
  const asFloat = float16BitsToFloat32(halves);
  const cases = [['resident', 1 << 20, undefined], ['uploaded', 0, undefined], ['sampled rows', 1 << 20, Int32Array.from([6, 0, 3])]] as const;
  for (const [what, residentBytes, rows] of cases) for (const gemmKind of ['tiled', 'direct'] as const) {
    await t.test(`${what}, ${gemmKind} GEMMs`, async () => {
      const run = async (bag: Bag) => {
        const runner = await FusedRunner.create(gpu.gpu, { shape, initial, regulariser: 'entropy', weightDecay: 1e-5, residentBytes, gemmKind });
        try {
          const out = await stepOutputs(runner, bag, rows);
          return { ...out, residentBytes: runner.residentFeatureBytes };
        } finally {
          runner.dispose();
        }
      };
      const half = await run({ slideId: 'h', n, d: shape.inputDim, dtype: 'float16', features: halves });
      const full = await run({ slideId: 'f', n, d: shape.inputDim, dtype: 'float32', features: asFloat });
      assert.equal(half.residentBytes, residentBytes > 0 ? Math.ceil((n * shape.inputDim * 2) / 4) * 4 : 0, 'a resident float16 bag takes 2 bytes a value');
      assert.equal(full.residentBytes, residentBytes > 0 ? n * shape.inputDim * 4 : 0);
      assertAllClose(half.probs, [...full.probs], 'probabilities');
      assertAllClose(half.attention, [...full.attention], 'attention');
      assert.ok(close(half.loss, full.loss), `loss ${half.loss} vs ${full.loss}`);
      for (const name of ABMIL_PARAM_NAMES) {
        assertAllClose(half.grads.get(name) as Float32Array, [...(full.grads.get(name) as Float32Array)], `grad ${name}`);
        assertAllClose(half.params.get(name) as Float32Array, [...(full.params.get(name) as Float32Array)], `after AdamW ${name}`);
      }
    });
  }
});
