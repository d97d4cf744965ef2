// The dataset index an experiment trains on: every slide with its case, class, split and feature file.
import type { DataConfig } from '../config/schema.js';
import { scanDataset } from './datasetScan.js';
import { DataError, type DataProblem, type DatasetIndex, type SlideRecord } from './types.js';

export { foldsOf } from './splits.js';

export interface IndexOptions {
  /** Fold to build (default: the split's first fold, when it has folds). */
  fold?: number;
  /** Receives what is odd but not fatal: feature files without a CSV row, slides left out of a split file, patients straddling splits. */
  onWarning?: (warning: DataProblem) => void;
}

/**
 * Resolves data.features, data.csv and data.split.file against `baseDir`, reads the CSV, maps labels, finds
 * each slide's feature file, reads the headers (not the features), assigns splits and checks everything.
 * Throws DataError listing every problem found. Handles data.format 'clam' and 'acmil' ('synthetic' must
 * already be resolved to a clam config).
 */
export async function buildDatasetIndex(data: DataConfig, baseDir: string, opts: IndexOptions = {}): Promise<DatasetIndex> {
  const scan = await scanDataset(data, baseDir, opts.fold !== undefined ? { fold: opts.fold } : {});
  if (scan.problems.length > 0) throw new DataError(scan.problems);
  for (const w of scan.warnings) opts.onWarning?.(w);
  const slides: SlideRecord[] = [];
  for (const s of scan.slides) {
    if (!s.split || !s.source || s.label === undefined) continue;
    slides.push({ slideId: s.slideId, caseId: s.caseId, label: s.label, labelName: s.labelName, split: s.split, source: s.source, extra: s.extra });
  }
  const index: DatasetIndex = { classes: scan.classes, featureDim: scan.featureDim ?? 0, slides };
  if (scan.fold !== undefined) index.fold = scan.fold;
  if (scan.truthDir) index.truthDir = scan.truthDir;
  if (scan.tumourPatches) index.tumourPatches = scan.tumourPatches;
  return index;
}
