// model.arch -> how to build that model: its parameters' shapes, their seeded initial values and the
// MilModel itself. Adding an architecture touches its own file and this table.
import type { ModelConfig } from '../../config/schema.js';
import { DataError } from '../../data/types.js';
import type { SeededRandom } from '../../util/seededRandom.js';
import { abmilParamShapes, GatedAbmil, initAbmilParams } from './abmil.js';
import { Dsmil, dsmilParamShapes, initDsmilParams, type DsmilShape } from './dsmil.js';
import { initMhaParams, mhaParamShapes, MultiHeadAttentionMil, type MhaShape } from './mha.js';
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
}

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
  },
  dsmil: {
    paramShapes: (c, d) => dsmilParamShapes(dsmilShapeOf(c, d)),
    initParams: (c, d, rng) => initDsmilParams(dsmilShapeOf(c, d), rng),
    create: (c, d, initial) => new Dsmil(dsmilShapeOf(c, d), initial),
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

export function createModel(config: ModelConfig, dims: ModelDims, initial: ReadonlyMap<string, Float32Array>): MilModel {
  return entryOf(config).create(config, dims, initial);
}

/** Every model.arch the registry can build, in its order (benchmarks and tests iterate over it). */
export function registeredArchs(): ModelConfig['arch'][] {
  return Object.keys(ARCHS) as ModelConfig['arch'][];
}
