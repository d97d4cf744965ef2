// Which runs of a notebook output the "Attention maps…" button can open: those named by the output
// that have an attention pack (a run writes them when it finishes its first epoch), in the output's order.
import { existsSync } from 'node:fs';
import path from 'node:path';
import type { RunData } from './collect.js';

export function hasAttentionPack(dir: string): boolean {
  return existsSync(path.join(dir, 'attention-best.pack')) || existsSync(path.join(dir, 'attention-last.pack'));
}

export interface MapsCandidates {
  /** Named runs with attention maps, in the order the output names them. */
  runs: RunData[];
  /** Named runs that are not in the run store any more. */
  missing: string[];
}

export function mapsCandidates(all: readonly RunData[], runNames: readonly string[], hasMaps: (dir: string) => boolean = hasAttentionPack): MapsCandidates {
  const byName = new Map(all.map((r) => [r.name, r]));
  const runs: RunData[] = [];
  const missing: string[] = [];
  for (const name of new Set(runNames)) {
    const run = byName.get(name);
    if (!run) missing.push(name);
    else if (hasMaps(run.dir)) runs.push(run);
  }
  return { runs, missing };
}
