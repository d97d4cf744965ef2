// Summaries of a metric over seeds (mean ± sample std) and a plain-text comparison table.
import { mean, sampleStd } from '../notebook/stats.js';
import type { RunSummary } from '../protocol/events.js';

/** "0.912 ± 0.013"; the value alone for one seed (no spread to report); "n/a" for none. */
export function formatMeanStd(xs: readonly number[], digits = 3): string {
  if (xs.length === 0) return 'n/a';
  if (xs.length === 1) return (xs[0] as number).toFixed(digits);
  return `${mean(xs).toFixed(digits)} ± ${sampleStd(xs).toFixed(digits)}`;
}

export interface ComparisonRow {
  config: string;
  seeds: number;
  metrics: Record<string, number[]>;
  /** How many of the row's runs did not finish (failed or stopped): their best epoch so far counts. */
  partial?: number;
}

/** Marks a configuration whose row holds partial results; the table's footnote explains it. */
const PARTIAL_MARK = ' *';

/**
 * Aligned plain-text table for a terminal: configuration (left-aligned), seeds and one column
 * per metric as mean ± std (right-aligned), a rule under the header, no trailing spaces.
 * A metric a row lacks shows as "n/a".
 */
export function comparisonTable(rows: readonly ComparisonRow[], metricNames: readonly string[]): string {
  const header = ['configuration', 'seeds', ...metricNames];
  const body = rows.map((r) => [
    r.partial ? `${r.config}${PARTIAL_MARK}` : r.config,
    String(r.seeds),
    ...metricNames.map((name) => formatMeanStd(Object.hasOwn(r.metrics, name) ? (r.metrics[name] ?? []) : [])),
  ]);
  const widths = header.map((h, c) => Math.max(h.length, ...body.map((cells) => (cells[c] as string).length)));
  const line = (cells: readonly string[]): string =>
    cells
      .map((cell, c) => (c === 0 ? cell.padEnd(widths[c] as number) : cell.padStart(widths[c] as number)))
      .join('  ')
      .trimEnd();
  const rule = widths.map((w) => '-'.repeat(w)).join('  ');
  const partial = rows.reduce((n, r) => n + (r.partial ?? 0), 0);
  const note = partial > 0 ? [`${PARTIAL_MARK.trim()} includes ${partial} run${partial === 1 ? '' : 's'} that did not finish (failed or stopped): the best epoch it reached counts`] : [];
  return [line(header), rule, ...body.map(line), ...note].join('\n');
}

/** The columns of the table over seeds; pure, so the extension can build it without the engine. */
export const TABLE_METRICS = ['test AUROC', 'test F1', 'test accuracy', 'test entropy'] as const;

export function comparisonRows(summaries: RunSummary[]): ComparisonRow[] {
  const groups = new Map<string, RunSummary[]>();
  for (const s of summaries) groups.set(s.configLabel, [...(groups.get(s.configLabel) ?? []), s]);
  return [...groups].map(([config, runs]) => {
    const best = runs.map((r) => r.best).filter((b): b is NonNullable<RunSummary['best']> => b !== null);
    const partial = runs.filter((r) => r.best !== null && r.status !== 'done').length;
    return {
      config,
      seeds: best.length,
      ...(partial > 0 ? { partial } : {}),
      metrics: {
        'test AUROC': best.map((b) => b.auroc).filter((v): v is number => v !== null),
        'test F1': best.map((b) => b.f1),
        'test accuracy': best.map((b) => b.accuracy),
        'test entropy': best.map((b) => b.entropy),
      },
    };
  });
}

