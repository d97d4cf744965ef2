// Gathers a dataset from its config: CSV rows, labels, feature files, headers, splits. Collects every
// problem instead of stopping at the first; buildDatasetIndex throws them, inspectDataset lists them.
import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import type { DataConfig } from '../config/schema.js';
import { listAcmilSlides } from './acmilReader.js';
import { labelMapping, readDatasetCsv, type CsvRow, type DatasetCsv } from './labelsCsv.js';
import { mapLimit } from './fileRead.js';
import { dataProblem } from './problems.js';
import { readBagHeader, type SourceHeader } from './readBag.js';
import { readTumourPatchesCsv, type TumourPatches } from './tumourPatchesCsv.js';
import { assignSplits, type SplitSlide } from './splits.js';
import { DataError, SPLIT_NAMES, type DataProblem, type FeatureSource, type SplitName } from './types.js';

export interface ScannedSlide {
  slideId: string;
  caseId: string;
  labelName: string;
  /** Class id; absent when the label is not in the mapping. */
  label?: number;
  split?: SplitName;
  source?: FeatureSource;
  header?: SourceHeader;
  extra: Record<string, string>;
  /** True when nothing is wrong with the slide itself (it may still be left out of the split). */
  ok: boolean;
}

export interface DatasetScan {
  format: 'clam' | 'acmil';
  classes: string[];
  featureDim?: number;
  /** The folder (clam) or file (acmil) the features were read from. */
  features?: string;
  csv?: string;
  slides: ScannedSlide[];
  fold?: number;
  truthDir?: string;
  /** data.instanceTruth, read and checked. */
  tumourPatches?: TumourPatches;
  problems: DataProblem[];
  warnings: DataProblem[];
}

export interface ScanOptions {
  fold?: number;
}

const WSI_EXT = /\.(svs|tif|tiff|ndpi|mrxs|scn|vms|vmu|svslide|bif|czi)$/i;
const HEADER_CONCURRENCY = 8;

async function isDir(p: string): Promise<boolean> {
  try {
    return (await stat(p)).isDirectory();
  } catch {
    return false;
  }
}

interface FeatureFiles {
  dir: string;
  kind: 'h5' | 'pt';
  /** slide id (file name without extension) -> path */
  files: Map<string, string>;
}

async function filesWithExt(dir: string, ext: string): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return out;
  }
  for (const name of names.sort()) if (name.endsWith(ext)) out.set(name.slice(0, -ext.length), path.join(dir, name));
  return out;
}

/** CLAM: <features>/h5_files or <features>/pt_files, or the feature files directly in <features>. */
async function findFeatureFiles(features: string, type: DataConfig['featureType'], problems: DataProblem[]): Promise<FeatureFiles | undefined> {
  if (!(await isDir(features))) {
    problems.push(dataProblem('the features folder does not exist', 'Set data.features to the folder holding h5_files/ or pt_files/ (relative paths resolve against the experiment file\'s folder)', { file: features }));
    return undefined;
  }
  const h5: [string, 'h5'][] = [[path.join(features, 'h5_files'), 'h5'], [features, 'h5']];
  const pt: [string, 'pt'][] = [[path.join(features, 'pt_files'), 'pt'], [features, 'pt']];
  const candidates = type === 'h5' ? h5 : type === 'pt' ? pt : [h5[0]!, pt[0]!, h5[1]!, pt[1]!];
  for (const [dir, kind] of candidates) {
    const files = await filesWithExt(dir, `.${kind}`);
    if (files.size > 0) return { dir, kind, files };
  }
  const what = type === 'auto' ? '.h5 or .pt' : `.${type}`;
  problems.push(dataProblem(`no ${what} feature files in the features folder (nor in its ${type === 'pt' ? 'pt_files/' : type === 'h5' ? 'h5_files/' : 'h5_files/ or pt_files/'})`, 'Point data.features at the folder CLAM\'s feature extraction wrote, or set data.featureType', { file: features }));
  return undefined;
}

function listSome(ids: string[]): string {
  return `${ids.slice(0, 5).join(', ')}${ids.length > 5 ? `, ... (${ids.length} in all)` : ''}`;
}

/** Slides of each class the splits need at least: one each in train, val and test, or one per k-fold part. */
function slidesNeededPerClass(split: DataConfig['split']): number {
  return split?.kind === 'kfold' ? Math.max(SPLIT_NAMES.length, split.k) : SPLIT_NAMES.length;
}

