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
import { createRunDir, readRunConfig, readSummary, runPaths, writeRunConfig, writeSummary, type ResolvedRunConfig } from './runStore.js';
import { resolveDataConfig } from './resolveData.js';
import { BackendUnavailableError, selectBackend } from './backend.js';
import { gpuPlanOf } from './gpu/coverage.js';
import { comparisonRows, comparisonTable, TABLE_METRICS } from './seedStats.js';
import type { WorkerJob } from './worker.js';
import type { EngineLocks } from './runLock.js';
import { WORKER_INVALID_EXIT } from './invalidInput.js';
import { isWorkerNoise } from './workerOutputFilter.js';
import { resolveComputeParallel, resolveComputeThreads } from './parallelRuns.js';

export interface ExperimentOptions {
  /** The CLI script that runs `__worker` (its own file). */
  workerScript: string;
  emit: (event: EngineEvent) => void;
  /** Extra arguments for the worker's node (for example --max-old-space-size). */
  execArgv?: string[];
  /** The engine's run.lock holder: new run folders are locked as they are created, each released when its run ends. */
  locks?: EngineLocks;
}

export interface ExperimentResult {
  summaries: RunSummary[];
  failed: number;
  stopped: number;
  /** Runs refused as invalid input (a run folder that cannot be resumed, data training refuses). */
  invalid: number;
  /** Run folders whose run never started (the experiment was stopped first). */
  unstarted: string[];
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
  readonly invalidRuns = new Set<string>();

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
      let lastError: string | undefined;
      const stderrTail: string[] = [];
      const forward = (level: 'info' | 'error') => (chunk: Buffer) => {
        for (const line of chunk.toString('utf8').split('\n').filter((l) => l.trim())) {
          if (isWorkerNoise(line)) continue;
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
        if (parsed.value.type === 'log' && parsed.value.level === 'error') lastError = parsed.value.message;
        this.options.emit(parsed.value);
      });
      child.on('exit', (code, signal) => {
        this.children.delete(child);
        const settle = (summary: RunSummary) => {
          this.options.locks?.release(job.runDir);
          resolve(summary);
        };
        if (finished) return settle(finished);
        if (code === WORKER_INVALID_EXIT) this.invalidRuns.add(runId);
        const onDisk = readSummary(job.runDir);
        const how = signal ? `was killed by ${signal}` : `exited with code ${code}`;
        const error = lastError ?? `the training process ${how}${stderrTail.length ? `; last output:\n${stderrTail.join('\n')}` : ''}`;
        const summary: RunSummary = onDisk
          ? { ...onDisk, status: 'failed', error: onDisk.status === 'failed' && onDisk.error ? onDisk.error : error, updatedAt: new Date().toISOString() }
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
        // The run store must say what happened: a run the worker left "running" (killed, a full disk)
        // failed. A run that an invalid resume never touched keeps its own state, still resumable.
        if (onDisk === undefined || onDisk.status === 'running') {
          try {
            writeSummary(runPaths(job.runDir), summary);
          } catch (err) {
            this.options.emit({ type: 'log', runId, level: 'error', message: `could not record the failure in summary.json: ${err instanceof Error ? err.message : String(err)}` });
          }
        }
        this.options.emit({ type: 'run-finished', runId, status: 'failed', summary });
        settle(summary);
      });
      child.send(job);
    });
  }
}

