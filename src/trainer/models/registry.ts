// model.arch -> how to build that model: its parameters' shapes, their seeded initial values and the
// MilModel itself. Adding an architecture touches its own file and this table.
import type { ModelConfig } from '../../config/schema.js';
import { DataError } from '../../data/types.js';
import type { SeededRandom } from '../../util/seededRandom.js';
import { abmilParamShapes, GatedAbmil, initAbmilParams } from './abmil.js';
import { Acmil, acmilMaskCounts, acmilParamShapes, initAcmilParams, type AcmilShape } from './acmil.js';
import { ClamSb, clamParamShapes, initClamParams, type ClamShape } from './clam.js';
import { Dsmil, dsmilParamShapes, initDsmilParams, type DsmilShape } from './dsmil.js';
import { Dtfd, dtfdParamShapes, initDtfdParams, pseudoBagCount, type DtfdShape } from './dtfd.js';
import { initMhaParams, mhaParamShapes, MultiHeadAttentionMil, type MhaShape } from './mha.js';
import { initTransmilParams, Transmil, transmilParamShapes, transmilStepBytes, type TransmilShape } from './transmil.js';
import type { MilModel, ModelShape } from './types.js';

/** What the data fixes about every model: input width, the first layer's width (where it has one) and the classes. */
export interface ModelDims {
  inputDim: number;
  hiddenDim: number;
  nClasses: number;
}

type ConfigOf<A extends ModelConfig['arch']> = Extract<ModelConfig, { arch: A }>;

interface ArchEntry<C> {
  paramShapes(config: C, dims: ModelDims): Record<string, number[]>;
  initParams(config: C, dims: ModelDims, rng: SeededRandom): Map<string, Float32Array>;
  create(config: C, dims: ModelDims, initial: ReadonlyMap<string, Float32Array>): MilModel;
  /** What the model does differently for a training bag of n instances (too small for an option), if anything. */
  smallBag?(config: C, n: number): string | undefined;
  /**
   * What each row of a multi-row attention is, where a row is the same component in every bag (the
   * metrics' `perHead` and the live charts' head toggles). None for one row, or for DTFD's pseudo-bags,
   * a fresh random partition of each bag whose row i has nothing in common across bags.
   */
  attentionRows?: AttentionRowKind;
  /**
   * Estimated peak tensor bytes of one step on a bag of n instances, for the memory guard; only where it
   * can exceed a backend's limit on real bags (the other models' activations are a few rows of N x width).
   */
  stepBytes?(config: C, dims: ModelDims, n: number, mode: StepMode): number;
}

export type AttentionRowKind = 'head' | 'branch' | 'class';

/** A training step (forward and backward) or an evaluation (forward only). */
export type StepMode = 'train' | 'eval';

export function abmilShapeOf(config: ConfigOf<'abmil'>, dims: ModelDims): ModelShape {
  return { ...dims, attentionDim: config.attention, dropout: config.dropout };
}

function mhaShapeOf(config: ConfigOf<'mha'>, dims: ModelDims): MhaShape {
  if (dims.hiddenDim % config.heads !== 0) {
    throw new DataError([{ message: `model.heads ${config.heads} does not divide the model width ${dims.hiddenDim} (model.hidden, default half the feature dimension): set model.hidden or model.heads` }]);
  }
  return { ...dims, heads: config.heads, dropout: config.dropout };
}

function dsmilShapeOf(config: ConfigOf<'dsmil'>, dims: ModelDims): DsmilShape {
  return { inputDim: dims.inputDim, queryDim: config.query, nClasses: dims.nClasses };
}

function clamShapeOf(config: ConfigOf<'clam_sb'>, dims: ModelDims): ClamShape {
  const { kSample, instanceLoss, subtyping, bagWeight, dropout, attention } = config;
  return { ...dims, attentionDim: attention, dropout, kSample, instanceLoss, subtyping, bagWeight };
}

function acmilShapeOf(config: ConfigOf<'acmil'>, dims: ModelDims): AcmilShape {
  const { branches, maskedInstances, maskProbability, dropout, attention } = config;
  return { ...dims, attentionDim: attention, dropout, branches, maskedInstances, maskProbability };
}

function dtfdShapeOf(config: ConfigOf<'dtfd'>, dims: ModelDims): DtfdShape {
  return { ...dims, attentionDim: config.attention, pseudoBags: config.pseudoBags, distillation: config.distillation, distilledPerPseudoBag: config.distilledInstances };
}

function transmilShapeOf(config: ConfigOf<'transmil'>, dims: ModelDims): TransmilShape {
  return { inputDim: dims.inputDim, width: config.width, heads: config.heads, landmarks: config.landmarks, dropout: config.dropout, nClasses: dims.nClasses };
}

