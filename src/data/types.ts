// Shapes shared by the readers, the dataset index, the bag cache and the engine.
import type { TumourPatches } from './tumourPatchesCsv.js';

export type FeatureDtype = 'float32' | 'float16';
export type SplitName = 'train' | 'val' | 'test';
export const SPLIT_NAMES: readonly SplitName[] = ['train', 'val', 'test'];

/** Where one slide's features live. */
export type FeatureSource =
  | { kind: 'h5'; path: string }
  | { kind: 'pt'; path: string }
  | { kind: 'acmil'; path: string; group: string };

/** What a reader learns from a file's header without reading the features. */
export interface BagHeader {
  n: number;
  d: number;
  dtype: FeatureDtype;
  hasCoords: boolean;
  /** Bytes the features take in memory (n * d * bytes per element). */
  bytes: number;
}

/** One slide's features, row-major [n, d]. float16 stays as its raw bits (Uint16Array). */
export interface Bag {
  slideId: string;
  n: number;
  d: number;
  dtype: FeatureDtype;
  features: Float32Array | Uint16Array;
  /** [n, 2] pixel coordinates (x, y) at the patch level, when the file has them. */
  coords?: Int32Array;
  /** Per-instance truth (1 = tumour) where the dataset has it (synthetic data). */
  instanceTruth?: Uint8Array;
}

export interface SlideRecord {
  slideId: string;
  caseId: string;
  label: number;
  labelName: string;
  split: SplitName;
  source: FeatureSource;
  /** Extra CSV columns, kept as text. */
  extra: Record<string, string>;
}

export interface DatasetIndex {
  /** Class names, index = class id. */
  classes: string[];
  featureDim: number;
  slides: SlideRecord[];
  /** Fold this index was built for, when the split has folds. */
  fold?: number;
  /** Folder with instance-level truth files (<slide_id>.u8, one byte per instance), when present. */
  truthDir?: string;
  /** data.instanceTruth: tumour patches by coordinates (the bag's coords say which instances they are). */
  tumourPatches?: TumourPatches;
}

/** One problem found in the input data; the message names the file or slide and says what to do. */
export interface DataProblem {
  message: string;
  file?: string;
  slideId?: string;
}

/** Thrown when the data is invalid. Carries every problem found, not just the first. */
export class DataError extends Error {
  constructor(readonly problems: DataProblem[]) {
    super(problems.map((p) => p.message).join('\n'));
    this.name = 'DataError';
  }
}
