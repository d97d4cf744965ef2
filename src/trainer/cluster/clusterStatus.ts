// What the scheduler knows about an experiment's cluster runs, joined with the run store: pending with
// its reason, running on which node, failed with the exit code and the tail of the task's output file.
import { closeSync, existsSync, fstatSync, openSync, readdirSync, readSync } from 'node:fs';
import path from 'node:path';
import { readRunConfig, readSummary, type ClusterRecord } from '../runStore.js';
import { querySlurm } from './slurmCommands.js';
import type { SlurmTaskState } from './slurmParse.js';

export interface ClusterRunStatus {
  runId: string;
  runDir: string;
  cluster: ClusterRecord;
  /** The run store's word (summary.json), or null before the task first wrote it. */
  store: string | null;
  /** SLURM's word, or null when SLURM no longer remembers the task (and keeps no accounting). */
  slurm: SlurmTaskState | null;
  outputTail: string[];
}

/** The last `lines` lines of a file, reading at most its last 64 KiB. */
export function tailOf(file: string, lines = 20): string[] {
  if (!existsSync(file)) return [];
  const fd = openSync(file, 'r');
  try {
    const size = fstatSync(fd).size;
    const length = Math.min(size, 65536);
    const buf = Buffer.alloc(length);
    readSync(fd, buf, 0, length, size - length);
    return buf.toString('utf8').split('\n').filter((l) => l.trim()).slice(-lines);
  } finally {
    closeSync(fd);
  }
}

/** The run folders of an experiment folder that were submitted to a cluster. */
export function clusterRunDirs(experimentDir: string): string[] {
  if (!existsSync(experimentDir)) return [];
  return readdirSync(experimentDir, { withFileTypes: true })
    .filter((e) => e.isDirectory() && existsSync(path.join(experimentDir, e.name, 'config.json')))
    .map((e) => path.join(experimentDir, e.name))
    .filter((dir) => readRunConfig(dir).cluster !== undefined)
    .sort();
}

export function clusterStatus(runDirs: string[], tailLines = 20): { runs: ClusterRunStatus[]; accounting: boolean } {
  const configs = runDirs.map((dir) => ({ dir, config: readRunConfig(dir) })).filter((c) => c.config.cluster !== undefined);
  const { tasks, accounting } = querySlurm(configs.map((c) => (c.config.cluster as ClusterRecord).jobId));
  const runs = configs.map(({ dir, config }) => {
    const cluster = config.cluster as ClusterRecord;
    const slurm = tasks.get(`${cluster.jobId}_${cluster.arrayIndex}`) ?? null;
    const failed = slurm !== null && slurm.state !== 'RUNNING' && slurm.state !== 'PENDING' && slurm.state !== 'COMPLETED';
    const summary = readSummary(dir);
    return {
      runId: config.runId,
      runDir: dir,
      cluster,
      store: summary?.status ?? null,
      slurm,
      outputTail: failed || summary?.status === 'failed' ? tailOf(cluster.output, tailLines) : [],
    };
  });
  return { runs, accounting };
}

export function formatClusterStatus(status: { runs: ClusterRunStatus[]; accounting: boolean }): string {
  const lines = status.runs.map((r) => {
    const s = r.slurm;
    const where = s ? `${s.state}${s.reason && s.state === 'PENDING' ? ` (${s.reason})` : ''}${s.node ? ` on ${s.node}` : ''}${s.exitCode ? ` exit ${s.exitCode}` : ''}${s.restarts ? `, restarted ${s.restarts}x` : ''}` : 'not in the queue';
    const tail = r.outputTail.length > 0 ? `\n    ${r.outputTail.slice(-5).join('\n    ')}` : '';
    return `${r.runId}  job ${r.cluster.jobId}_${r.cluster.arrayIndex}  ${where}  run store: ${r.store ?? 'pending'}${tail}`;
  });
  if (!status.accounting) lines.push('(no SLURM accounting here: finished tasks are read from the run store)');
  return lines.join('\n');
}
