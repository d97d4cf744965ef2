// Parses a run's predictions-best.csv / predictions-last.csv (slide_id, split, label, label_name,
// predicted, p_<class>..., epoch) into typed rows. Pure: the caller reads the file.
import { parse } from 'csv-parse/sync';

export interface PredictionRecord {
  slideId: string;
  split: string;
  label: number;
  labelName: string;
  /** Index of the class with the highest probability. */
  predicted: number;
  probs: number[];
  epoch: number;
}

export interface PredictionsTable {
  classes: string[];
  rows: PredictionRecord[];
}

export function parsePredictionsCsv(text: string, file: string): PredictionsTable {
  const records = parse(text, { bom: true, skip_empty_lines: true, relax_column_count: false }) as string[][];
  const header = records[0];
  if (!header) throw new Error(`${file}: empty predictions file`);
  const col = (name: string): number => {
    const i = header.indexOf(name);
    if (i < 0) throw new Error(`${file}: no "${name}" column (found ${header.join(', ')})`);
    return i;
  };
  const [slideCol, splitCol, labelCol, nameCol, epochCol] = ['slide_id', 'split', 'label', 'label_name', 'epoch'].map(col) as [number, number, number, number, number];
  const probCols = header.flatMap((h, i) => (h.startsWith('p_') ? [i] : []));
  if (probCols.length < 2) throw new Error(`${file}: needs a p_<class> column per class, found ${probCols.length}`);
  const classes = probCols.map((i) => (header[i] as string).slice(2));
  const rows = records.slice(1).map((r, line) => {
    const num = (i: number): number => {
      const v = Number(r[i]);
      if (!Number.isFinite(v)) throw new Error(`${file}: line ${line + 2}: "${r[i] ?? ''}" in column ${header[i] ?? i} is not a number`);
      return v;
    };
    const probs = probCols.map(num);
    let predicted = 0;
    for (let c = 1; c < probs.length; c++) if ((probs[c] as number) > (probs[predicted] as number)) predicted = c;
    return { slideId: r[slideCol] ?? '', split: r[splitCol] ?? '', label: num(labelCol), labelName: r[nameCol] ?? '', predicted, probs, epoch: num(epochCol) };
  });
  return { classes, rows };
}
