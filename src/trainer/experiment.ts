// Runs an experiment: validates its data once, expands it into runs (sweep x fold x seed), trains them
// in worker processes, `parallel` at a time, and ends with the mean +- std table over seeds.
import { fork, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import type { Experiment } from '../config/schema.js';
import { expandRuns, type RunSpec } from '../config/expand.js';
import { checkDataset } from '../data/datasetCheck.js';
import { foldsOf } from '../data/datasetIndex.js';
import { DataError } from '../data/types.js';
import { parseEngineEvent, type EngineEvent, type RunSummary } from '../protocol/events.js';
import { createRunDir, readRunConfig, readSummary, runPaths, writeRunConfig, type ResolvedRunConfig } from './runStore.js';
import { resolveDataConfig } from './resolveData.js';
import { BackendUnavailableError, selectBackend } from './backend.js';
import { gpuPlanOf } from './gpu/coverage.js';
import { comparisonRows, comparisonTable, TABLE_METRICS } from './seedStats.js';
import type { WorkerJob } from './worker.js';

export interface ExperimentOptions {
  /** The CLI script that runs `__worker` (its own file). */
  workerScript: string;
  emit: (event: EngineEvent) => void;
  /** Extra arguments for the worker's node (for example --max-old-space-size). */
  execArgv?: string[];
}

export interface ExperimentResult {
  summaries: RunSummary[];
  failed: number;
  stopped: number;
  table: string;
}

export { comparisonRows, TABLE_METRICS } from './seedStats.js';

/** Validates the data (and generates the synthetic dataset) before any run starts: the checks inspect shows. */
export async function prepareExperiment(experiment: Experiment, baseDir: string, emit: ExperimentOptions['emit']): Promise<number[] | undefined> {
  // An explicit backend that cannot run is invalid input: say so before any run is created.
  const plan = gpuPlanOf(experiment);
  if (plan.path === 'fused' && plan.fusedUnsupported) throw new BackendUnavailableError('webgpu', `compute.gpuPath is "fused", but ${plan.fusedUnsupported}`);
  if (experiment.compute.backend !== 'auto') await selectBackend(experiment.compute.backend, plan);
  const { data } = await resolveDataConfig(experiment, baseDir, (done, total) => {
    if (done === total || done % 10 === 0) emit({ type: 'log', level: 'info', message: `generating the synthetic dataset: ${done}/${total} slides` });
  });
  let lastReport = Date.now();
  const check = await checkDataset(data, baseDir, {
    onProgress: (done, total) => {
      if (done === total || Date.now() - lastReport > 5000) {
        lastReport = Date.now();
        emit({ type: 'log', level: 'info', message: `checked the features of ${done}/${total} slides` });
      }
    },
  });
  for (const w of check.warnings) emit({ type: 'log', level: 'warn', message: w.message });
  if (check.problems.length > 0) throw new DataError(check.problems);
  return foldsOf(data.split);
}

class WorkerPool {
  private readonly children = new Set<ChildProcess>();
  private stopping = false;

  constructor(private readonly options: ExperimentOptions) {}

  stopAll(): void {
    this.stopping = true;
    for (const child of this.children) if (child.connected) child.send({ type: 'stop' });
  }

  get isStopping(): boolean {
    return this.stopping;
  }

  run(job: WorkerJob): Promise<RunSummary> {
    const runId = job.config.runId;
    return new Promise((resolve) => {
      const child = fork(this.options.workerScript, ['__worker'], {
        stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
        execArgv: this.options.execArgv ?? [],
      });
      this.children.add(child);
      let finished: RunSummary | undefined;
      const stderrTail: string[] = [];
      const forward = (level: 'info' | 'error') => (chunk: Buffer) => {
        for (const line of chunk.toString('utf8').split('\n').filter((l) => l.trim())) {
          if (level === 'error') stderrTail.push(line);
          if (stderrTail.length > 20) stderrTail.shift();
          this.options.emit({ type: 'log', runId, level, message: line });
        }
      };
      child.stdout?.on('data', forward('info'));
      child.stderr?.on('data', forward('error'));
      child.on('message', (raw) => {
        const parsed = parseEngineEvent(raw);
        if (!parsed.ok) {
          this.options.emit({ type: 'log', runId, level: 'warn', message: `ignored a malformed message from the worker: ${parsed.error}` });
          return;
        }
        if (parsed.value.type === 'run-finished') finished = parsed.value.summary;
        this.options.emit(parsed.value);
      });
      child.on('exit', (code, signal) => {
        this.children.delete(child);
        if (finished) return resolve(finished);
        const onDisk = readSummary(job.runDir);
        const error = `the training process exited with ${signal ? `signal ${signal}` : `code ${code}`}${stderrTail.length ? `; last output:\n${stderrTail.join('\n')}` : ''}`;
        const summary: RunSummary = onDisk
          ? { ...onDisk, status: 'failed', error: onDisk.error ?? error }
          : {
              runId,
              experiment: job.config.experiment.name,
              configLabel: job.config.configLabel,
              seed: job.config.seed,
              sweepValues: job.config.sweepValues,
              status: 'failed',
              epochsDone: 0,
              epochs: job.config.experiment.train.epochs,
              bestEpoch: null,
              best: null,
              last: null,
              wallSeconds: 0,
              backend: null,
              error,
              updatedAt: new Date().toISOString(),
            };
        this.options.emit({ type: 'run-finished', runId, status: 'failed', summary });
        resolve(summary);
      });
      child.send(job);
    });
  }
}

/** Creates a run's folder and writes its config.json (the run is pending until an engine starts it). */
export function newRunConfig(spec: RunSpec, baseDir: string, experimentFile: string | undefined): { config: ResolvedRunConfig; runDir: string } {
  const outputRoot = path.resolve(baseDir, spec.experiment.output);
  const { runId, dir } = createRunDir(outputRoot, spec.experiment.name, spec.configLabel, spec.seed);
  const config: ResolvedRunConfig = {
    runId,
    experiment: spec.experiment,
    ...(experimentFile ? { experimentFile } : {}),
    baseDir,
    seed: spec.seed,
    ...(spec.fold !== undefined ? { fold: spec.fold } : {}),
    sweepValues: spec.sweepValues,
    configLabel: spec.configLabel,
    backend: null,
    createdAt: new Date().toISOString(),
  };
  writeRunConfig(runPaths(dir), config);
  return { config, runDir: dir };
}

async function runJobs(jobs: WorkerJob[], parallel: number, pool: WorkerPool, emit: ExperimentOptions['emit'], name: string): Promise<ExperimentResult> {
  const summaries: RunSummary[] = [];
  let next = 0;
  const lane = async () => {
    while (next < jobs.length && !pool.isStopping) {
      const job = jobs[next++] as WorkerJob;
      summaries.push(await pool.run(job));
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(parallel, jobs.length)) }, lane));
  const order = new Map(jobs.map((j, i) => [j.config.runId, i]));
  summaries.sort((a, b) => (order.get(a.runId) ?? 0) - (order.get(b.runId) ?? 0));
  const table = comparisonTable(comparisonRows(summaries), TABLE_METRICS);
  const failed = summaries.filter((s) => s.status === 'failed').length;
  const stopped = summaries.filter((s) => s.status === 'stopped').length;
  emit({ type: 'experiment-finished', experiment: name, runs: summaries.length, failed, table });
  return { summaries, failed, stopped, table };
}

export interface ExperimentHandle {
  done: Promise<ExperimentResult>;
  stop: () => void;
}

export function runExperiment(
  experiment: Experiment,
  baseDir: string,
  experimentFile: string | undefined,
  folds: number[] | undefined,
  options: ExperimentOptions & { seeds?: number[] },
): ExperimentHandle {
  const pool = new WorkerPool(options);
  const specs = expandRuns(experiment, folds, options.seeds);
  const jobs: WorkerJob[] = specs.map((spec) => ({ type: 'start', resume: false, ...newRunConfig(spec, baseDir, experimentFile) }));
  return { done: runJobs(jobs, experiment.compute.parallel, pool, options.emit, experiment.name), stop: () => pool.stopAll() };
}

/** Trains one existing run folder; `resume` picks up its checkpoint-last. */
export function resumeRun(runDir: string, options: ExperimentOptions, resume = true): ExperimentHandle {
  const pool = new WorkerPool(options);
  const config = readRunConfig(runDir);
  const job: WorkerJob = { type: 'start', resume, config, runDir: path.resolve(runDir) };
  return { done: runJobs([job], 1, pool, options.emit, config.experiment.name), stop: () => pool.stopAll() };
}
