// What the fused WebGPU path implements: gated ABMIL and CLAM-SB (its instance clustering with CE or SVM
// instance loss, with or without subtyping) with the entropy, KL or no regulariser (not entropy_topk), without
// dropout (CLAM's default 0.25 included: set model.dropout 0), with a constant or cosine lambda (not "auto",
// whose per-step update would need the entropy read back every step). mha, dsmil, acmil, dtfd and transmil
// run on tfjs. Anything else is named, so auto can say why it took the tfjs path and an explicit "fused" can
// refuse with the reason.
import type { Experiment } from '../../config/schema.js';
import type { GpuPlan } from '../backend.js';

/** Largest CLAM kSample the fused path's one-workgroup instance clustering takes (the class count limits it further: FusedGatedMil says). */
export const MAX_FUSED_K_SAMPLE = 128;

export function fusedUnsupported(exp: Pick<Experiment, 'model' | 'aem'>): string | undefined {
  const model = exp.model;
  if (model.arch !== 'abmil' && model.arch !== 'clam_sb') return `the fused path does not cover model.arch "${model.arch}" yet`;
  if (model.dropout > 0) return `the fused path does not cover model.dropout > 0${model.arch === 'clam_sb' ? ' (clam_sb\'s default is 0.25: set model.dropout to 0 for the fused path)' : ''}`;
  if (model.arch === 'clam_sb' && model.kSample > MAX_FUSED_K_SAMPLE) return `the fused path covers clam_sb with model.kSample up to ${MAX_FUSED_K_SAMPLE} (its top-k selection runs in one workgroup), not ${model.kSample}`;
  if (exp.aem.regulariser === 'entropy_topk') return 'the fused path does not cover aem.regulariser "entropy_topk" (its kernels compute the entropy and KL regularisers over every instance)';
  if (exp.aem.schedule === 'auto') return 'the fused path does not cover aem.schedule "auto" (its lambda update needs each step\'s attention entropy on the host, and the fused path keeps results on the device)';
  return undefined;
}

export function gpuPlanOf(exp: Pick<Experiment, 'model' | 'aem' | 'compute'>): GpuPlan {
  const reason = fusedUnsupported(exp);
  return { path: exp.compute.gpuPath, ...(reason ? { fusedUnsupported: reason } : {}) };
}
