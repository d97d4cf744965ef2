// The fused path's promise, counted at the device itself (a wrapper around the GPUDevice, its queue,
// its command encoders and compute passes): one submit and at most 20 dispatches per training step
// (14 for gated ABMIL, 16 for CLAM-SB), and no buffer created once every bag has been seen once.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Bag } from '../../src/data/types.js';
import { FusedRunner } from '../../src/trainer/gpu/fusedRunner.js';
import { initAbmilParams } from '../../src/trainer/models/abmil.js';
import { initClamParams } from '../../src/trainer/models/clam.js';
import type { InstanceBranch } from '../../src/trainer/gpu/fusedGatedMil.js';
import { SeededRandom } from '../../src/util/seededRandom.js';
import { countingDevice, zeroCounts } from '../helpers/countingDevice.js';
import { webgpuForTests } from '../helpers/webgpu.js';

const gpu = await webgpuForTests();

function bagsOf(rng: SeededRandom, sizes: number[], d: number): Bag[] {
  return sizes.map((n, i) => ({ slideId: `s${i}`, n, d, dtype: 'float32', features: Float32Array.from({ length: n * d }, () => rng.float() - 0.5) }));
}

const CLAM: InstanceBranch = { kSample: 8, loss: 'svm', subtyping: false, bagWeight: 0.7 };
const models = [
  { arch: 'abmil', dispatches: 14 },
  { arch: 'clam_sb', dispatches: 16, instance: CLAM },
] as const;

for (const model of models) for (const resident of [true, false]) {
  test(`fused ${model.arch} step: one submit, ${model.dispatches} dispatches, no new buffers after the first epoch (bags ${resident ? 'resident' : 'uploaded each step'})`, { skip: gpu.skip ?? false }, async (t) => {
    if (gpu.skip !== undefined) return;
    const counts = zeroCounts();
    const device = countingDevice(gpu.gpu.device, counts);
    const shape = { inputDim: 64, hiddenDim: 32, attentionDim: 16, nClasses: 2, dropout: 0 };
    const rng = SeededRandom.fromSeed(7);
    const instance = 'instance' in model ? model.instance : undefined;
    const initial = instance ? initClamParams({ ...shape, kSample: instance.kSample, instanceLoss: instance.loss, subtyping: instance.subtyping, bagWeight: instance.bagWeight }, rng) : initAbmilParams(shape, rng);
    const runner = await FusedRunner.create({ device, maxBinding: gpu.gpu.maxBinding }, { shape, initial, regulariser: 'entropy', weightDecay: 1e-5, residentBytes: resident ? 1 << 26 : 0, ...(instance ? { instance } : {}) });
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
        assert.equal(dispatches, model.dispatches, `${dispatches} dispatches in one step`);
        assert.ok(dispatches <= 20);
        assert.equal(runner.model.trainingDispatches, model.dispatches);
        assert.equal(counts.submits - at.submits, 1, 'one submit per step');
        assert.equal(counts.commandBuffers - at.commandBuffers, 1, 'one command buffer per step');
      }
      const losses = await epoch();
      assert.equal(losses.bags, bags.length * 2);
      assert.ok(Number.isFinite(losses.loss));
      if (instance) assert.ok(Number.isFinite(losses.terms?.['instance'] ?? NaN), 'the instance loss is summed on the device too');
      assert.equal(counts.buffers - before.buffers, 0, 'no buffer created after the first epoch');
    } finally {
      runner.dispose();
    }
  });
}
