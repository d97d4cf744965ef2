// Checkpoints (weights, AdamW state, position in training, RNG state) and attention maps, in the
// tensor-pack format. A checkpoint taken mid-epoch resumes at the very next step, bit for bit.
import type { SlideRecord } from '../data/types.js';
import type { AutoLambdaState } from './autoLambda.js';
import type { TrainingRunner } from './runner.js';
import { readTensorPack, writeTensorPack, type PackArray } from './tensorPack.js';

export interface TrainingState {
  /** Epoch in progress (or next to start when iter = 0). */
  epoch: number;
  /** Next step within the epoch. */
  iter: number;
  /** This epoch's order of training bags. */
  order: number[];
  trainSums: { loss: number; ce: number; regulariser: number; bags: number; seconds: number; terms?: Record<string, number> };
  rngState: number[];
  bestEpoch: number | null;
  bestScore: number;
  /** aem.schedule "auto": the controller's lambda and this epoch's lambda sum (absent for other schedules). */
  autoLambda?: AutoLambdaState;
}

interface CheckpointMeta {
  format: 'aem-checkpoint';
  version: 1;
  arch: string;
  state: Omit<TrainingState, 'bestScore'> & { bestScore: number | null };
  adamStep: number;
  /** Parameters whose AdamW step count is below adamStep (they had no gradient in some steps). */
  adamParamSteps?: Record<string, number>;
  savedAt: string;
}

export async function saveCheckpoint(file: string, runner: TrainingRunner, state: TrainingState): Promise<void> {
  const weights = await runner.exportState();
  const arrays: { name: string; shape: number[]; data: PackArray }[] = [];
  for (const [name, shape] of runner.paramShapes) {
    const get = (map: Map<string, Float32Array>) => map.get(name) as Float32Array;
    arrays.push({ name: `param/${name}`, shape, data: get(weights.params) });
    arrays.push({ name: `adam_m/${name}`, shape, data: get(weights.m) });
    arrays.push({ name: `adam_v/${name}`, shape, data: get(weights.v) });
  }
  const meta: CheckpointMeta = {
    format: 'aem-checkpoint',
    version: 1,
    arch: runner.arch,
    state: { ...state, bestScore: Number.isFinite(state.bestScore) ? state.bestScore : null },
    adamStep: weights.step,
    ...(weights.paramSteps ? { adamParamSteps: Object.fromEntries(weights.paramSteps) } : {}),
    savedAt: new Date().toISOString(),
  };
  writeTensorPack(file, meta, arrays);
}

/** Restores weights and optimiser state into the runner (either path: the format is the same). */
export function loadCheckpoint(file: string, runner: TrainingRunner): TrainingState {
  const pack = readTensorPack<CheckpointMeta>(file);
  if (pack.meta.format !== 'aem-checkpoint') throw new Error(`${file} is not a checkpoint`);
  if (pack.meta.arch !== runner.arch) throw new Error(`${file} holds a ${pack.meta.arch} model, not ${runner.arch}`);
  const params = new Map<string, Float32Array>();
  const m = new Map<string, Float32Array>();
  const v = new Map<string, Float32Array>();
  for (const [name, shape] of runner.paramShapes) {
    const size = shape.reduce((a, b) => a * b, 1);
    const get = (prefix: string) => {
      const a = pack.arrays.get(`${prefix}/${name}`);
      if (!a || a.data.length !== size) throw new Error(`${file}: ${prefix}/${name} is missing or has another shape than the model (${shape.join('x')})`);
      return a.data as Float32Array;
    };
    params.set(name, get('param'));
    m.set(name, get('adam_m'));
    v.set(name, get('adam_v'));
  }
  const paramSteps = pack.meta.adamParamSteps ? new Map(Object.entries(pack.meta.adamParamSteps)) : undefined;
  runner.importState({ step: pack.meta.adamStep, ...(paramSteps ? { paramSteps } : {}), params, m, v });
  const s = pack.meta.state;
  return { ...s, bestScore: s.bestScore ?? -Infinity };
}

export interface AttentionEntry {
  slide: SlideRecord;
  values: Float32Array;
  heads: number;
  coords?: Int32Array;
}

export interface AttentionPackMeta {
  format: 'aem-attention';
  epoch: number;
  slides: { slideId: string; split: string; label: number; n: number; heads: number; hasCoords: boolean }[];
}

/** Per-slide attention [heads, N] (and [N, 2] coordinates where the data has them), for heatmaps. */
export function writeAttentionPack(file: string, epoch: number, entries: AttentionEntry[]): void {
  const arrays: { name: string; shape: number[]; data: PackArray }[] = [];
  const slides: AttentionPackMeta['slides'] = [];
  for (const e of entries) {
    const n = e.values.length / e.heads;
    slides.push({ slideId: e.slide.slideId, split: e.slide.split, label: e.slide.label, n, heads: e.heads, hasCoords: e.coords !== undefined });
    arrays.push({ name: `attention/${e.slide.slideId}`, shape: [e.heads, n], data: e.values });
    if (e.coords) arrays.push({ name: `coords/${e.slide.slideId}`, shape: [n, 2], data: e.coords });
  }
  const meta: AttentionPackMeta = { format: 'aem-attention', epoch, slides };
  writeTensorPack(file, meta, arrays);
}
