// What the fused WebGPU path implements: gated ABMIL with the entropy, KL or no regulariser, without
// dropout (every other model.arch, clam_sb and acmil included, runs on tfjs). Anything else is named, so auto can say why it took the tfjs path and an explicit
// "fused" can refuse with the reason.
import type { Experiment } from '../../config/schema.js';
import type { GpuPlan } from '../backend.js';

export function fusedUnsupported(exp: Pick<Experiment, 'model'>): string | undefined {
  if (exp.model.arch !== 'abmil') return `the fused path does not cover model.arch "${exp.model.arch}" yet`;
  if (exp.model.dropout > 0) return 'the fused path does not cover model.dropout > 0';
  return undefined;
}

export function gpuPlanOf(exp: Pick<Experiment, 'model' | 'compute'>): GpuPlan {
  const reason = fusedUnsupported(exp);
  return { path: exp.compute.gpuPath, ...(reason ? { fusedUnsupported: reason } : {}) };
}