/**
 * Without data.labels every distinct label is a class, so a typo is one too: warn about labels that
 * differ only in case or spaces, and about classes with fewer slides than the splits need.
 */
function warnLikelyLabelTypos(slides: ScannedSlide[], data: DataConfig, csvFile: string | undefined, warnings: DataProblem[]): void {
  if (data.labels) return;
  const at = csvFile ? { file: csvFile } : {};
  const count = new Map<string, number>();
  for (const s of slides) count.set(s.labelName, (count.get(s.labelName) ?? 0) + 1);
  const variants = new Map<string, string[]>();
  for (const label of [...count.keys()].sort()) {
    const key = label.toLowerCase().replace(/\s+/g, '');
    variants.set(key, [...(variants.get(key) ?? []), label]);
  }
  for (const labels of variants.values()) {
    if (labels.length < 2) continue;
    const listed = labels.map((l) => `"${l}" (${count.get(l)} slide${count.get(l) === 1 ? '' : 's'})`).join(', ');
    warnings.push(dataProblem(`the labels ${listed} differ only in case or spaces, and each is a class of its own`, 'Correct the labels, or set data.labels to name the classes (several labels may share a class id)', at));
  }
  const need = slidesNeededPerClass(data.split);
  for (const [label, n] of count) {
    if (n >= need) continue;
    warnings.push(dataProblem(`class "${label}" has ${n} slide${n === 1 ? '' : 's'}, fewer than the ${need} the splits need (one in each of ${data.split?.kind === 'kfold' ? `the ${need} folds` : 'train, val and test'}), so its AUROC cannot be measured`, 'Correct the label if it is a typo, or set data.labels to name the classes', { ...at, slideId: slides.find((s) => s.labelName === label)!.slideId }));
  }
}

/** Maps label names to ids; labels outside an explicit mapping become one problem per label. */
function applyLabels(slides: ScannedSlide[], data: DataConfig, csvFile: string | undefined, problems: DataProblem[], warnings: DataProblem[]): string[] {
  if (slides.length === 0) return []; // nothing readable: the reason is already reported
  const mapping = labelMapping(
    slides.map((s) => s.labelName),
    data.labels,
    problems,
    csvFile ? { file: csvFile } : {},
  );
  if (mapping) warnLikelyLabelTypos(slides, data, csvFile, warnings);
  if (!mapping) {
    for (const s of slides) s.ok = false;
    return [];
  }
  const unmapped = new Map<string, string[]>();
  for (const s of slides) {
    const id = mapping.index.get(s.labelName);
    if (id === undefined) {
      unmapped.set(s.labelName, [...(unmapped.get(s.labelName) ?? []), s.slideId]);
      s.ok = false;
    } else {
      s.label = id;
    }
  }
  for (const [label, ids] of unmapped) {
    const at = { ...(csvFile ? { file: csvFile } : {}), slideId: ids[0]! };
    problems.push(dataProblem(`label "${label}" (slides ${listSome(ids)}) is not in data.labels (${[...mapping.index.keys()].join(', ')})`, 'Add it to data.labels or correct the label', at));
  }
  return mapping.classes;
}

/** Reads headers and checks each bag: readable, not empty, coordinates matching, dimension matching the others. */
async function checkHeaders(slides: ScannedSlide[], problems: DataProblem[]): Promise<number | undefined> {
  const withSource = slides.filter((s) => s.source && !s.header);
  await mapLimit(withSource, HEADER_CONCURRENCY, async (s) => {
    try {
      s.header = await readBagHeader(s.source!, s.slideId);
    } catch (err) {
      if (!(err instanceof DataError)) throw err;
      problems.push(...err.problems);
      s.ok = false;
    }
  });
  const dims = new Map<number, number>();
  for (const s of slides) {
    const h = s.header;
    if (!h) continue;
    const file = s.source?.path;
    const at = { ...(file ? { file } : {}), slideId: s.slideId };
    if (h.n === 0) {
      problems.push(dataProblem('the bag has no instances (0 patches)', 'Remove the slide from the CSV, or extract its patches again', at));
      s.ok = false;
    }
    if (h.coordsRows !== undefined && h.coordsRows !== h.n) {
      problems.push(dataProblem(`the file has ${h.coordsRows} coordinates but ${h.n} feature rows`, 'Extract the features again so that coords and features match', at));
      s.ok = false;
    }
    dims.set(h.d, (dims.get(h.d) ?? 0) + 1);
  }
  if (dims.size === 0) return undefined;
  const [featureDim, count] = [...dims].sort((a, b) => b[1] - a[1] || a[0] - b[0])[0]!;
  for (const s of slides) {
    if (s.header && s.header.d !== featureDim) {
      const file = s.source?.path;
      problems.push(dataProblem(`the features have dimension ${s.header.d}, but ${count} other slide${count > 1 ? 's have' : ' has'} ${featureDim}`, 'All slides must come from the same feature extractor: extract this one again, or remove it', { ...(file ? { file } : {}), slideId: s.slideId }));
      s.ok = false;
    }
  }
  return featureDim;
}

