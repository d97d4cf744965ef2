// What the fused WebGPU path implements: gated ABMIL with the entropy, KL or no regulariser (not entropy_topk), without
// dropout (every other model.arch, clam_sb and acmil included, runs on tfjs), with a constant or cosine lambda (not "auto",
// whose per-step update would need the entropy read back every step). Anything else is named, so auto can say why it took the tfjs path and an explicit
// "fused" can refuse with the reason.
import type { Experiment } from '../../config/schema.js';
import type { GpuPlan } from '../backend.js';

export function fusedUnsupported(exp: Pick<Experiment, 'model' | 'aem'>): string | undefined {
  if (exp.model.arch !== 'abmil') return `the fused path does not cover model.arch "${exp.model.arch}" yet`;
  if (exp.model.dropout > 0) return 'the fused path does not cover model.dropout > 0';
  if (exp.aem.regulariser === 'entropy_topk') return 'the fused path does not cover aem.regulariser "entropy_topk" (its kernels compute the entropy and KL regularisers over every instance)';
  if (exp.aem.schedule === 'auto') return 'the fused path does not cover aem.schedule "auto" (its lambda update needs each step\'s attention entropy on the host, and the fused path keeps results on the device)';
  return undefined;
}

export function gpuPlanOf(exp: Pick<Experiment, 'model' | 'aem' | 'compute'>): GpuPlan {
  const reason = fusedUnsupported(exp);
  return { path: exp.compute.gpuPath, ...(reason ? { fusedUnsupported: reason } : {}) };
}