/** Creates a run's folder (locked by `locks` when given) and writes its config.json (the run is pending until an engine starts it). */
export function newRunConfig(spec: RunSpec, baseDir: string, experimentFile: string | undefined, locks?: EngineLocks): { config: ResolvedRunConfig; runDir: string } {
  const outputRoot = path.resolve(baseDir, spec.experiment.output);
  const { runId, dir } = createRunDir(outputRoot, spec.experiment.name, spec.configLabel, spec.seed);
  locks?.take(dir);
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

/** compute.parallel as a number of lanes; "auto" is resolved for this machine and logged. */
function lanesOf(compute: Experiment['compute'] | undefined, emit: ExperimentOptions['emit']): number {
  if (!compute) return 1;
  if (compute.parallel !== 'auto') return compute.parallel;
  const resolved = resolveComputeParallel(compute);
  emit({ type: 'log', level: 'info', message: resolved.reason });
  return resolved.runs;
}

/** compute.threads for `lanes` runs at once; "auto" is resolved for this machine and logged. */
function threadsOf(compute: Experiment['compute'] | undefined, lanes: number, emit: ExperimentOptions['emit']): number {
  if (!compute) return 1;
  const resolved = resolveComputeThreads(compute, lanes);
  if (resolved.reason && compute.threads === 'auto') emit({ type: 'log', level: 'info', message: resolved.reason });
  return resolved.threads;
}

async function runJobs(jobs: WorkerJob[], parallel: number, pool: WorkerPool, emit: ExperimentOptions['emit'], name: string, locks: EngineLocks | undefined, compute: Experiment['compute'] | undefined): Promise<ExperimentResult> {
  const summaries: RunSummary[] = [];
  let next = 0;
  const lanes = Math.max(1, Math.min(parallel, jobs.length));
  const threads = threadsOf(compute, lanes, emit);
  const lane = async () => {
    while (next < jobs.length && !pool.isStopping) {
      const job = jobs[next++] as WorkerJob;
      summaries.push(await pool.run({ ...job, threads }));
    }
  };
  await Promise.all(Array.from({ length: lanes }, lane));
  const unstarted = jobs.slice(next).map((j) => j.runDir);
  for (const dir of unstarted) locks?.release(dir);
  const order = new Map(jobs.map((j, i) => [j.config.runId, i]));
  summaries.sort((a, b) => (order.get(a.runId) ?? 0) - (order.get(b.runId) ?? 0));
  const failed = summaries.filter((s) => s.status === 'failed').length;
  const stopped = summaries.filter((s) => s.status === 'stopped').length;
  const invalid = summaries.filter((s) => pool.invalidRuns.has(s.runId)).length;
  const table = [comparisonTable(comparisonRows(summaries), TABLE_METRICS), ...unfinishedNotes(jobs, summaries.filter((s) => !pool.invalidRuns.has(s.runId)), unstarted)].join('\n');
  emit({ type: 'experiment-finished', experiment: name, runs: summaries.length, failed, table });
  return { summaries, failed, stopped, invalid, unstarted, table };
}

/** A run folder as the user would type it: relative to the working folder when that is shorter. */
function shownPath(dir: string): string {
  const rel = path.relative(process.cwd(), dir);
  return rel && !rel.startsWith('..') && rel.length < dir.length ? rel : dir;
}

/** Below the table: the runs that never started, and the command that resumes every unfinished run. */
function unfinishedNotes(jobs: WorkerJob[], summaries: RunSummary[], unstarted: string[]): string[] {
  const dirOf = new Map(jobs.map((j) => [j.config.runId, j.runDir]));
  const resumable = [...summaries.filter((s) => s.status === 'stopped' || s.status === 'failed').map((s) => dirOf.get(s.runId) as string), ...unstarted];
  const notes: string[] = [];
  if (unstarted.length > 0) notes.push(`not started: ${unstarted.length} run${unstarted.length === 1 ? '' : 's'} (${unstarted.map((d) => path.basename(d)).join(', ')})`);
  if (resumable.length > 0) notes.push(`resume with: aem-train ${resumable.map((d) => `--resume ${quoteArg(shownPath(d))}`).join(' ')}`);
  return notes.length > 0 ? ['', ...notes] : [];
}

function quoteArg(s: string): string {
  return /^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, "'\\''")}'`;
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
  const jobs: WorkerJob[] = specs.map((spec) => ({ type: 'start', resume: false, ...newRunConfig(spec, baseDir, experimentFile, options.locks) }));
  return { done: runJobs(jobs, lanesOf(experiment.compute, options.emit), pool, options.emit, experiment.name, options.locks, experiment.compute), stop: () => pool.stopAll() };
}

/** Resumes run folders (their configs read and checked, their locks taken), `parallel` of the first at a time. */
export function resumeRuns(runs: { runDir: string; config: ResolvedRunConfig }[], options: ExperimentOptions): ExperimentHandle {
  const pool = new WorkerPool(options);
  const jobs: WorkerJob[] = runs.map(({ runDir, config }) => ({ type: 'start', resume: true, config, runDir: path.resolve(runDir) }));
  const first = runs[0]?.config.experiment;
  return { done: runJobs(jobs, lanesOf(first?.compute, options.emit), pool, options.emit, first?.name ?? '', options.locks, first?.compute), stop: () => pool.stopAll() };
}

/**
 * Trains one existing run folder (a SLURM array task: the scheduler runs each task once, so no run.lock);
 * `resume` picks up its checkpoint-last.
 */
export function resumeRun(runDir: string, options: ExperimentOptions, resume = true): ExperimentHandle {
  const pool = new WorkerPool(options);
  const config = readRunConfig(runDir);
  const job: WorkerJob = { type: 'start', resume, config, runDir: path.resolve(runDir) };
  return { done: runJobs([job], 1, pool, options.emit, config.experiment.name, undefined, config.experiment.compute), stop: () => pool.stopAll() };
}
