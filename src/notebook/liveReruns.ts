// `live: true` cells: each runs again a fixed time after it ran while any of its runs still trains. One
// pending re-run per cell, replaced whenever the cell runs (by hand or by its timer), all cancelled on
// dispose. Timers are injected so the schedule is tested without waiting.
import type { ComparisonOutput } from '../protocol/notebook.js';
import type { Query } from './query.js';

export const LIVE_RERUN_MS = 5000;

export interface Timers {
  set(fn: () => void, ms: number): unknown;
  clear(handle: unknown): void;
}

const realTimers: Timers = {
  set: (fn, ms) => setTimeout(fn, ms),
  clear: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

/** Whether a cell that gave this output should run again. */
export function wantsRerun(query: Pick<Query, 'live'>, output: Pick<ComparisonOutput, 'training'>): boolean {
  return query.live && (output.training ?? 0) > 0;
}

export class LiveReruns {
  private readonly pending = new Map<string, unknown>();

  constructor(
    private readonly ms = LIVE_RERUN_MS,
    private readonly timers: Timers = realTimers,
  ) {}

  /** Forgets the cell's pending re-run (call when the cell runs). */
  cancel(cell: string): void {
    if (this.pending.has(cell)) this.timers.clear(this.pending.get(cell));
    this.pending.delete(cell);
  }

  schedule(cell: string, rerun: () => void): void {
    this.cancel(cell);
    this.pending.set(
      cell,
      this.timers.set(() => {
        this.pending.delete(cell);
        rerun();
      }, this.ms),
    );
  }

  has(cell: string): boolean {
    return this.pending.has(cell);
  }

  dispose(): void {
    for (const handle of this.pending.values()) this.timers.clear(handle);
    this.pending.clear();
  }
}