function slideFromRow(row: CsvRow, fallbackCase: boolean): ScannedSlide {
  return { slideId: row.slideId, caseId: row.caseId || (fallbackCase ? row.slideId : ''), labelName: row.label, extra: row.extra, ok: true };
}

async function scanClam(data: DataConfig, baseDir: string, scan: DatasetScan): Promise<void> {
  const { problems, warnings } = scan;
  if (!data.csv) problems.push(dataProblem('data.csv is not set', 'Set data.csv to the CSV with case_id, slide_id, label'));
  if (!data.features) problems.push(dataProblem('data.features is not set', 'Set data.features to the folder holding h5_files/ or pt_files/'));
  const csv = data.csv ? await readDatasetCsv(path.resolve(baseDir, data.csv), ['case_id', 'slide_id', 'label'], problems) : undefined;
  const found = data.features ? await findFeatureFiles(path.resolve(baseDir, data.features), data.featureType, problems) : undefined;
  if (csv) scan.csv = csv.file;
  if (found) scan.features = found.dir;
  scan.slides = (csv?.rows ?? []).map((r) => slideFromRow(r, false));

  if (found) {
    const used = new Set<string>();
    for (const s of scan.slides) {
      const key = found.files.has(s.slideId) ? s.slideId : s.slideId.replace(WSI_EXT, '');
      const file = found.files.get(key);
      if (file) {
        s.source = { kind: found.kind, path: file };
        used.add(key);
      } else {
        const line = csv?.rows.find((r) => r.slideId === s.slideId)?.line;
        problems.push(dataProblem(`no feature file ${s.slideId}.${found.kind} in ${found.dir}${line ? ` (dataset CSV line ${line})` : ''}`, 'Extract the slide\'s features, or remove its row from the CSV', { file: path.join(found.dir, `${s.slideId}.${found.kind}`), slideId: s.slideId }));
        s.ok = false;
      }
    }
    const orphans = [...found.files.keys()].filter((k) => !used.has(k));
    if (orphans.length > 0 && csv) {
      warnings.push(dataProblem(`${orphans.length} feature file${orphans.length > 1 ? 's have' : ' has'} no row in the dataset CSV and ${orphans.length > 1 ? 'are' : 'is'} not used: ${listSome(orphans)}`, 'Add rows for them to the CSV if they belong to the dataset', { file: found.dir }));
    }
  }
  scan.classes = applyLabels(scan.slides, data, csv?.file, problems, warnings);
}

async function scanAcmil(data: DataConfig, baseDir: string, scan: DatasetScan): Promise<void> {
  const { problems, warnings } = scan;
  if (!data.features) {
    problems.push(dataProblem('data.features is not set', 'For data.format "acmil", set data.features to the .h5 file holding one group per slide'));
    return;
  }
  const file = path.resolve(baseDir, data.features);
  scan.features = file;
  let groups: Awaited<ReturnType<typeof listAcmilSlides>>;
  try {
    groups = await listAcmilSlides(file);
  } catch (err) {
    if (!(err instanceof DataError)) throw err;
    problems.push(...err.problems);
    return;
  }
  let csv: DatasetCsv | undefined;
  if (data.csv) {
    csv = await readDatasetCsv(path.resolve(baseDir, data.csv), ['slide_id'], problems);
    if (csv) scan.csv = csv.file;
  }
  const byGroup = new Map(groups.map((g) => [g.group, g]));
  const rows = csv ? csv.rows : groups.map((g) => ({ slideId: g.group, caseId: '', label: '', extra: {}, line: 0 }));
  for (const row of rows) {
    const s = slideFromRow(row, true);
    const g = byGroup.get(row.slideId);
    if (!g) {
      problems.push(dataProblem(`no group ${row.slideId} in the ACMIL file${row.line ? ` (dataset CSV line ${row.line})` : ''}`, 'Add the slide to the file, or remove its row from the CSV', { file, slideId: row.slideId }));
      s.ok = false;
      scan.slides.push(s);
      continue;
    }
    s.source = { kind: 'acmil', path: file, group: g.group };
    if (g.header) s.header = g.header;
    if (g.problems.length > 0) {
      problems.push(...g.problems);
      s.ok = false;
    }
    if (g.label !== undefined) s.labelName = String(g.label).trim();
    if (s.labelName === '') {
      problems.push(dataProblem(`group ${g.group} has no 'label' attribute${csv ? ' and no label in the CSV' : ''}`, 'Give each slide group a label attribute, or a CSV with a label column', { file, slideId: g.group }));
      s.ok = false;
    }
    scan.slides.push(s);
  }
  if (csv) {
    const listed = new Set(csv.rows.map((r) => r.slideId));
    const orphans = groups.map((g) => g.group).filter((g) => !listed.has(g));
    if (orphans.length > 0) {
      warnings.push(dataProblem(`${orphans.length} slide group${orphans.length > 1 ? 's have' : ' has'} no row in the dataset CSV and ${orphans.length > 1 ? 'are' : 'is'} not used: ${listSome(orphans)}`, 'Add rows for them to the CSV if they belong to the dataset', { file }));
    }
  }
  const labelled = scan.slides.filter((s) => s.labelName !== '');
  scan.classes = applyLabels(labelled, data, csv?.file, problems, warnings);
}

