// The data of the live charts as one CSV: a row per run and epoch (epochs counted from 1, as the charts
// show them), raw values (no smoothing), the test entropy per head of multi-head runs
// (test_entropy_head1, test_entropy_normalised_head1, ...; only when a run has heads), and the top-k
// cumulative attention on test as test_top<k> columns at the k the panel keeps.
import type { ChartEpoch, ChartRunInfo } from '../protocol/liveCharts.js';
import { headLabel } from './heads.js';

export type CsvEpoch = Omit<ChartEpoch, 'testTopk'> & { testTopk: ArrayLike<number> };

export interface CsvRun {
  run: Pick<ChartRunInfo, 'runId' | 'experiment' | 'configLabel' | 'seed'>;
  epochs: readonly CsvEpoch[];
  /** k of each kept top-k value (1-based), in the order of `testTopk`. */
  topkKs: readonly number[];
  bestEpoch: number | null;
}

const SCALAR_COLUMNS: [string, (e: CsvEpoch) => number | null][] = [
  ['train_loss', (e) => e.trainLoss],
  ['val_loss', (e) => e.val.loss],
  ['test_loss', (e) => e.test.loss],
  ['val_auroc', (e) => e.val.auroc],
  ['test_auroc', (e) => e.test.auroc],
  ['val_f1', (e) => e.val.f1],
  ['test_f1', (e) => e.test.f1],
  ['val_accuracy', (e) => e.val.accuracy],
  ['test_accuracy', (e) => e.test.accuracy],
  ['val_entropy', (e) => e.val.entropy],
  ['test_entropy', (e) => e.test.entropy],
  ['val_entropy_normalised', (e) => e.val.entropyNormalised],
  ['test_entropy_normalised', (e) => e.test.entropyNormalised],
  ['lambda', (e) => e.lambda],
  ['lr', (e) => e.lr],
  ['bags_per_second', (e) => e.bagsPerSecond],
];

export function csvField(value: string | number | null): string {
  if (value === null) return '';
  const text = String(value);
  return /[",\n\r]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

export function buildChartsCsv(runs: readonly CsvRun[]): string {
  const ks = [...new Set(runs.flatMap((r) => r.topkKs))].sort((a, b) => a - b);
  const heads = headColumns(runs);
  const header = [
    'experiment',
    'run',
    'config',
    'seed',
    'epoch',
    'best',
    ...SCALAR_COLUMNS.map(([name]) => name),
    ...heads.map((h) => `test_entropy_${h.name}`),
    ...heads.map((h) => `test_entropy_normalised_${h.name}`),
    ...ks.map((k) => `test_top${k}`),
  ];
  const lines = [header.join(',')];
  for (const { run, epochs, topkKs, bestEpoch } of runs) {
    const column = new Map(topkKs.map((k, i) => [k, i]));
    for (const e of epochs) {
      const topk = ks.map((k) => {
        const i = column.get(k);
        return i === undefined || i >= e.testTopk.length ? null : (e.testTopk[i] as number);
      });
      const own = (h: HeadColumn) => (e.testPerHead?.row === h.row ? e.testPerHead : undefined);
      const cells = [
        run.experiment,
        run.runId,
        run.configLabel,
        run.seed,
        e.epoch + 1,
        e.epoch === bestEpoch ? 1 : 0,
        ...SCALAR_COLUMNS.map(([, get]) => get(e)),
        ...heads.map((h) => own(h)?.entropy[h.index] ?? null),
        ...heads.map((h) => own(h)?.entropyNormalised[h.index] ?? null),
        ...topk,
      ];
      lines.push(cells.map(csvField).join(','));
    }
  }
  return `${lines.join('\n')}\n`;
}

interface HeadColumn {
  row: string;
  index: number;
  /** "head1", "branch2", "class0" */
  name: string;
}

/** Every head (branch, class) some run's epochs report, by kind of row and then index. */
function headColumns(runs: readonly CsvRun[]): HeadColumn[] {
  const counts = new Map<string, number>();
  for (const { epochs } of runs) for (const { testPerHead: p } of epochs) if (p) counts.set(p.row, Math.max(counts.get(p.row) ?? 0, p.entropy.length));
  return [...counts].flatMap(([row, count]) => Array.from({ length: count }, (_, index) => ({ row, index, name: headLabel(row, index).replace(/\W+/g, '') })));
}
