// The fused WebGPU path covers gated ABMIL only: every other model.arch is refused with its name, so
// gpuPath "auto" says why it took tfjs and "fused" fails with the reason.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AemSchema, ComputeSchema, ModelSchema } from '../../src/config/schema.js';
import { fusedUnsupported, gpuPlanOf } from '../../src/trainer/gpu/coverage.js';

const aem = AemSchema.parse({});

test('the fused path refuses clam_sb and acmil (and every arch but abmil) with the reason', () => {
  assert.equal(fusedUnsupported({ model: ModelSchema.parse({ arch: 'abmil' }), aem }), undefined);
  for (const arch of ['mha', 'dsmil', 'clam_sb', 'acmil']) {
    const model = ModelSchema.parse({ arch, ...(arch === 'clam_sb' ? { dropout: 0 } : {}) });
    assert.equal(fusedUnsupported({ model, aem }), `the fused path does not cover model.arch "${arch}" yet`);
    assert.match(gpuPlanOf({ model, aem, compute: ComputeSchema.parse({ gpuPath: 'fused' }) }).fusedUnsupported ?? '', new RegExp(`"${arch}"`));
  }
});
