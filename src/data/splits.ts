// Train / val / test assignment: CLAM split files, a CSV column, a seeded stratified split by case, k-fold.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { SeededRandom } from '../util/seededRandom.js';
import type { SplitConfig } from '../config/schema.js';
import { parseCsvCells } from './labelsCsv.js';
import { dataProblem, errorText } from './problems.js';
import { SPLIT_NAMES, type DataProblem, type SplitName } from './types.js';

export interface SplitSlide {
  slideId: string;
  caseId: string;
  label: number;
  /** Extra CSV columns (for a split column). */
  extra: Record<string, string>;
}

export interface SplitResult {
  /** Split of each slide that takes part; slides left out of a split file are absent. */
  bySlide: Map<string, SplitName>;
  /** The fold used, when the split has folds. */
  fold?: number;
}

/** The folds an experiment runs: clam with folds, kfold with folds or 0..k-1; undefined when the split has none. */
export function foldsOf(split: SplitConfig | undefined): number[] | undefined {
  if (split?.kind === 'clam') return split.folds ? [...split.folds] : undefined;
  if (split?.kind === 'kfold') return split.folds ? [...split.folds] : [...Array(split.k).keys()];
  return undefined;
}

export const DEFAULT_SPLIT: SplitConfig = { kind: 'random', seed: 0, val: 0.15, test: 0.25 };

export type ClamSplits = Record<SplitName, string[]>;

function splitColumns(header: string[]): Map<SplitName, number> {
  const cols = new Map<SplitName, number>();
  header.forEach((h, i) => {
    const name = h.trim().toLowerCase();
    if (i > 0 && (SPLIT_NAMES as readonly string[]).includes(name)) cols.set(name as SplitName, i);
  });
  return cols;
}

const BOOL = /^(true|false|1|0)$/i;

/**
 * Reads a CLAM split file: splits_K.csv (ragged train / val / test columns of slide ids after an unnamed
 * index column) or splits_K_bool.csv (index = slide id, True/False per split). The format is detected.
 */
export async function readClamSplitFile(file: string, problems: DataProblem[]): Promise<ClamSplits | undefined> {
  let cells: string[][];
  try {
    cells = parseCsvCells(await readFile(file, 'utf8'));
  } catch (err) {
    const missing = err instanceof Error && 'code' in err && err.code === 'ENOENT';
    problems.push(dataProblem(missing ? 'the split file does not exist' : `cannot read the split file (${errorText(err)})`, 'Check data.split.file (relative paths resolve against the experiment file\'s folder; "{fold}" is replaced by the fold)', { file }));
    return undefined;
  }
  const header = cells[0] ?? [];
  const cols = splitColumns(header);
  const missing = SPLIT_NAMES.filter((s) => !cols.has(s));
  if (missing.length > 0) {
    problems.push(dataProblem(`the split file lacks the column${missing.length > 1 ? 's' : ''} ${missing.join(', ')} (it has: ${header.join(', ')})`, 'Use a CLAM splits_K.csv (columns train, val, test) or splits_K_bool.csv', { file }));
    return undefined;
  }
  const body = cells.slice(1);
  const isBool = body.length > 0 && body.every((row) => SPLIT_NAMES.every((s) => BOOL.test(row[cols.get(s)!] ?? '')));
  const out: ClamSplits = { train: [], val: [], test: [] };
  if (isBool) {
    body.forEach((row, r) => {
      const slide = row[0] ?? '';
      const inSplits = SPLIT_NAMES.filter((s) => /^(true|1)$/i.test(row[cols.get(s)!] ?? ''));
      if (slide === '' || inSplits.length > 1) {
        problems.push(dataProblem(`line ${r + 2} ${slide === '' ? 'has no slide id' : `puts ${slide} in ${inSplits.join(' and ')}`}`, 'Each slide belongs to at most one split', { file }));
        return;
      }
      const s = inSplits[0];
      if (s) out[s].push(slide);
    });
  } else {
    for (const s of SPLIT_NAMES) {
      for (const row of body) {
        const v = row[cols.get(s)!] ?? '';
        if (v !== '') out[s].push(v);
      }
    }
  }
  return out;
}

interface CaseGroup {
  caseId: string;
  /** Highest class id among the case's slides (a patient with any tumour slide is stratified as tumour). */
  stratum: number;
}

function casesOf(slides: SplitSlide[]): CaseGroup[] {
  const byCase = new Map<string, number>();
  for (const s of slides) byCase.set(s.caseId, Math.max(byCase.get(s.caseId) ?? -1, s.label));
  return [...byCase].map(([caseId, stratum]) => ({ caseId, stratum })).sort((a, b) => (a.caseId < b.caseId ? -1 : a.caseId > b.caseId ? 1 : 0));
}