/** data.instanceTruth: its problems stop training; slides it lists that the dataset lacks are a warning. */
function scanTumourPatches(file: string, scan: DatasetScan): TumourPatches | undefined {
  let tumour: TumourPatches;
  try {
    tumour = readTumourPatchesCsv(file);
  } catch (err) {
    if (!(err instanceof DataError)) throw err;
    scan.problems.push(...err.problems);
    return undefined;
  }
  const known = new Set(scan.slides.map((s) => s.slideId));
  const unknown = [...tumour.bySlide.keys()].filter((id) => !known.has(id));
  if (unknown.length > 0) {
    scan.warnings.push(dataProblem(`${unknown.length} slide${unknown.length > 1 ? 's' : ''} with tumour patches ${unknown.length > 1 ? 'are' : 'is'} not in the dataset: ${listSome(unknown)}`, 'Check the slide_id spelling against the dataset CSV', { file }));
  }
  return tumour;
}

async function findTruthDir(scan: DatasetScan): Promise<string | undefined> {
  if (!scan.features) return undefined;
  const folder = scan.format === 'acmil' ? path.dirname(scan.features) : scan.features;
  for (const dir of [folder, path.dirname(folder)]) {
    const candidate = path.join(dir, 'instance_truth');
    if (await isDir(candidate)) return candidate;
  }
  return undefined;
}

/** Reads and checks a dataset (headers only, no features). Never throws DataError: problems are collected. */
export async function scanDataset(data: DataConfig, baseDir: string, opts: ScanOptions = {}): Promise<DatasetScan> {
  if (data.format === 'synthetic') {
    throw new Error('data.format "synthetic" must be resolved to a clam dataset before the data layer reads it');
  }
  const scan: DatasetScan = { format: data.format, classes: [], slides: [], problems: [], warnings: [] };
  if (data.format === 'acmil') await scanAcmil(data, baseDir, scan);
  else await scanClam(data, baseDir, scan);

  const featureDim = await checkHeaders(scan.slides, scan.problems);
  if (featureDim !== undefined) scan.featureDim = featureDim;

  const usable = scan.slides.filter((s) => s.ok && s.label !== undefined);
  const splitSlides: SplitSlide[] = usable.map((s) => ({ slideId: s.slideId, caseId: s.caseId, label: s.label!, extra: s.extra }));
  const split = await assignSplits(data.split, splitSlides, { baseDir, fold: opts.fold, csvFile: scan.csv, knownSlides: new Set(scan.slides.map((s) => s.slideId)) }, scan.problems, scan.warnings);
  for (const s of scan.slides) {
    const sp = split.bySlide.get(s.slideId);
    if (sp) s.split = sp;
  }
  if (split.fold !== undefined) scan.fold = split.fold;
  if (scan.slides.length === 0 && scan.problems.length === 0) {
    scan.problems.push(dataProblem('the dataset has no slides', 'Check data.csv and data.features'));
  }
  if (data.instanceTruth) {
    const tumour = scanTumourPatches(path.resolve(baseDir, data.instanceTruth), scan);
    if (tumour) scan.tumourPatches = tumour;
  } else {
    const truthDir = await findTruthDir(scan);
    if (truthDir) scan.truthDir = truthDir;
  }
  return scan;
}
