// The fused WebGPU path of gated ABMIL + AEM against PyTorch 1.13 (float64) on the golden fixture:
// scores, attention, both regularisers, logits, losses, every gradient and the parameters after one
// AdamW step. Runs on any WebGPU adapter (lavapipe in CI); skipped with the reason where there is none.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Bag } from '../../src/data/types.js';
import { ABMIL_PARAM_NAMES } from '../../src/trainer/models/abmil.js';
import { FusedRunner } from '../../src/trainer/gpu/fusedRunner.js';
import { assertAllClose, golden } from '../helpers/abmilGolden.js';
import { close } from '../helpers/paths.js';
import { webgpuForTests } from '../helpers/webgpu.js';

const gpu = await webgpuForTests();

test('fused WebGPU ABMIL parity with PyTorch', { skip: gpu.skip ?? false }, async (t) => {
  if (gpu.skip !== undefined) return;
  t.diagnostic(`adapter: ${gpu.adapter}`);
  assert.ok(golden.cases.length >= 5);
  for (const c of golden.cases) {
    await t.test(c.name, async () => {
      const shape = { inputDim: c.D, hiddenDim: c.D_inner, attentionDim: c.D_attn, nClasses: c.n_classes, dropout: 0 };
      const initial = new Map(ABMIL_PARAM_NAMES.map((n) => [n, Float32Array.from([c.params[n] as number[]].flat(2) as number[])]));
      const runner = await FusedRunner.create(gpu.gpu, { shape, initial, regulariser: c.regulariser, weightDecay: 1e-5, residentBytes: 1 << 20 });
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
