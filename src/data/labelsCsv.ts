// The dataset CSV (case_id, slide_id, label; extra columns kept) and the label -> class mapping.
import { readFile } from 'node:fs/promises';
import { parse } from 'csv-parse/sync';
import { dataProblem, errorText } from './problems.js';
import type { DataProblem } from './types.js';

export interface CsvRow {
  slideId: string;
  /** Empty when the CSV has no case_id column. */
  caseId: string;
  /** Empty when the CSV has no label column. */
  label: string;
  /** The other columns, as text. */
  extra: Record<string, string>;
  /** 1-based line in the file (the header is line 1). */
  line: number;
}

export interface DatasetCsv {
  file: string;
  columns: string[];
  rows: CsvRow[];
}

const CLAM_FIX = 'A dataset CSV needs the columns case_id, slide_id and label, one row per slide (as CLAM\'s dataset_csv files)';

/** Parses CSV text into rows of cells (BOM, blank lines and surrounding spaces ignored). */
export function parseCsvCells(text: string): string[][] {
  return parse(text, { bom: true, skip_empty_lines: true, trim: true, relax_column_count: true, relax_quotes: true }) as string[][];
}

/**
 * Reads the dataset CSV. `need` lists the columns that must be there; problems go to `problems` (all of
 * them: missing columns, empty cells, duplicate slide ids). Returns undefined when the file is unusable.
 */
export async function readDatasetCsv(file: string, need: readonly ('case_id' | 'slide_id' | 'label')[], problems: DataProblem[]): Promise<DatasetCsv | undefined> {
  let cells: string[][];
  try {
    cells = parseCsvCells(await readFile(file, 'utf8'));
  } catch (err) {
    const missing = err instanceof Error && 'code' in err && err.code === 'ENOENT';
    problems.push(dataProblem(missing ? 'the dataset CSV does not exist' : `cannot read the dataset CSV (${errorText(err)})`, 'Check data.csv (relative paths resolve against the experiment file\'s folder)', { file }));
    return undefined;
  }
  const header = (cells[0] ?? []).map((c) => c.trim());
  const lower = header.map((c) => c.toLowerCase());
  const col = (name: string): number => lower.indexOf(name);
  const missing = need.filter((c) => col(c) < 0);
  if (missing.length > 0) {
    problems.push(dataProblem(`the dataset CSV lacks the column${missing.length > 1 ? 's' : ''} ${missing.join(', ')} (it has: ${header.join(', ') || 'nothing'})`, CLAM_FIX, { file }));
    return undefined;
  }
  const iSlide = col('slide_id');
  const iCase = col('case_id');
  const iLabel = col('label');
  const rows: CsvRow[] = [];
  const firstLine = new Map<string, number>();
  for (let r = 1; r < cells.length; r++) {
    const row = cells[r]!;
    const line = r + 1;
    const slideId = row[iSlide] ?? '';
    if (slideId === '') {
      problems.push(dataProblem(`line ${line} has no slide_id`, 'Fill in the slide_id or delete the line', { file }));
      continue;
    }
    const seen = firstLine.get(slideId);
    if (seen !== undefined) {
      problems.push(dataProblem(`slide_id ${slideId} appears twice in the dataset CSV (lines ${seen} and ${line})`, 'Keep one row per slide', { file, slideId }));
      continue;
    }
    firstLine.set(slideId, line);
    const caseId = iCase >= 0 ? (row[iCase] ?? '') : '';
    // Quoted cells keep their spaces through the parser: "Tumor " is the class "Tumor".
    const label = iLabel >= 0 ? (row[iLabel] ?? '').trim() : '';
    if (need.includes('case_id') && caseId === '') {
      problems.push(dataProblem(`line ${line} has no case_id`, 'Fill in the patient (case) id; slides of one patient share it', { file, slideId }));
      continue;
    }
    if (need.includes('label') && label === '') {
      problems.push(dataProblem(`line ${line} has no label`, 'Fill in the label or delete the line', { file, slideId }));
      continue;
    }
    const extra: Record<string, string> = {};
    header.forEach((name, i) => {
      if (i !== iSlide && i !== iCase && i !== iLabel && name !== '') extra[name] = row[i] ?? '';
    });
    rows.push({ slideId, caseId, label, extra, line });
  }
  if (rows.length === 0 && problems.length === 0) {
    problems.push(dataProblem('the dataset CSV has no rows', CLAM_FIX, { file }));
  }
  return { file, columns: header, rows };
}

export interface LabelMapping {
  /** Class names, index = class id (names mapped to one id are joined with "/"). */
  classes: string[];
  index: Map<string, number>;
}

function isNumeric(s: string): boolean {
  return s.trim() !== '' && Number.isFinite(Number(s));
}

/**
 * Label name -> class id: the explicit `mapping` (data.labels) when given, else the sorted unique names
 * (numerically when all are numbers). Needs 2 or more classes; ids must be 0..K-1 without gaps.
 * Labels outside an explicit mapping are reported by the caller, which knows the slides.
 */
export function labelMapping(names: Iterable<string>, mapping: Record<string, number> | undefined, problems: DataProblem[], at: { file?: string } = {}): LabelMapping | undefined {
  const unique = [...new Set(names)];
  let index: Map<string, number>;
  if (mapping) {
    index = new Map(Object.entries(mapping).map(([name, id]) => [name.trim(), id]));
    const ids = new Set(index.values());
    const k = Math.max(-1, ...ids) + 1;
    const gaps = [...Array(k).keys()].filter((i) => !ids.has(i));
    if (gaps.length > 0) {
      problems.push(dataProblem(`data.labels gives no label the class id${gaps.length > 1 ? 's' : ''} ${gaps.join(', ')}`, 'Class ids must run 0, 1, ..., K-1 without gaps', at));
      return undefined;
    }
  } else {
    const sorted = unique.every(isNumeric) ? unique.sort((a, b) => Number(a) - Number(b)) : unique.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    index = new Map(sorted.map((name, i) => [name, i]));
  }
  const k = Math.max(-1, ...index.values()) + 1;
  if (k < 2) {
    const seen = unique.length > 0 ? unique.join(', ') : 'none';
    problems.push(dataProblem(`only ${k} class (labels seen: ${seen}); training needs 2 or more`, 'Check the label column, or data.labels', at));
    return undefined;
  }
  const classes = Array.from({ length: k }, (_, id) =>
    [...index]
      .filter(([, v]) => v === id)
      .map(([name]) => name)
      .join('/'),
  );
  return { classes, index };
}