/** Cases of each stratum, each list shuffled by the seed; strata in ascending order. */
function shuffledStrata(cases: CaseGroup[], seed: number): string[][] {
  const rng = SeededRandom.fromSeed(seed | 0);
  const strata = [...new Set(cases.map((c) => c.stratum))].sort((a, b) => a - b);
  return strata.map((s) => rng.shuffle(cases.filter((c) => c.stratum === s).map((c) => c.caseId)));
}

/** Splits `total` over groups in proportion to their sizes (largest remainder), never more than caps. */
function apportion(sizes: number[], caps: number[], total: number): number[] {
  const sum = sizes.reduce((a, b) => a + b, 0);
  if (sum === 0) return sizes.map(() => 0);
  const ideal = sizes.map((s) => (total * s) / sum);
  const out = ideal.map((x, i) => Math.min(Math.floor(x), caps[i]!));
  let left = total - out.reduce((a, b) => a + b, 0);
  const order = ideal.map((x, i) => ({ i, rem: x - Math.floor(x) })).sort((a, b) => b.rem - a.rem || a.i - b.i);
  while (left > 0) {
    let gave = false;
    for (const { i } of order) {
      if (left > 0 && out[i]! < caps[i]!) {
        out[i]!++;
        left--;
        gave = true;
      }
    }
    if (!gave) break;
  }
  return out;
}

/** Seeded split by case, stratified by the case's label: about `test` and `val` of the cases, the rest train. */
export function randomSplitByCase(slides: SplitSlide[], seed: number, val: number, test: number): Map<string, SplitName> {
  const strata = shuffledStrata(casesOf(slides), seed);
  const n = strata.reduce((a, s) => a + s.length, 0);
  let nTest = Math.round(n * test);
  let nVal = Math.round(n * val);
  // Keep at least one training case.
  while (nTest + nVal > n - 1 && nTest + nVal > 0) {
    if (nVal >= nTest && nVal > 0) nVal--;
    else nTest--;
  }
  const sizes = strata.map((s) => s.length);
  const testPer = apportion(sizes, sizes, nTest);
  const valPer = apportion(sizes, sizes.map((s, i) => s - testPer[i]!), nVal);
  const byCase = new Map<string, SplitName>();
  strata.forEach((cases, i) => {
    cases.forEach((c, j) => byCase.set(c, j < testPer[i]! ? 'test' : j < testPer[i]! + valPer[i]! ? 'val' : 'train'));
  });
  return new Map(slides.map((s) => [s.slideId, byCase.get(s.caseId)!]));
}

/** Stratified k-fold by case: cases dealt round-robin into k parts; fold i tests on part i, validates on part (i+1) mod k. */
export function kfoldSplitByCase(slides: SplitSlide[], k: number, seed: number, fold: number): Map<string, SplitName> {
  const part = new Map<string, number>();
  let dealt = 0;
  for (const cases of shuffledStrata(casesOf(slides), seed)) {
    for (const c of cases) part.set(c, dealt++ % k);
  }
  const valPart = (fold + 1) % k;
  return new Map(
    slides.map((s) => {
      const p = part.get(s.caseId)!;
      return [s.slideId, p === fold ? 'test' : p === valPart ? 'val' : 'train'];
    }),
  );
}

function fromColumn(slides: SplitSlide[], column: string, csvFile: string | undefined, problems: DataProblem[]): Map<string, SplitName> {
  const out = new Map<string, SplitName>();
  const aliases: Record<string, SplitName> = { train: 'train', training: 'train', val: 'val', valid: 'val', validation: 'val', test: 'test', testing: 'test' };
  for (const s of slides) {
    const raw = s.extra[column];
    if (raw === undefined) {
      problems.push(dataProblem(`the dataset CSV has no column "${column}" named by data.split.column`, 'Add the column (train / val / test per slide) or change data.split', csvFile ? { file: csvFile } : {}));
      return out;
    }
    const split = aliases[raw.trim().toLowerCase()];
    if (!split) {
      problems.push(dataProblem(`split column "${column}" says "${raw}"`, 'Use train, val or test', { ...(csvFile ? { file: csvFile } : {}), slideId: s.slideId }));
      continue;
    }
    out.set(s.slideId, split);
  }
  return out;
}

