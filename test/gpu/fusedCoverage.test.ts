// The fused WebGPU path covers gated ABMIL and CLAM-SB (without dropout): every other model.arch, and
// CLAM's default dropout, are refused with the reason, so gpuPath "auto" says why it took tfjs and
// "fused" fails with it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AemSchema, ComputeSchema, ModelSchema } from '../../src/config/schema.js';
import { MAX_FUSED_K_SAMPLE, fusedUnsupported, gpuPlanOf } from '../../src/trainer/gpu/coverage.js';

const aem = AemSchema.parse({});

test('the fused path covers abmil and clam_sb, and refuses every other arch with the reason', () => {
  assert.equal(fusedUnsupported({ model: ModelSchema.parse({ arch: 'abmil' }), aem }), undefined);
  for (const options of [{}, { subtyping: true, instanceLoss: 'svm' }]) {
    assert.equal(fusedUnsupported({ model: ModelSchema.parse({ arch: 'clam_sb', dropout: 0, ...options }), aem }), undefined);
  }
  for (const arch of ['mha', 'dsmil', 'acmil', 'dtfd', 'transmil']) {
    const model = ModelSchema.parse({ arch });
    assert.equal(fusedUnsupported({ model, aem }), `the fused path does not cover model.arch "${arch}" yet`);
    assert.match(gpuPlanOf({ model, aem, compute: ComputeSchema.parse({ gpuPath: 'fused' }) }).fusedUnsupported ?? '', new RegExp(`"${arch}"`));
  }
});

test('clam_sb on the fused path: its default dropout, a kSample too large for one workgroup and entropy_topk are named', () => {
  assert.match(fusedUnsupported({ model: ModelSchema.parse({ arch: 'clam_sb' }), aem }) ?? '', /model\.dropout > 0 \(clam_sb's default is 0\.25: set model\.dropout to 0/);
  const big = ModelSchema.parse({ arch: 'clam_sb', dropout: 0, kSample: MAX_FUSED_K_SAMPLE + 1 });
  assert.match(fusedUnsupported({ model: big, aem }) ?? '', new RegExp(`model\\.kSample up to ${MAX_FUSED_K_SAMPLE}`));
  const topk = AemSchema.parse({ regulariser: 'entropy_topk', k: 4 });
  assert.match(fusedUnsupported({ model: ModelSchema.parse({ arch: 'clam_sb', dropout: 0 }), aem: topk }) ?? '', /entropy_topk/);
});
