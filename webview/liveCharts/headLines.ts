// The lines of single heads (branches, classes) that the head toggles add to the entropy and top-k
// charts: thin lines of the run's colour, beside the mean over heads that those charts always draw.
import type { PerHeadAttention } from '../../src/protocol/events.js';
export { headLabel } from '../../src/liveCharts/heads.js';
import type { RunSeries } from './runSeries.js';

/** Opacity of a head's line, so the mean over heads (full colour, thicker) stays the one that stands out. */
export const HEAD_LINE_ALPHA = 0.6;

/** The per-head summaries of the run's latest epoch that has them. */
export function latestPerHead(run: RunSeries): PerHeadAttention | undefined {
  return run.perHead;
}

/** The heads of the toggles: as many as the shown run with most, named after the runs' kind of row ("row" when they differ). */
export function headToggles(runs: readonly RunSeries[]): { row: string; count: number } {
  let count = 0;
  const rows = new Set<string>();
  for (const run of runs) {
    const p = latestPerHead(run);
    if (!p) continue;
    count = Math.max(count, p.entropy.length);
    rows.add(p.row);
  }
  return { row: rows.size === 1 ? ([...rows][0] as string) : 'row', count };
}
