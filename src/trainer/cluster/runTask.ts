// `aem-train --run <run-dir>`: what one array task runs. Idempotent: a done run exits at once, a run
// with checkpoint-last resumes from it (the task was requeued or preempted), any other starts fresh.
// TERM (sbatch --signal=B:TERM@120, scancel, preemption) stops it after the current step with a checkpoint.
import { existsSync } from 'node:fs';
import { hostname } from 'node:os';
import path from 'node:path';
import type { EngineEvent } from '../../protocol/events.js';
import { resumeRun } from '../experiment.js';
import { readSummary, runPaths } from '../runStore.js';
import { ClusterError } from './slurmCommands.js';

export interface RunTaskResult {
  code: 'done' | 'failed' | 'stopped';
  table: string;
}

export async function runClusterTask(runDir: string, workerScript: string, emit: (event: EngineEvent) => void): Promise<RunTaskResult> {
  const dir = path.resolve(runDir);
  const paths = runPaths(dir);
  if (!existsSync(paths.config)) {
    throw new ClusterError(
      `the run folder ${dir} is not visible on ${hostname()}: the run store (the experiment's "output") must be on a file system the compute nodes share with the login node`,
    );
  }
  if (readSummary(dir)?.status === 'done') {
    emit({ type: 'log', level: 'info', message: `${dir} is already done: nothing to train` });
    return { code: 'done', table: '' };
  }
  const resume = existsSync(paths.checkpoint('last'));
  emit({ type: 'log', level: 'info', message: resume ? `resuming ${dir} from its checkpoint-last` : `starting ${dir}` });
  const handle = resumeRun(dir, { workerScript, emit }, resume);
  const onTerm = () => {
    emit({ type: 'log', level: 'warn', message: 'SIGTERM (time limit, preemption or scancel): saving a checkpoint after the current step' });
    handle.stop();
  };
  process.on('SIGTERM', onTerm);
  try {
    const result = await handle.done;
    return { code: result.failed > 0 ? 'failed' : result.stopped > 0 ? 'stopped' : 'done', table: result.table };
  } finally {
    process.off('SIGTERM', onTerm);
  }
}
