// Calls to SLURM's own commands. Each says plainly when the command is not on PATH and relays SLURM's
// message when it refuses.
import { spawnSync } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import path from 'node:path';
import { parseSacct, parseScontrolShowJob, parseSqueue, mergeTaskStates, SACCT_FORMAT, SQUEUE_FORMAT, type SlurmTaskState } from './slurmParse.js';

/** A cluster problem the user can fix (no sbatch here, SLURM refused the job, a run folder not visible). */
export class ClusterError extends Error {}

interface Ran {
  status: number;
  stdout: string;
  stderr: string;
}

export function slurm(command: string, args: string[]): Ran {
  const r = spawnSync(command, args, { encoding: 'utf8', timeout: 60_000 });
  if (r.error) {
    const code = (r.error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new ClusterError(`${command} is not on PATH: run this on a SLURM login node (or a machine with SLURM's client commands), or add SLURM's bin folder to PATH`);
    throw new ClusterError(`${command} could not run: ${r.error.message}`);
  }
  return { status: r.status ?? 1, stdout: r.stdout, stderr: r.stderr };
}

/** Fails early, before any data is prepared, when a SLURM command is not on PATH. */
export function requireOnPath(command: string): void {
  const found = (process.env.PATH ?? '').split(path.delimiter).some((dir) => {
    try {
      accessSync(path.join(dir, command), constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
  if (!found) slurm(command, ['--version']);
}

/** SLURM's own lines, without the "sbatch: error:" prefixes. */
export function slurmMessage(stderr: string): string {
  return stderr
    .split('\n')
    .map((l) => l.replace(/^\w+: error: /, '').trim())
    .filter(Boolean)
    .join('; ');
}

/** sbatch --parsable <script>: the job id. */
export function sbatch(script: string): string {
  const r = slurm('sbatch', ['--parsable', script]);
  if (r.status !== 0) throw new ClusterError(`SLURM refused the job: ${slurmMessage(r.stderr) || `sbatch exited with ${r.status}`}`);
  const jobId = r.stdout.trim().split(';')[0] ?? '';
  if (!/^\d+$/.test(jobId)) throw new ClusterError(`sbatch did not print a job id (got "${r.stdout.trim()}")`);
  return jobId;
}

export function scancel(jobIds: string[]): void {
  if (jobIds.length === 0) return;
  const r = slurm('scancel', ['--signal=TERM', '--full', ...jobIds]);
  if (r.status !== 0) throw new ClusterError(`scancel failed: ${slurmMessage(r.stderr)}`);
}

/**
 * What SLURM knows of these jobs now: squeue for live ones, `scontrol show job` for those that ended a
 * short while ago (MinJobAge), sacct where the cluster keeps accounting. Without accounting, jobs that
 * left scontrol's memory are simply absent: the run store then tells what happened.
 */
export function querySlurm(arrayJobIds: string[]): { tasks: Map<string, SlurmTaskState>; accounting: boolean } {
  const ids = [...new Set(arrayJobIds)];
  if (ids.length === 0) return { tasks: new Map(), accounting: false };
  const sq = slurm('squeue', ['-h', '-r', '-j', ids.join(','), '-o', SQUEUE_FORMAT]);
  // squeue exits 1 with "Invalid job id specified" once every job has left the queue.
  const queued = sq.status === 0 ? parseSqueue(sq.stdout) : [];
  const shown: SlurmTaskState[] = [];
  for (const id of ids) {
    const r = slurm('scontrol', ['show', 'job', id]);
    if (r.status === 0) shown.push(...parseScontrolShowJob(r.stdout));
  }
  const acct = slurm('sacct', ['-n', '-P', '-j', ids.join(','), '-o', SACCT_FORMAT]);
  const sacct = parseSacct(acct.stdout + acct.stderr, acct.status);
  return { tasks: mergeTaskStates(queued, shown, sacct.available ? sacct.tasks : []), accounting: sacct.available };
}
