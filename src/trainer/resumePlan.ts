// What `aem-train --resume <run-dir>` will do, decided before any worker starts: read and check the run
// folder (config.json, summary.json), say when the run is already finished, and find the data again
// when the project folder was moved since the run was created.
import { existsSync } from 'node:fs';
import path from 'node:path';
import type { RunSummary } from '../protocol/events.js';
import { readRunConfig, readSummaryStrict, type ResolvedRunConfig } from './runStore.js';

export interface ResumePlan {
  runDir: string;
  config: ResolvedRunConfig;
  /** The run's summary when it has trained every epoch: there is nothing to resume. */
  finished?: RunSummary;
  /** The old baseDir, gone, when data paths now resolve against the project's new place. */
  movedFrom?: string;
}

/** Throws RunStoreError (invalid input) for a missing folder or a corrupt config.json or summary.json. */
export function planResume(runDir: string): ResumePlan {
  const dir = path.resolve(runDir);
  const config = readRunConfig(dir);
  const summary = readSummaryStrict(dir);
  const plan: ResumePlan = { runDir: dir, config };
  if (summary && summary.status === 'done' && summary.epochsDone >= summary.epochs) plan.finished = summary;
  if (!existsSync(config.baseDir)) {
    const moved = relocatedBaseDir(dir, config);
    if (moved) {
      plan.movedFrom = config.baseDir;
      plan.config = {
        ...config,
        baseDir: moved,
        ...(config.experimentFile ? { experimentFile: path.join(moved, path.relative(config.baseDir, config.experimentFile)) } : {}),
      };
    }
  }
  return plan;
}

/**
 * The project's folder now, found from where the run folder is: a run lives at
 * <baseDir>/<output>/<experiment>/<runId>, so with a relative `output` the same steps up from the run
 * folder lead to the moved baseDir. Undefined when `output` is absolute or that folder does not exist.
 */
export function relocatedBaseDir(runDir: string, config: ResolvedRunConfig): string | undefined {
  const output = config.experiment.output;
  if (typeof output !== 'string' || path.isAbsolute(output)) return undefined;
  const inside = path.relative(config.baseDir, path.resolve(config.baseDir, output, config.experiment.name, config.runId));
  if (inside.startsWith('..') || path.isAbsolute(inside)) return undefined;
  const candidate = path.resolve(runDir, ...inside.split(path.sep).map(() => '..'));
  return existsSync(candidate) && path.resolve(candidate, inside) === path.resolve(runDir) ? candidate : undefined;
}
