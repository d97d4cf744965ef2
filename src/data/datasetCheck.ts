// Every check a dataset must pass before training, in one pass that lists all problems at once: the
// scan of each fold (files, labels, headers, splits), what training needs of the splits, and every
// bag's feature values (read in the reader thread). `aem-train` runs it before any run starts and
// `inspect` shows its result, so the two never disagree.
import type { DataConfig } from '../config/schema.js';
import { BagReaderPool } from './bagReaderPool.js';
import { scanDataset, type DatasetScan, type ScannedSlide } from './datasetScan.js';
import { float16ToNumber } from './float16.js';
import { foldsOf } from './splits.js';
import { featureValueProblem, splitProblems, splitWarnings } from './trainingChecks.js';
import { DataError, type Bag, type DataProblem } from './types.js';

export interface DatasetCheckOptions {
  /** Check this fold only (default: every fold the split has). */
  fold?: number;
  /** Also sum every bag's features (for inspect). */
  sums?: boolean;
  onProgress?: (done: number, total: number) => void;
}

export interface DatasetCheck {
  /** The scan of the requested fold, else of the first. */
  scan: DatasetScan;
  /** The folds checked; [undefined] when the split has none. */
  folds: (number | undefined)[];
  problems: DataProblem[];
  warnings: DataProblem[];
  /** Sum of each read bag's feature values (float64; float16 widened exactly), with `sums`. */
  sums: Map<string, number>;
}

const CONCURRENT_READS = 2;

export function featureSum(bag: Bag): number {
  let sum = 0;
  const f = bag.features;
  if (f instanceof Uint16Array) for (let i = 0; i < f.length; i++) sum += float16ToNumber(f[i]!);
  else for (let i = 0; i < f.length; i++) sum += f[i]!;
  return sum;
}

/** Appends problems whose message is not there yet (every fold's scan repeats the fold-independent ones). */
function addNew(list: DataProblem[], more: readonly DataProblem[]): void {
  const seen = new Set(list.map((p) => p.message));
  for (const p of more) {
    if (seen.has(p.message)) continue;
    seen.add(p.message);
    list.push(p);
  }
}

function inFold(fold: number | undefined, several: boolean) {
  return (p: DataProblem): DataProblem => (several && fold !== undefined ? { ...p, message: `fold ${fold}: ${p.message}` } : p);
}

export async function checkDataset(data: DataConfig, baseDir: string, opts: DatasetCheckOptions = {}): Promise<DatasetCheck> {
  const folds = opts.fold !== undefined ? [opts.fold] : (foldsOf(data.split) ?? [undefined]);
  const problems: DataProblem[] = [];
  const warnings: DataProblem[] = [];
  let shown: DatasetScan | undefined;
  const readable = new Map<string, ScannedSlide>();
  const used = new Set<string>();
  for (const fold of folds) {
    const scan = await scanDataset(data, baseDir, fold !== undefined ? { fold } : {});
    shown ??= scan;
    addNew(problems, scan.problems);
    addNew(warnings, scan.warnings);
    const members = scan.slides.filter((s) => s.ok && s.split !== undefined && s.label !== undefined);
    // Training gets this far only with a clean scan; on a partial one these would mislead.
    if (scan.problems.length === 0) {
      const label = inFold(scan.fold, folds.length > 1);
      addNew(problems, splitProblems(members, scan.classes).map(label));
      addNew(warnings, splitWarnings(members, scan.classes).map(label));
    }
    for (const s of scan.slides) if (s.ok && s.source && s.header) readable.set(s.slideId, s);
    for (const s of members) used.add(s.slideId);
  }
  const sums = new Map<string, number>();
  addNew(problems, await readFeatureValues([...readable.values()], used, opts, sums, warnings));
  return { scan: shown as DatasetScan, folds, problems, warnings, sums };
}

/** Reads every bag once; a bad bag a run would use is a problem, one that no split uses a warning. */
async function readFeatureValues(slides: ScannedSlide[], used: Set<string>, opts: DatasetCheckOptions, sums: Map<string, number>, warnings: DataProblem[]): Promise<DataProblem[]> {
  // Per slide, in slide order whatever order the reads finish in.
  const found: { problems: DataProblem[]; warnings: DataProblem[] }[] = slides.map(() => ({ problems: [], warnings: [] }));
  if (slides.length === 0) return [];
  const reader = new BagReaderPool();
  let next = 0;
  let done = 0;
  const lane = async () => {
    while (next < slides.length) {
      const i = next++;
      const slide = slides[i] as ScannedSlide;
      const source = slide.source!;
      const out = found[i]!;
      try {
        const { bag, nonFiniteRow } = await reader.read(source, slide.slideId);
        if (opts.sums) sums.set(slide.slideId, featureSum(bag));
        const problem = featureValueProblem({ slideId: slide.slideId, file: source.path }, bag.n, nonFiniteRow);
        if (problem && used.has(slide.slideId)) out.problems.push(problem);
        else if (problem) out.warnings.push({ ...problem, message: `${problem.message} (the slide is in no split, so training does not read it)` });
      } catch (err) {
        if (!(err instanceof DataError)) throw err;
        out.problems.push(...err.problems);
      }
      opts.onProgress?.(++done, slides.length);
    }
  };
  try {
    await Promise.all(Array.from({ length: Math.min(CONCURRENT_READS, slides.length) }, lane));
  } finally {
    await reader.close();
  }
  addNew(warnings, found.flatMap((f) => f.warnings));
  return found.flatMap((f) => f.problems);
}
