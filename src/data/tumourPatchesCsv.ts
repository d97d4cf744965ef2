// data.instanceTruth: a CSV of tumour patches, one row per patch, `slide_id, x, y` at the coordinates of
// the feature file's `coords` (CAMELYON16's lesion annotations turned into the patches they cover). A
// slide without rows has no tumour patch. Every bad row is a problem naming the file, the line and the fix.
import { readFileSync } from 'node:fs';
import { parse } from 'csv-parse/sync';
import { dataProblem, errorText } from './problems.js';
import { DataError, type DataProblem } from './types.js';

export interface TumourPatches {
  file: string;
  /** slide id -> the "x,y" keys of its tumour patches. */
  bySlide: Map<string, Set<string>>;
  /** Rows read (duplicates included). */
  rows: number;
}

const FIX = 'data.instanceTruth is a CSV with the columns slide_id, x, y: one row per tumour patch, at the coordinates of the feature file\'s coords';

export function patchKey(x: number, y: number): string {
  return `${x},${y}`;
}

interface CsvRecord {
  record: string[];
  info: { lines: number };
}

/** Parses the CSV text; problems (all of them) go to `problems`. Returns undefined when the file is unusable. */
export function parseTumourPatchesCsv(text: string, file: string, problems: DataProblem[]): TumourPatches | undefined {
  let records: CsvRecord[];
  try {
    records = parse(text, { bom: true, skip_empty_lines: true, trim: true, relax_column_count: true, info: true }) as unknown as CsvRecord[];
  } catch (err) {
    problems.push(dataProblem(`is not a readable CSV (${errorText(err)})`, FIX, { file }));
    return undefined;
  }
  const header = (records[0]?.record ?? []).map((c) => c.toLowerCase());
  const col = { slide: header.indexOf('slide_id'), x: header.indexOf('x'), y: header.indexOf('y') };
  const missing = (['slide_id', 'x', 'y'] as const).filter((c) => header.indexOf(c) < 0);
  if (missing.length > 0) {
    problems.push(dataProblem(`lacks the column${missing.length > 1 ? 's' : ''} ${missing.join(', ')} (line 1 has: ${records[0]?.record.join(', ') || 'nothing'})`, FIX, { file }));
    return undefined;
  }
  const before = problems.length;
  const bySlide = new Map<string, Set<string>>();
  let rows = 0;
  for (const { record, info } of records.slice(1)) {
    const line = info.lines;
    const slideId = record[col.slide] ?? '';
    const cell = (i: number): string => record[i] ?? '';
    const x = cell(col.x);
    const y = cell(col.y);
    if (slideId === '') {
      problems.push(dataProblem(`line ${line} has no slide_id`, 'Fill in the slide_id or delete the line', { file }));
      continue;
    }
    const bad = [['x', x], ['y', y]].filter(([, v]) => !/^-?\d+$/.test(v as string));
    if (bad.length > 0) {
      const what = bad.map(([name, v]) => `${name} "${v}"`).join(' and ');
      problems.push(dataProblem(`line ${line} (slide ${slideId}): ${what} ${bad.length > 1 ? 'are' : 'is'} not a whole number`, 'Give the patch\'s top-left pixel coordinates as in the feature file\'s coords (integers)', { file }));
      continue;
    }
    let set = bySlide.get(slideId);
    if (!set) bySlide.set(slideId, (set = new Set()));
    set.add(patchKey(Number(x), Number(y)));
    rows++;
  }
  if (problems.length > before) return undefined;
  return { file, bySlide, rows };
}

/** Reads data.instanceTruth; throws DataError listing every problem. */
export function readTumourPatchesCsv(file: string): TumourPatches {
  const problems: DataProblem[] = [];
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    const missing = (err as NodeJS.ErrnoException).code === 'ENOENT';
    throw new DataError([dataProblem(missing ? 'the instance truth CSV does not exist' : `cannot read the instance truth CSV (${errorText(err)})`, 'Check data.instanceTruth (relative paths resolve against the experiment file\'s folder)', { file })]);
  }
  const parsed = parseTumourPatchesCsv(text, file, problems);
  if (!parsed) throw new DataError(problems);
  return parsed;
}

/** One byte per instance (1 = tumour) of a bag with these coordinates ([n, 2]); `unmatched` counts listed patches no instance has. */
export function truthFromPatches(patches: Set<string> | undefined, coords: ArrayLike<number>, n: number): { truth: Uint8Array; unmatched: number } {
  const truth = new Uint8Array(n);
  if (!patches || patches.size === 0) return { truth, unmatched: 0 };
  const found = new Set<string>();
  for (let i = 0; i < n; i++) {
    const key = patchKey(coords[2 * i] as number, coords[2 * i + 1] as number);
    if (patches.has(key)) {
      truth[i] = 1;
      found.add(key);
    }
  }
  return { truth, unmatched: patches.size - found.size };
}