export interface SplitContext {
  baseDir: string;
  fold: number | undefined;
  csvFile: string | undefined;
  /** Every slide id the dataset knows, usable or not (a split naming one of these is not "unknown"). */
  knownSlides: Set<string>;
}

/**
 * Assigns every usable slide a split. Problems: unreadable split files, slides a split names that the
 * dataset does not have, a slide in two splits, an empty split, a fold out of range. Warnings: slides a
 * split file leaves out (they are not used), patients whose slides straddle splits.
 */
export async function assignSplits(split: SplitConfig | undefined, slides: SplitSlide[], ctx: SplitContext, problems: DataProblem[], warnings: DataProblem[]): Promise<SplitResult> {
  const cfg = split ?? DEFAULT_SPLIT;
  const folds = foldsOf(cfg);
  const fold = ctx.fold ?? folds?.[0];
  const result: SplitResult = { bySlide: new Map() };
  if (fold !== undefined && folds) result.fold = fold;
  const usable = new Set(slides.map((s) => s.slideId));
  // The file that defines the splits, for messages about them.
  let definedIn = cfg.kind === 'column' ? ctx.csvFile : undefined;

  if (cfg.kind === 'clam') {
    const file = path.resolve(ctx.baseDir, cfg.file.replaceAll('{fold}', String(fold ?? 0)));
    definedIn = file;
    const read = await readClamSplitFile(file, problems);
    if (!read) return result;
    const where = new Map<string, SplitName>();
    for (const s of SPLIT_NAMES) {
      for (const id of read[s]) {
        const prev = where.get(id);
        if (prev !== undefined) {
          problems.push(dataProblem(`the split file puts ${id} in both ${prev} and ${s}`, 'Each slide belongs to one split', { file, slideId: id }));
          continue;
        }
        where.set(id, s);
        if (!ctx.knownSlides.has(id)) {
          problems.push(dataProblem(`the split file names ${id} (${s}), which is not in the dataset`, 'Use the split file made for this dataset CSV, or add the slide', { file, slideId: id }));
        } else if (usable.has(id)) {
          result.bySlide.set(id, s);
        }
      }
    }
    const left = slides.filter((s) => !where.has(s.slideId));
    if (left.length > 0) {
      warnings.push(dataProblem(`${left.length} slide${left.length > 1 ? 's are' : ' is'} in no split and will not be used (${left.slice(0, 5).map((s) => s.slideId).join(', ')}${left.length > 5 ? ', ...' : ''})`, 'Add them to the split file if they should take part', { file }));
    }
  } else if (cfg.kind === 'column') {
    result.bySlide = fromColumn(slides, cfg.column, ctx.csvFile, problems);
  } else if (cfg.kind === 'random') {
    result.bySlide = randomSplitByCase(slides, cfg.seed, cfg.val, cfg.test);
  } else {
    if (fold === undefined || fold < 0 || fold >= cfg.k) {
      problems.push(dataProblem(`fold ${fold} does not exist for ${cfg.k}-fold cross-validation`, `Use folds 0 to ${cfg.k - 1} in data.split.folds`));
      return result;
    }
    result.bySlide = kfoldSplitByCase(slides, cfg.k, cfg.seed, fold);
  }

  // Training needs all three (val picks the best epoch), so an empty one is a problem whatever made it.
  if (usable.size > 0) {
    for (const s of SPLIT_NAMES) {
      if (![...result.bySlide.values()].includes(s)) {
        problems.push(dataProblem(`the ${s} split is empty`, definedIn ? `Give the ${s} split some slides` : 'Use more slides, or change the split fractions / k', definedIn ? { file: definedIn } : {}));
      }
    }
  }
  warnStraddlingCases(slides, result.bySlide, warnings);
  return result;
}

function warnStraddlingCases(slides: SplitSlide[], bySlide: Map<string, SplitName>, warnings: DataProblem[]): void {
  const splitsOfCase = new Map<string, Set<SplitName>>();
  for (const s of slides) {
    const sp = bySlide.get(s.slideId);
    if (!sp) continue;
    const set = splitsOfCase.get(s.caseId) ?? new Set();
    set.add(sp);
    splitsOfCase.set(s.caseId, set);
  }
  const straddling = [...splitsOfCase].filter(([, set]) => set.size > 1).map(([c]) => c);
  if (straddling.length > 0) {
    warnings.push(dataProblem(`${straddling.length} patient${straddling.length > 1 ? 's have' : ' has'} slides in more than one split (${straddling.slice(0, 5).join(', ')}${straddling.length > 5 ? ', ...' : ''}), which leaks between train and evaluation`, 'Split by case_id'));
  }
}
