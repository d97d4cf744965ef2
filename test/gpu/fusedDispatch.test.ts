// The fused path's promise, counted at the device itself (a wrapper around the GPUDevice, its queue,
// its command encoders and compute passes): one submit and at most 20 dispatches per training step,
// and no buffer created once every bag has been seen once.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Bag } from '../../src/data/types.js';
import { FusedRunner } from '../../src/trainer/gpu/fusedRunner.js';
import { initAbmilParams } from '../../src/trainer/models/abmil.js';
import { SeededRandom } from '../../src/util/seededRandom.js';
import { countingDevice, zeroCounts } from '../helpers/countingDevice.js';
import { webgpuForTests } from '../helpers/webgpu.js';

const gpu = await webgpuForTests();

function bagsOf(rng: SeededRandom, sizes: number[], d: number): Bag[] {
  return sizes.map((n, i) => ({ slideId: `s${i}`, n, d, dtype: 'float32', features: Float32Array.from({ length: n * d }, () => rng.float() - 0.5) }));
}

for (const resident of [true, false]) {
  test(`fused step: one submit, <= 20 dispatches, no new buffers after the first epoch (bags ${resident ? 'resident' : 'uploaded each step'})`, { skip: gpu.skip ?? false }, async (t) => {
    if (gpu.skip !== undefined) return;
    const counts = zeroCounts();
    const device = countingDevice(gpu.gpu.device, counts);
    const shape = { inputDim: 64, hiddenDim: 32, attentionDim: 16, nClasses: 2, dropout: 0 };
    const rng = SeededRandom.fromSeed(7);
    const runner = await FusedRunner.create({ device, maxBinding: gpu.gpu.maxBinding }, { shape, initial: initAbmilParams(shape, rng), regulariser: 'entropy', weightDecay: 1e-5, residentBytes: resident ? 1 << 26 : 0 });
    try {
      const bags = bagsOf(rng, [37, 300, 5, 129, 1, 260], shape.inputDim);
      const objective = { nClasses: 2, regulariser: 'entropy' as const, lambda: 0.1 };
      const epoch = async () => {
        for (const [i, bag] of bags.entries()) await runner.step(bag, undefined, i % 2, objective, 1e-3);
        for (const [i, bag] of bags.entries()) void runner.evaluate(bag, i % 2, objective);
        await runner.flush();
        return runner.takeLosses();
      };
      await epoch();
      const before = { ...counts };
      for (const [i, bag] of bags.entries()) {
        const at = { ...counts };
        await runner.step(bag, undefined, i % 2, objective, 1e-3);
        const dispatches = counts.dispatches - at.dispatches;
        t.diagnostic(`bag of ${bag.n}: ${dispatches} dispatches, ${counts.submits - at.submits} submit`);
        assert.ok(dispatches > 0 && dispatches <= 20, `${dispatches} dispatches in one step`);
        assert.equal(counts.submits - at.submits, 1, 'one submit per step');
        assert.equal(counts.commandBuffers - at.commandBuffers, 1, 'one command buffer per step');
      }
      const losses = await epoch();
      assert.equal(losses.bags, bags.length * 2);
      assert.ok(Number.isFinite(losses.loss));
      assert.equal(counts.buffers - before.buffers, 0, 'no buffer created after the first epoch');
    } finally {
      runner.dispose();
    }
  });
}
