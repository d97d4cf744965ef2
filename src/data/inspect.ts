// `aem-train inspect`: every slide of a dataset with its shape, label, split and feature sum, totals per
// split and class, and every problem training would stop on (reading all features, so NaN / Inf show up too).
import type { DataConfig } from '../config/schema.js';
import { checkDataset } from './datasetCheck.js';
import type { ScannedSlide } from './datasetScan.js';
import { SPLIT_NAMES, type DataProblem, type FeatureDtype, type SplitName } from './types.js';

export interface InspectSlide {
  slideId: string;
  caseId: string;
  /** Label as written in the CSV or the label attribute. */
  label: string;
  classId?: number;
  split?: SplitName;
  n?: number;
  d?: number;
  dtype?: FeatureDtype;
  /** Sum of all feature values, accumulated in float64 (float16 widened exactly first). */
  sum?: number;
  file?: string;
}

export interface SplitTotals {
  split: SplitName;
  slides: number;
  cases: number;
  instances: number;
  /** Slides per class id. */
  perClass: number[];
}

export interface ClassTotals {
  classId: number;
  name: string;
  slides: number;
  instances: number;
}

export interface InspectReport {
  format: 'clam' | 'acmil';
  features?: string;
  csv?: string;
  classes: string[];
  featureDim?: number;
  fold?: number;
  truthDir?: string;
  /** data.instanceTruth: the CSV, its tumour patches and the slides they are on. */
  instanceTruth?: { file: string; patches: number; slides: number };
  slides: InspectSlide[];
  splits: SplitTotals[];
  classTotals: ClassTotals[];
  /** Everything that stops training, all of it. */
  problems: DataProblem[];
  /** Odd but not fatal. */
  warnings: DataProblem[];
}

export { featureSum } from './datasetCheck.js';

function inspectRow(s: ScannedSlide, sum: number | undefined): InspectSlide {
  const row: InspectSlide = { slideId: s.slideId, caseId: s.caseId, label: s.labelName };
  if (s.label !== undefined) row.classId = s.label;
  if (s.split) row.split = s.split;
  if (s.source) row.file = s.source.kind === 'acmil' ? `${s.source.path}#${s.source.group}` : s.source.path;
  if (s.header) Object.assign(row, { n: s.header.n, d: s.header.d, dtype: s.header.dtype });
  if (sum !== undefined) row.sum = sum;
  return row;
}

/**
 * Runs every check training runs (checkDataset: each fold's scan, the splits, every bag's values) and
 * describes the dataset of one fold (the given one, else the first) with all problems and warnings.
 */
export async function inspectDataset(data: DataConfig, baseDir: string, opts: { fold?: number } = {}): Promise<InspectReport> {
  const check = await checkDataset(data, baseDir, { ...opts, sums: true });
  const { scan, problems } = check;
  const slides = scan.slides.map((s) => inspectRow(s, check.sums.get(s.slideId)));

  const k = scan.classes.length;
  const splits: SplitTotals[] = SPLIT_NAMES.map((split) => {
    const inSplit = slides.filter((s) => s.split === split);
    const perClass = new Array<number>(k).fill(0);
    for (const s of inSplit) if (s.classId !== undefined) perClass[s.classId]!++;
    return { split, slides: inSplit.length, cases: new Set(inSplit.map((s) => s.caseId)).size, instances: inSplit.reduce((a, s) => a + (s.n ?? 0), 0), perClass };
  });
  const classTotals: ClassTotals[] = scan.classes.map((name, classId) => {
    const ofClass = slides.filter((s) => s.classId === classId);
    return { classId, name, slides: ofClass.length, instances: ofClass.reduce((a, s) => a + (s.n ?? 0), 0) };
  });

  const report: InspectReport = { format: scan.format, classes: scan.classes, slides, splits, classTotals, problems, warnings: check.warnings };
  if (scan.features) report.features = scan.features;
  if (scan.csv) report.csv = scan.csv;
  if (scan.featureDim !== undefined) report.featureDim = scan.featureDim;
  if (scan.fold !== undefined) report.fold = scan.fold;
  if (scan.truthDir) report.truthDir = scan.truthDir;
  if (scan.tumourPatches) {
    const { file, bySlide } = scan.tumourPatches;
    report.instanceTruth = { file, patches: [...bySlide.values()].reduce((a, s) => a + s.size, 0), slides: bySlide.size };
  }
  return report;
}

