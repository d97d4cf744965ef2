// The sbatch script of one submission: a job array with one task per run folder. Pure: the same inputs
// give the same text, so the script kept beside the runs is exactly what was submitted.
import type { ClusterConfig } from '../../config/schema.js';

export interface SbatchScriptInput {
  cluster: ClusterConfig;
  jobName: string;
  /** Absolute run folders, in array-index order. */
  runDirs: string[];
  /** Output file pattern, with SLURM's %A (array job id) and %a (task index). */
  outputPattern: string;
  /** The node binary and the engine script the tasks run. */
  node: string;
  engine: string;
  /** A comment line: what submitted this and when. */
  origin: string;
}

/** Single-quotes a word for bash. */
export function shellQuote(word: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}

/** The #SBATCH options, in a fixed order. */
export function sbatchOptions(input: Pick<SbatchScriptInput, 'cluster' | 'jobName' | 'runDirs' | 'outputPattern'>): string[] {
  const c = input.cluster;
  const last = input.runDirs.length - 1;
  const throttle = c.maxConcurrent !== undefined ? `%${c.maxConcurrent}` : '';
  const options = [
    `--job-name=${input.jobName}`,
    `--array=0-${last}${throttle}`,
    `--output=${input.outputPattern}`,
    // Requeued or preempted tasks append to the same file, so the whole history of a run stays readable.
    '--open-mode=append',
    '--requeue',
    // TERM to the engine 120 s before the time limit (or on preemption): it saves a checkpoint and exits.
    '--signal=B:TERM@120',
    '--ntasks=1',
    `--cpus-per-task=${c.cpus}`,
  ];
  if (c.partition) options.push(`--partition=${c.partition}`);
  if (c.account) options.push(`--account=${c.account}`);
  if (c.qos) options.push(`--qos=${c.qos}`);
  if (c.time) options.push(`--time=${c.time}`);
  if (c.mem) options.push(`--mem=${c.mem}`);
  if (c.gpus !== undefined) options.push(`--gpus-per-task=${c.gpus}`);
  if (c.gres) options.push(`--gres=${c.gres}`);
  if (c.constraint) options.push(`--constraint=${c.constraint}`);
  options.push(...c.extraArgs);
  return options;
}

export function sbatchScript(input: SbatchScriptInput): string {
  if (input.runDirs.length === 0) throw new Error('a submission needs at least one run');
  const lines = [
    '#!/bin/bash',
    `# ${input.origin}`,
    `# ${input.runDirs.length} run${input.runDirs.length === 1 ? '' : 's'}, one array task each. Each task trains its run folder with`,
    '# `aem-train --run`, which resumes from checkpoint-last when the task was requeued or preempted.',
    ...sbatchOptions(input).map((o) => `#SBATCH ${o}`),
    '',
    'set -eo pipefail',
  ];
  if (input.cluster.setup.length > 0) lines.push('', '# setup (compute.cluster.setup)', ...input.cluster.setup);
  lines.push(
    '',
    'RUNS=(',
    ...input.runDirs.map((dir, i) => `  ${shellQuote(dir)} # ${i}`),
    ')',
    'RUN_DIR=${RUNS[$SLURM_ARRAY_TASK_ID]}',
    'echo "aem-train: task $SLURM_ARRAY_TASK_ID of job $SLURM_ARRAY_JOB_ID on $(hostname) (restart ${SLURM_RESTART_COUNT:-0}): $RUN_DIR"',
    // exec: the engine itself is the batch step's process, so --signal=B:TERM reaches it.
    `exec ${shellQuote(input.node)} ${shellQuote(input.engine)} --run "$RUN_DIR"`,
    '',
  );
  return lines.join('\n');
}
