// The run manager: queues engine launches (an experiment, some of its seeds, or the resumption of one
// run), forks the engine CLI over IPC, `concurrency` processes at a time, validates every message it
// sends, tracks the live runs, and settles what a crashed or killed engine leaves behind. It never
// imports vscode: the extension wires its events to the tree, the status bar and the output channel.
import { fork, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parseExperiment } from '../../config/load.js';
import type { BackendChoice } from '../../config/schema.js';
import { parseEngineEvent, type EngineEvent, type RunSummary } from '../../protocol/events.js';
import { writeJsonAtomic } from '../../trainer/atomicFile.js';
import { heartbeatIsLive, heartbeatIsOnThisHost, isPidAlive, readHeartbeat, readJsonFile } from '../../trainer/liveness.js';
import { acquireRunLock, releaseRunLock, updateRunLock } from '../../trainer/runLock.js';
import { readRunRecord, readRunSummary, RESUMABLE_STATES } from './runScan.js';

export type LaunchRequest = { kind: 'experiment'; file: string; seeds?: number[]; backend?: BackendChoice } | { kind: 'resume'; runDir: string };

export interface RunManagerOptions {
  /** dist/engine.mjs, or a fake engine in tests. */
  enginePath: string;
  /** The Node that runs the engine. */
  execPath: string;
  env?: NodeJS.ProcessEnv;
  concurrency: number;
  /** Names this window in run.lock files. */
  owner: string;
  /** How long a stopping engine may take to checkpoint and exit before it is killed. */
  stopTimeoutMs?: number;
  /** How many lines of the engine's log a job keeps for error reports. */
  tailLines?: number;
}

export type JobStatus = 'queued' | 'running' | 'stopping' | 'exited';

export interface EngineJob {
  readonly id: number;
  readonly request: LaunchRequest;
  readonly label: string;
  status: JobStatus;
  pid?: number;
  runIds: string[];
  exitCode?: number | null;
  signal?: NodeJS.Signals | null;
  /** The last lines of the engine's log (its log events, stdout and stderr). */
  tail: string[];
  /** The mean +- std table over seeds, when the engine got that far. */
  table?: string;
  /** Set when it was stopped before it started, or killed after a stop timed out. */
  note?: string;
  readonly done: Promise<EngineJob>;
}

export interface LiveRun {
  runId: string;
  runDir: string;
  jobId: number;
  experiment: string;
  configLabel: string;
  seed: number;
  epochs: number;
  itersPerEpoch: number;
  epoch: number;
  iter: number;
  etaSeconds?: number;
  bagsPerSecond?: number;
  lastValAuroc?: number | null;
  stopping: boolean;
}

export type ManagerEvent =
  | { type: 'job'; job: EngineJob }
  | { type: 'engine'; job: EngineJob; event: EngineEvent }
  | { type: 'garbage'; job: EngineJob; error: string; raw: string }
  | { type: 'output'; job: EngineJob; stream: 'stdout' | 'stderr'; line: string };

export const ENGINE_EXIT = { done: 0, failed: 1, invalid: 2, stopped: 130 } as const;

interface JobInternals {
  job: EngineJob;
  child?: ChildProcess;
  resolve: (job: EngineJob) => void;
  runDirs: Map<string, string>;
  stopTimer?: NodeJS.Timeout;
  killedAfterStop: boolean;
}

export class RunManager {
  private readonly jobs = new Map<number, JobInternals>();
  private readonly queue: number[] = [];
  private readonly liveRuns = new Map<string, LiveRun>();
  private readonly listeners = new Set<(event: ManagerEvent) => void>();
  private nextId = 1;
  private concurrency: number;
  private disposed = false;

  constructor(private readonly options: RunManagerOptions) {
    this.concurrency = Math.max(1, options.concurrency);
  }

