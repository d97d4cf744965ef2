// Text files of a synthetic dataset: dataset.csv, the CLAM split file and manifest.json.
import type { FeatureDtype, SplitName } from './types.js';
import { SPLIT_NAMES } from './types.js';
import type { SyntheticPreset } from '../config/schema.js';
import type { PresetSpec } from './syntheticPresets.js';

export const GENERATOR_NAME = 'aem-studio-synthetic';
/** Bump whenever the generated content changes, so cached datasets are regenerated. */
export const GENERATOR_VERSION = 3;

export interface ManifestSlide {
  slideId: string;
  caseId: string;
  n: number;
  label: string;
  split: SplitName;
  lesionCount: number;
}

export interface SyntheticManifest {
  generator: typeof GENERATOR_NAME;
  version: number;
  preset: SyntheticPreset;
  seed: number;
  classes: 2 | 4;
  classNames: string[];
  dim: number;
  dtype: FeatureDtype;
  counts: Record<SplitName, number> & { slides: number; cases: number; instances: number; lesionInstances: number };
  params: PresetSpec;
  slides: ManifestSlide[];
}

/** `case_id,slide_id,label` with string labels, in slide id order. */
export function datasetCsv(slides: readonly ManifestSlide[]): string {
  const rows = slides.map((s) => `${s.caseId},${s.slideId},${s.label}`);
  return ['case_id,slide_id,label', ...rows].join('\n') + '\n';
}

/** CLAM's splits_K.csv as pandas writes it: unnamed index column, one ragged column per split. */
export function clamSplitCsv(slides: readonly ManifestSlide[]): string {
  const columns = SPLIT_NAMES.map((split) => slides.filter((s) => s.split === split).map((s) => s.slideId));
  const rows = Math.max(...columns.map((c) => c.length));
  const lines = [`,${SPLIT_NAMES.join(',')}`];
  for (let i = 0; i < rows; i++) lines.push([String(i), ...columns.map((c) => c[i] ?? '')].join(','));
  return lines.join('\n') + '\n';
}

/** The parameters that decide a dataset's content: equal keys mean the cached copy can be reused. */
export function manifestKey(m: Pick<SyntheticManifest, 'generator' | 'version' | 'preset' | 'seed' | 'classes' | 'dtype'>): string {
  return JSON.stringify([m.generator, m.version, m.preset, m.seed, m.classes, m.dtype]);
}

export function parseManifest(text: string): SyntheticManifest | undefined {
  try {
    const value: unknown = JSON.parse(text);
    if (typeof value !== 'object' || value === null) return undefined;
    const m = value as Partial<SyntheticManifest>;
    return m.generator === GENERATOR_NAME && typeof m.version === 'number' ? (m as SyntheticManifest) : undefined;
  } catch {
    return undefined;
  }
}