const ARCHS: { [A in ModelConfig['arch']]: ArchEntry<ConfigOf<A>> } = {
  abmil: {
    paramShapes: (c, d) => abmilParamShapes(abmilShapeOf(c, d)),
    initParams: (c, d, rng) => initAbmilParams(abmilShapeOf(c, d), rng),
    create: (c, d, initial) => new GatedAbmil(abmilShapeOf(c, d), initial),
  },
  mha: {
    paramShapes: (c, d) => mhaParamShapes(mhaShapeOf(c, d)),
    initParams: (c, d, rng) => initMhaParams(mhaShapeOf(c, d), rng),
    create: (c, d, initial) => new MultiHeadAttentionMil(mhaShapeOf(c, d), initial),
    attentionRows: 'head',
  },
  dsmil: {
    paramShapes: (c, d) => dsmilParamShapes(dsmilShapeOf(c, d)),
    initParams: (c, d, rng) => initDsmilParams(dsmilShapeOf(c, d), rng),
    create: (c, d, initial) => new Dsmil(dsmilShapeOf(c, d), initial),
    attentionRows: 'class',
  },
  clam_sb: {
    paramShapes: (c, d) => clamParamShapes(clamShapeOf(c, d)),
    initParams: (c, d, rng) => initClamParams(clamShapeOf(c, d), rng),
    create: (c, d, initial) => new ClamSb(clamShapeOf(c, d), initial),
    // CLAM's own code stops there (torch.topk of kSample from fewer); here the bag's instances all take part.
    smallBag: (c, n) => (n < c.kSample ? `${n} instances, fewer than model.kSample ${c.kSample}: its instance classifiers are trained on all ${n} as the top and as the bottom ones` : undefined),
  },
  acmil: {
    paramShapes: (c, d) => acmilParamShapes(acmilShapeOf(c, d)),
    initParams: (c, d, rng) => initAcmilParams(acmilShapeOf(c, d), rng),
    create: (c, d, initial) => new Acmil(acmilShapeOf(c, d), initial),
    attentionRows: 'branch',
    smallBag: (c, n) => {
      if (n >= c.maskedInstances) return undefined;
      const { candidates, masked } = acmilMaskCounts(c, n);
      return `${n} instances, fewer than model.maskedInstances ${c.maskedInstances}: ACMIL masks ${masked} of its top ${candidates} per branch (min(maskedInstances, N), as the authors' code)`;
    },
  },
  dtfd: {
    paramShapes: (c, d) => dtfdParamShapes(dtfdShapeOf(c, d)),
    initParams: (c, d, rng) => initDtfdParams(dtfdShapeOf(c, d), rng),
    create: (c, d, initial) => new Dtfd(dtfdShapeOf(c, d), initial),
    smallBag: (c, n) =>
      pseudoBagCount(n, c.pseudoBags) < c.pseudoBags
        ? `${n} instance(s), fewer than model.pseudoBags ${c.pseudoBags}: split into ${pseudoBagCount(n, c.pseudoBags)} pseudo-bag(s) of one instance (the authors' np.array_split would leave the other ${c.pseudoBags - n} empty)`
        : undefined,
  },
  transmil: {
    paramShapes: (c, d) => transmilParamShapes(transmilShapeOf(c, d)),
    initParams: (c, d, rng) => initTransmilParams(transmilShapeOf(c, d), rng),
    create: (c, d, initial) => new Transmil(transmilShapeOf(c, d), initial),
    attentionRows: 'head',
    stepBytes: (c, d, n, mode) => transmilStepBytes(transmilShapeOf(c, d), n, mode),
  },
};

function entryOf<C extends ModelConfig>(config: C): ArchEntry<C> {
  return ARCHS[config.arch] as unknown as ArchEntry<C>;
}

export function modelParamShapes(config: ModelConfig, dims: ModelDims): Record<string, number[]> {
  return entryOf(config).paramShapes(config, dims);
}

export function initModelParams(config: ModelConfig, dims: ModelDims, rng: SeededRandom): Map<string, Float32Array> {
  return entryOf(config).initParams(config, dims, rng);
}

/** What the rows of an arch's attention are, for per-row metrics; undefined for single-row or unregistered archs and DTFD. */
export function attentionRowsOf(arch: string): AttentionRowKind | undefined {
  return Object.hasOwn(ARCHS, arch) ? ARCHS[arch as ModelConfig['arch']].attentionRows : undefined;
}

/** What the model does differently for a training bag of n instances, for the run's log; undefined when nothing. */
export function smallBagNote(config: ModelConfig, n: number): string | undefined {
  return entryOf(config).smallBag?.(config, n);
}

/** The arch's estimated peak bytes of one step on n instances; undefined for archs without an estimate. */
export function modelStepBytes(config: ModelConfig, dims: ModelDims, n: number, mode: StepMode): number | undefined {
  return entryOf(config).stepBytes?.(config, dims, n, mode);
}

export function createModel(config: ModelConfig, dims: ModelDims, initial: ReadonlyMap<string, Float32Array>): MilModel {
  return entryOf(config).create(config, dims, initial);
}

/** Every model.arch the registry can build, in its order (benchmarks and tests iterate over it). */
export function registeredArchs(): ModelConfig['arch'][] {
  return Object.keys(ARCHS) as ModelConfig['arch'][];
}
