// aem-train submit: expands an experiment into its runs exactly as a local launch does, creates their
// run folders (pending until a task starts them), writes one sbatch script into the experiment's folder
// and submits one job array, one task per run. The job id and array index go into each config.json.
import { mkdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { expandRuns, type RunSpec } from '../../config/expand.js';
import { loadExperimentFile } from '../../config/load.js';
import type { ClusterConfig, Experiment } from '../../config/schema.js';
import { foldsOf } from '../../data/datasetIndex.js';
import type { EngineEvent } from '../../protocol/events.js';
import { writeFileAtomic } from '../atomicFile.js';
import { newRunConfig, prepareExperiment } from '../experiment.js';
import { readRunConfig, runPaths, writeRunConfig, type ClusterRecord } from '../runStore.js';
import { sbatchScript } from './sbatchScript.js';
import { ClusterError, requireOnPath, sbatch } from './slurmCommands.js';

export interface SubmitOptions {
  seeds?: number[];
  dryRun: boolean;
  /** The node binary and engine script the tasks run (default: this process's). */
  node: string;
  engine: string;
  emit: (event: EngineEvent) => void;
  now?: Date;
}

export interface Submission {
  jobId: string | null;
  script: string;
  scriptText: string;
  runDirs: string[];
}

function stamp(d: Date): string {
  return d.toISOString().replace(/[-:]/g, '').replace(/\..*$/, '').replace('T', '-');
}

export function clusterOf(experiment: Experiment, file: string): ClusterConfig {
  const cluster = experiment.compute.cluster;
  if (!cluster) throw new ClusterError(`${file} has no compute.cluster: add {"compute": {"cluster": {"scheduler": "slurm", ...}}} to submit it to SLURM, or train it here with aem-train ${path.basename(file)}`);
  return cluster;
}

/** Writes the script, submits it, and records the job in each run's config.json. */
export function submitRunDirs(runDirs: string[], cluster: ClusterConfig, experimentDir: string, jobName: string, options: Pick<SubmitOptions, 'node' | 'engine' | 'now'>): Submission {
  const now = options.now ?? new Date();
  const slurmDir = path.join(experimentDir, 'slurm');
  mkdirSync(slurmDir, { recursive: true });
  const script = path.join(slurmDir, `submit-${stamp(now)}.sbatch`);
  const outputPattern = path.join(slurmDir, '%A_%a.out');
  const scriptText = sbatchScript({
    cluster,
    jobName,
    runDirs,
    outputPattern,
    node: cluster.node ?? options.node,
    engine: options.engine,
    origin: `aem-train submit, ${now.toISOString()}: experiment ${jobName.replace(/^aem-/, '')}`,
  });
  writeFileAtomic(script, scriptText);
  let jobId: string;
  try {
    jobId = sbatch(script);
  } catch (err) {
    rmSync(script, { force: true });
    throw err;
  }
  runDirs.forEach((dir, arrayIndex) => {
    const config = readRunConfig(dir);
    const before = config.cluster;
    const record: ClusterRecord = {
      scheduler: 'slurm',
      jobId,
      arrayIndex,
      script,
      output: outputPattern.replace('%A', jobId).replace('%a', String(arrayIndex)),
      submittedAt: now.toISOString(),
      ...(before ? { previous: [...(before.previous ?? []), { jobId: before.jobId, arrayIndex: before.arrayIndex, submittedAt: before.submittedAt }] } : {}),
    };
    writeRunConfig(runPaths(dir), { ...config, cluster: record });
  });
  return { jobId, script, scriptText, runDirs };
}

function describe(spec: RunSpec): string {
  return `${spec.configLabel} seed ${spec.seed}`;
}

export async function submitExperiment(file: string, options: SubmitOptions): Promise<Submission> {
  const loaded = await loadExperimentFile(file);
  const experiment = loaded.experiment;
  const cluster = clusterOf(experiment, loaded.file);
  const experimentDir = path.join(path.resolve(loaded.baseDir, experiment.output), experiment.name);
  const jobName = `aem-${experiment.name}`;
  if (options.dryRun) {
    // Nothing is created or submitted: the folders are shown as they would be named.
    const specs = expandRuns(experiment, foldsOf(experiment.data.split), options.seeds);
    const when = stamp(options.now ?? new Date());
    const runDirs = specs.map((spec) => path.join(experimentDir, `${spec.configLabel}-s${spec.seed}-<time>`));
    const scriptText = sbatchScript({ cluster, jobName, runDirs, outputPattern: path.join(experimentDir, 'slurm', '%A_%a.out'), node: cluster.node ?? options.node, engine: options.engine, origin: `aem-train submit --dry-run: experiment ${experiment.name}` });
    options.emit({ type: 'log', level: 'info', message: `dry run: ${specs.length} runs (${specs.map(describe).join(', ')}); nothing was created or submitted` });
    return { jobId: null, script: path.join(experimentDir, 'slurm', `submit-${when}.sbatch`), scriptText, runDirs };
  }
  requireOnPath('sbatch');
  // The same checks as a local launch, on the login node, before anything is queued.
  const folds = await prepareExperiment(experiment, loaded.baseDir, options.emit);
  const specs = expandRuns(experiment, folds, options.seeds);
  const runDirs = specs.map((spec) => newRunConfig(spec, loaded.baseDir, loaded.file).runDir);
  try {
    const submission = submitRunDirs(runDirs, cluster, experimentDir, jobName, options);
    options.emit({ type: 'log', level: 'info', message: `submitted job array ${submission.jobId} (${runDirs.length} tasks); script: ${submission.script}` });
    return submission;
  } catch (err) {
    // Refused: the folders just made would read as runs that never start.
    for (const dir of runDirs) rmSync(dir, { recursive: true, force: true });
    throw err;
  }
}
