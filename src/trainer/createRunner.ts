// The execution path the selected backend calls for: the fused WebGPU kernels, or a tfjs model.
import type { Experiment } from '../config/schema.js';
import type { BackendInfo } from './backend.js';
import { openFusedDevice } from './gpu/dawn.js';
import { FusedRunner } from './gpu/fusedRunner.js';
import { GatedAbmil } from './models/abmil.js';
import type { ModelShape } from './models/types.js';
import type { TrainingRunner } from './runner.js';
import { TfjsRunner } from './tfjsRunner.js';

export async function createRunner(backend: BackendInfo, exp: Experiment, shape: ModelShape, initial: ReadonlyMap<string, Float32Array>): Promise<TrainingRunner> {
  if (backend.path === 'fused') {
    const gpu = await openFusedDevice();
    return FusedRunner.create(gpu, { shape, initial, regulariser: exp.aem.regulariser, weightDecay: exp.train.weightDecay, residentBytes: exp.compute.gpuCacheMB * 2 ** 20 });
  }
  return new TfjsRunner(new GatedAbmil(shape, initial), exp.train.weightDecay);
}
