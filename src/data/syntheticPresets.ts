// Size and difficulty of each synthetic dataset preset.
import type { SyntheticPreset } from '../config/schema.js';
import type { FeatureDtype } from './types.js';

export interface PresetSpec {
  /** Slides per split; train and val come from the training hospital, test from the other one. */
  counts: { train: number; val: number; test: number };
  dim: number;
  /** Bag size: log-normal with this median and log-sd, clipped to [min, max]. */
  bag: { median: number; sigma: number; min: number; max: number };
  /** Tissue clusters in the feature space (one of them mimics the lesion along its direction). */
  clusters: number;
  /** Lesion shift along the lesion direction, in units of the instance noise sd. */
  signal: number;
  dtype: FeatureDtype;
}

export const PRESETS: Readonly<Record<SyntheticPreset, PresetSpec>> = {
  tiny: {
    counts: { train: 28, val: 8, test: 12 },
    dim: 32,
    bag: { median: 80, sigma: 0.7, min: 20, max: 300 },
    clusters: 4,
    signal: 5,
    dtype: 'float32',
  },
  demo: {
    counts: { train: 70, val: 20, test: 30 },
    dim: 128,
    bag: { median: 400, sigma: 0.7, min: 50, max: 3000 },
    clusters: 6,
    signal: 5,
    dtype: 'float32',
  },
  'c16-like': {
    counts: { train: 230, val: 40, test: 130 },
    dim: 1024,
    bag: { median: 6000, sigma: 0.75, min: 200, max: 40000 },
    clusters: 8,
    signal: 5,
    dtype: 'float16',
  },
};

/** Lesion fraction of a positive bag: log-uniform in [min, max]; at least one instance. */
export const LESION_FRACTION = { min: 0.005, max: 0.1 } as const;

export const PATCH_SIZE = 256;
export const PATCH_LEVEL = 0;