  onEvent(listener: (event: ManagerEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  setConcurrency(n: number): void {
    this.concurrency = Math.max(1, Math.floor(n));
    this.pump();
  }

  get allJobs(): EngineJob[] {
    return [...this.jobs.values()].map((j) => j.job);
  }

  get activeJobs(): EngineJob[] {
    return this.allJobs.filter((j) => j.status !== 'exited');
  }

  get runs(): LiveRun[] {
    return [...this.liveRuns.values()];
  }

  liveRun(runId: string): LiveRun | undefined {
    return this.liveRuns.get(runId);
  }

  /** Runs of this window's engines, by run folder. */
  ownsRunDir(runDir: string): boolean {
    const resolved = path.resolve(runDir);
    return this.runs.some((r) => path.resolve(r.runDir) === resolved) || this.activeJobs.some((j) => j.request.kind === 'resume' && path.resolve(j.request.runDir) === resolved);
  }

  /**
   * Validates the request and queues it. Throws ConfigError for an invalid experiment file (nothing is
   * spawned), RunLockedError when another live process trains the run, Error for a run that cannot resume.
   */
  enqueue(request: LaunchRequest): EngineJob {
    if (this.disposed) throw new Error('the run manager has been shut down');
    if (request.kind === 'experiment') {
      parseExperiment(readFileSync(request.file, 'utf8'), request.file);
      if (request.seeds && (request.seeds.length === 0 || request.seeds.some((s) => !Number.isInteger(s) || s < 0))) throw new Error('seeds must be non-negative integers');
    } else {
      const record = readRunRecord(request.runDir);
      if (!record) throw new Error(`${request.runDir} is not a run folder (no readable config.json)`);
      if (!RESUMABLE_STATES.includes(record.state)) throw new Error(`${record.runId} is ${record.state}: only an interrupted, stopped, failed or not yet started run can be resumed`);
      acquireRunLock(request.runDir, this.options.owner);
    }
    const id = this.nextId++;
    let resolve: (job: EngineJob) => void = () => undefined;
    const done = new Promise<EngineJob>((r) => {
      resolve = r;
    });
    const label =
      request.kind === 'experiment' ? `${path.basename(request.file)}${request.seeds ? ` (seed ${request.seeds.join(', ')})` : ''}` : `resume ${path.basename(request.runDir)}`;
    const job: EngineJob = { id, request, label, status: 'queued', runIds: [], tail: [], done };
    this.jobs.set(id, { job, resolve, runDirs: new Map(), killedAfterStop: false });
    this.queue.push(id);
    this.emit({ type: 'job', job });
    this.pump();
    return job;
  }

  /** Stops a whole engine: each of its runs saves a checkpoint after its current step. */
  stopJob(jobId: number): void {
    const internals = this.jobs.get(jobId);
    if (!internals) return;
    const { job, child } = internals;
    if (job.status === 'queued') {
      this.queue.splice(this.queue.indexOf(jobId), 1);
      job.note = 'removed from the queue before it started';
      this.finish(internals, null, null);
      return;
    }
    if (job.status !== 'running' || !child) return;
    job.status = 'stopping';
    for (const run of this.liveRuns.values()) if (run.jobId === jobId) run.stopping = true;
    if (child.connected) child.send({ type: 'stop' });
    else this.signal(child, 'SIGINT');
    internals.stopTimer = setTimeout(() => {
      internals.killedAfterStop = true;
      this.signal(child, 'SIGKILL');
    }, this.options.stopTimeoutMs ?? 120_000);
    this.emit({ type: 'job', job });
  }

  /**
   * Stops one run. A run whose worker this machine can signal gets SIGINT (it checkpoints and stops, and
   * its engine goes on with its other runs); otherwise its whole engine is stopped. Runs trained by an
   * engine of another window (or of a previous session) are stopped through their worker too.
   * Returns false when nothing trains that run.
   */
  stopRun(runDir: string): boolean {
    const resolved = path.resolve(runDir);
    const live = this.runs.find((r) => path.resolve(r.runDir) === resolved);
    const heartbeat = readHeartbeat(runDir);
    const job = live ? this.jobs.get(live.jobId) : undefined;
    // A heartbeat from another machine (a cluster node) names a pid that means nothing here.
    const workerPid = heartbeat && heartbeatIsOnThisHost(heartbeat) && heartbeatIsLive(heartbeat) && heartbeat.pid !== job?.job.pid ? heartbeat.pid : undefined;
    if (workerPid !== undefined && process.platform !== 'win32') {
      process.kill(workerPid, 'SIGINT');
      if (live) {
        live.stopping = true;
        if (job) this.emit({ type: 'job', job: job.job });
      }
      return true;
    }
    if (job) {
      this.stopJob(job.job.id);
      return true;
    }
    const queued = this.activeJobs.find((j) => j.status === 'queued' && j.request.kind === 'resume' && path.resolve(j.request.runDir) === resolved);
    if (queued) {
      this.stopJob(queued.id);
      return true;
    }
    return false;
  }

  stopAll(): void {
    for (const job of this.activeJobs) this.stopJob(job.id);
  }

  /**
   * Lets go of every engine without stopping it: training goes on and keeps writing its run store, and
   * the next window re-attaches to it. Queued launches are dropped.
   */
  dispose(): void {
    this.disposed = true;
    for (const internals of this.jobs.values()) {
      const { job, child } = internals;
      if (job.status === 'queued') {
        if (job.request.kind === 'resume') releaseRunLock(job.request.runDir, this.options.owner);
        continue;
      }
      if (!child || job.status === 'exited') continue;
      clearTimeout(internals.stopTimer);
      child.removeAllListeners();
      child.stdout?.removeAllListeners();
      child.stderr?.removeAllListeners();
      if (child.connected) child.disconnect();
      child.unref();
    }
    this.queue.length = 0;
    this.listeners.clear();
  }

  private emit(event: ManagerEvent): void {
    for (const listener of this.listeners) {
      try {
        listener(event);
      } catch {
        // a listener's failure must not break supervision
      }
    }
  }

  private signal(child: ChildProcess, signal: NodeJS.Signals): void {
    if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
    try {
      // The engine is forked detached, so it leads a process group with its training workers.
      if (process.platform !== 'win32') process.kill(-child.pid, signal);
      else child.kill(signal);
    } catch {
      child.kill(signal);
    }
  }

  private pump(): void {
    if (this.disposed) return;
    const running = () => this.allJobs.filter((j) => j.status === 'running' || j.status === 'stopping').length;
    while (this.queue.length > 0 && running() < this.concurrency) {
      const internals = this.jobs.get(this.queue.shift() as number);
      if (internals) this.launch(internals);
    }
  }

  private remember(job: EngineJob, line: string): void {
    job.tail.push(line);
    const max = this.options.tailLines ?? 40;
    if (job.tail.length > max) job.tail.splice(0, job.tail.length - max);
  }

  private launch(internals: JobInternals): void {
    const { job } = internals;
    const request = job.request;
    const args =
      request.kind === 'experiment'
        ? [request.file, ...(request.seeds ? ['--seeds', request.seeds.join(',')] : []), ...(request.backend ? ['--backend', request.backend] : [])]
        : ['--resume', request.runDir];
    const cwd = request.kind === 'experiment' ? path.dirname(request.file) : request.runDir;
    let child: ChildProcess;
    try {
      child = fork(this.options.enginePath, args, {
        execPath: this.options.execPath,
        env: this.options.env ?? process.env,
        cwd,
        stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
        detached: true,
      });
    } catch (err) {
      this.remember(job, `could not start the engine: ${err instanceof Error ? err.message : String(err)}`);
      this.finish(internals, null, null);
      return;
    }
    internals.child = child;
    job.status = 'running';
    if (child.pid !== undefined) job.pid = child.pid;
    if (request.kind === 'resume' && child.pid !== undefined) {
      updateRunLock(request.runDir, { owner: this.options.owner, hostPid: process.pid, enginePid: child.pid, at: new Date().toISOString() });
    }
    this.emit({ type: 'job', job });

    for (const stream of ['stdout', 'stderr'] as const) {
      let partial = '';
      child[stream]?.on('data', (chunk: Buffer) => {
        const lines = (partial + chunk.toString('utf8')).split('\n');
        partial = lines.pop() ?? '';
        for (const line of lines) if (line.trim()) this.onOutput(job, stream, line);
      });
      child[stream]?.on('end', () => {
        if (partial.trim()) this.onOutput(job, stream, partial);
        partial = '';
      });
    }
    child.on('message', (raw: unknown) => this.onMessage(internals, raw));
    child.on('error', (err) => this.remember(job, `engine process error: ${err.message}`));
    // 'close' rather than 'exit': every line of stdout and stderr has arrived by then.
    child.on('close', (code, signal) => this.onExit(internals, code, signal));
  }

  private onOutput(job: EngineJob, stream: 'stdout' | 'stderr', line: string): void {
    this.remember(job, line);
    this.emit({ type: 'output', job, stream, line });
  }

  private onMessage(internals: JobInternals, raw: unknown): void {
    const { job } = internals;
    const parsed = parseEngineEvent(raw);
    if (!parsed.ok) {
      let text: string;
      try {
        text = JSON.stringify(raw) ?? String(raw);
      } catch {
        text = String(raw);
      }
      this.emit({ type: 'garbage', job, error: parsed.error, raw: text.slice(0, 300) });
      return;
    }
    const event = parsed.value;
    switch (event.type) {
      case 'run-started': {
        internals.runDirs.set(event.runId, event.runDir);
        if (!job.runIds.includes(event.runId)) job.runIds.push(event.runId);
        this.liveRuns.set(event.runId, {
          runId: event.runId,
          runDir: event.runDir,
          jobId: job.id,
          experiment: event.experiment,
          configLabel: event.configLabel,
          seed: event.seed,
          epochs: event.epochs,
          itersPerEpoch: event.itersPerEpoch,
          epoch: event.resumedAt?.epoch ?? 0,
          iter: event.resumedAt?.iter ?? 0,
          stopping: job.status === 'stopping',
        });
        if (job.pid !== undefined) {
          try {
            updateRunLock(event.runDir, { owner: this.options.owner, hostPid: process.pid, enginePid: job.pid, at: new Date().toISOString() });
          } catch (err) {
            this.remember(job, `could not write the run lock: ${err instanceof Error ? err.message : String(err)}`);
          }
        }
        break;
      }
      case 'progress': {
        const run = this.liveRuns.get(event.runId);
        if (run) Object.assign(run, { epoch: event.epoch, iter: event.iter, etaSeconds: event.etaSeconds, bagsPerSecond: event.bagsPerSecond });
        break;
      }
      case 'epoch': {
        const run = this.liveRuns.get(event.runId);
        if (run) Object.assign(run, { epoch: event.epoch + 1, iter: 0, lastValAuroc: event.val.auroc });
        break;
      }
      case 'run-finished': {
        const runDir = internals.runDirs.get(event.runId) ?? this.liveRuns.get(event.runId)?.runDir;
        this.liveRuns.delete(event.runId);
        if (runDir) {
          // The engine reports a crashed worker without writing it down; the run store must say so too.
          if (event.status !== 'running' && readRunSummary(runDir)?.status === 'running') writeJsonAtomic(path.join(runDir, 'summary.json'), event.summary);
          releaseRunLock(runDir, this.options.owner);
        }
        break;
      }
      case 'experiment-finished':
        job.table = event.table;
        break;
      case 'log':
        this.remember(job, `${event.level}: ${event.message}`);
        break;
      case 'checkpoint':
        break;
    }
    this.emit({ type: 'engine', job, event });
  }

  private onExit(internals: JobInternals, code: number | null, signal: NodeJS.Signals | null): void {
    const { job } = internals;
    clearTimeout(internals.stopTimer);
    const how = internals.killedAfterStop
      ? `did not stop within ${Math.round((this.options.stopTimeoutMs ?? 120_000) / 1000)} s and was killed`
      : signal
        ? `was killed by ${signal}`
        : `exited with code ${code}`;
    if (internals.killedAfterStop) job.note = `the engine ${how}`;
    for (const [runId, runDir] of internals.runDirs) {
      if (!this.liveRuns.has(runId)) continue;
      this.liveRuns.delete(runId);
      this.settleOrphan(job, runId, runDir, how);
    }
    if (job.request.kind === 'resume') releaseRunLock(job.request.runDir, this.options.owner);
    this.finish(internals, code, signal);
  }

  /** A run its engine never reported finished: still trained by a surviving worker, or failed. */
  private settleOrphan(job: EngineJob, runId: string, runDir: string, how: string): void {
    const heartbeat = readHeartbeat(runDir);
    if (heartbeat && heartbeat.pid !== job.pid && heartbeatIsLive(heartbeat, Date.now(), isPidAlive)) return;
    const onDisk = readRunSummary(runDir);
    if (onDisk && onDisk.status !== 'running') {
      this.emit({ type: 'engine', job, event: { type: 'run-finished', runId, status: onDisk.status, summary: onDisk } });
    } else {
      const tail = job.tail.slice(-15);
      const error = `the engine ${how}${tail.length ? `; the last lines of its log:\n${tail.join('\n')}` : ''}`;
      const summary = { ...(onDisk ?? this.blankSummary(runId, runDir)), status: 'failed', error, updatedAt: new Date().toISOString() } satisfies RunSummary;
      writeJsonAtomic(path.join(runDir, 'summary.json'), summary);
      this.emit({ type: 'engine', job, event: { type: 'run-finished', runId, status: 'failed', summary } });
    }
    releaseRunLock(runDir, this.options.owner);
  }

  private blankSummary(runId: string, runDir: string): RunSummary {
    const record = readRunRecord(runDir);
    const config = readJsonFile(path.join(runDir, 'config.json')) as { experiment?: { name?: string } } | undefined;
    return {
      runId,
      experiment: record?.experiment ?? config?.experiment?.name ?? '',
      configLabel: record?.configLabel ?? '',
      seed: record?.seed ?? 0,
      ...(record?.fold !== undefined ? { fold: record.fold } : {}),
      sweepValues: record?.sweepValues ?? {},
      status: 'failed',
      epochsDone: record?.epochsDone ?? 0,
      epochs: record?.epochs ?? 0,
      bestEpoch: null,
      best: null,
      last: null,
      wallSeconds: 0,
      backend: null,
      updatedAt: new Date().toISOString(),
    };
  }

  private finish(internals: JobInternals, code: number | null, signal: NodeJS.Signals | null): void {
    const { job } = internals;
    job.status = 'exited';
    job.exitCode = code;
    job.signal = signal;
    internals.child?.removeAllListeners();
    if (job.request.kind === 'resume' && code === null && signal === null) releaseRunLock(job.request.runDir, this.options.owner);
    this.emit({ type: 'job', job });
    internals.resolve(job);
    this.pump();
  }
}