function table(header: string[], rows: string[][], rightAligned: boolean[]): string[] {
  const widths = header.map((h, c) => Math.max(h.length, ...rows.map((r) => (r[c] ?? '').length)));
  const line = (cells: string[]): string =>
    cells
      .map((cell, c) => (rightAligned[c] ? cell.padStart(widths[c]!) : cell.padEnd(widths[c]!)))
      .join('  ')
      .trimEnd();
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)];
}

function formatSum(v: number | undefined): string {
  if (v === undefined) return '-';
  return Math.abs(v) >= 1e6 || (v !== 0 && Math.abs(v) < 1e-3) ? v.toExponential(6) : v.toFixed(6);
}

/** A plain-text report for a terminal: the dataset line, a slide table, split totals, then problems and warnings. */
export function formatInspectReport(r: InspectReport): string {
  const out: string[] = [];
  const dim = r.featureDim !== undefined ? `, D = ${r.featureDim}` : '';
  const fold = r.fold !== undefined ? `, fold ${r.fold}` : '';
  out.push(`${r.format} dataset: ${r.slides.length} slides, ${r.classes.length} classes (${r.classes.map((c, i) => `${i} = ${c}`).join(', ')})${dim}${fold}`);
  if (r.features) out.push(`features: ${r.features}`);
  if (r.csv) out.push(`csv:      ${r.csv}`);
  if (r.truthDir) out.push(`truth:    ${r.truthDir}`);
  if (r.instanceTruth) {
    const t = r.instanceTruth;
    out.push(`truth:    ${t.file} (${t.patches} tumour patch${t.patches === 1 ? '' : 'es'} on ${t.slides} slide${t.slides === 1 ? '' : 's'})`);
  }
  out.push('');
  out.push(
    ...table(
      ['slide', 'case', 'split', 'label', 'n', 'd', 'dtype', 'sum'],
      r.slides.map((s) => [s.slideId, s.caseId, s.split ?? '-', s.label, s.n?.toString() ?? '-', s.d?.toString() ?? '-', s.dtype ?? '-', formatSum(s.sum)]),
      [false, false, false, false, true, true, false, true],
    ),
  );
  out.push('');
  const totalRow = (name: string, t: { slides: number; cases: number; instances: number; perClass: number[] }): string[] => [name, String(t.slides), String(t.cases), String(t.instances), ...t.perClass.map(String)];
  const sum = r.splits.reduce(
    (a, s) => ({ slides: a.slides + s.slides, cases: a.cases + s.cases, instances: a.instances + s.instances, perClass: a.perClass.map((v, i) => v + (s.perClass[i] ?? 0)) }),
    { slides: 0, cases: 0, instances: 0, perClass: r.classes.map(() => 0) },
  );
  out.push(
    ...table(
      ['split', 'slides', 'cases', 'instances', ...r.classes],
      [...r.splits.map((s) => totalRow(s.split, s)), totalRow('total', sum)],
      [false, true, true, true, ...r.classes.map(() => true)],
    ),
  );
  out.push('');
  out.push(r.problems.length === 0 ? 'No problems found.' : `${r.problems.length} problem${r.problems.length > 1 ? 's' : ''}:`);
  for (const p of r.problems) out.push(`  - ${p.message}`);
  if (r.warnings.length > 0) {
    out.push(`${r.warnings.length} warning${r.warnings.length > 1 ? 's' : ''}:`);
    for (const w of r.warnings) out.push(`  - ${w.message}`);
  }
  return out.join('\n');
}
