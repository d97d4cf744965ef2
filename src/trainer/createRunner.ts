// The execution path the selected backend calls for: the fused WebGPU kernels (gated ABMIL and CLAM-SB,
// see gpu/coverage.ts), or a tfjs model of any arch from the model registry.
import type { Experiment } from '../config/schema.js';
import type { BackendInfo } from './backend.js';
import { openFusedDevice } from './gpu/dawn.js';
import { FusedRunner } from './gpu/fusedRunner.js';
import { abmilShapeOf, createModel, type ModelDims } from './models/registry.js';
import type { TrainingRunner } from './runner.js';
import { TfjsRunner } from './tfjsRunner.js';

export async function createRunner(backend: BackendInfo, exp: Experiment, dims: ModelDims, initial: ReadonlyMap<string, Float32Array>): Promise<TrainingRunner> {
  if (backend.path === 'fused') {
    const model = exp.model;
    if (model.arch !== 'abmil' && model.arch !== 'clam_sb') throw new Error(`the fused path does not cover model.arch "${model.arch}"`);
    const regulariser = exp.aem.regulariser;
    if (regulariser === 'entropy_topk') throw new Error('the fused path does not cover aem.regulariser "entropy_topk"');
    const gpu = await openFusedDevice();
    const common = { regulariser, weightDecay: exp.train.weightDecay, residentBytes: exp.compute.gpuCacheMB * 2 ** 20, initial };
    if (model.arch === 'abmil') return FusedRunner.create(gpu, { ...common, shape: abmilShapeOf(model, dims) });
    const shape = { ...dims, attentionDim: model.attention, dropout: model.dropout };
    return FusedRunner.create(gpu, { ...common, shape, instance: { kSample: model.kSample, loss: model.instanceLoss, subtyping: model.subtyping, bagWeight: model.bagWeight } });
  }
  return new TfjsRunner(createModel(exp.model, dims, initial), exp.train.weightDecay);
}
