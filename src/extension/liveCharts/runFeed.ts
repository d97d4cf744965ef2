// The data behind the Live Charts panel, without vscode: the runs it may show (from the run store), and
// for the shown runs every epoch so far (metrics.jsonl, followed from where it was last read) plus what
// the engines of this window report live (epoch, progress, run finished). A run trained by an engine
// this window did not start (another window, or before a reload) is followed through its files alone.
// The first report of an epoch wins, so the two sources never draw a point twice.
import path from 'node:path';
import { readJsonFile } from '../../trainer/liveness.js';
import { MetricsFollower } from '../core/metricsFollower.js';
import type { ManagerEvent, RunManager } from '../core/runManager.js';
import { readRunRecord, type RunRecord } from '../core/runScan.js';
import { runTitle } from '../core/runFormat.js';
import { bestEpochOf, chartEpochOf, EpochAssembler, etaFromEpochs } from '../../liveCharts/points.js';
import type { ChartEpoch, ChartRunInfo, HostMessage, RunProgress } from '../../protocol/liveCharts.js';
import { backendShortLabel } from '../../protocol/backendLabel.js';

/** Progress messages per run are sent at most this often. */
const PROGRESS_INTERVAL_MS = 250;

interface ShownRun {
  info: ChartRunInfo;
  dir: string;
  epochs: ChartEpoch[];
  follower: MetricsFollower;
  assembler: EpochAssembler;
  bestEpoch: number | null;
  progress: RunProgress | null;
  lastProgressSent: number;
}

export function chartRunInfo(record: RunRecord, backend: string | null): ChartRunInfo {
  return {
    runId: record.runId,
    experiment: record.experiment,
    title: runTitle(record),
    configLabel: record.configLabel,
    seed: record.seed,
    state: record.state,
    epochs: record.epochs,
    epochsDone: record.epochsDone,
    backend,
    createdAt: record.createdAt,
  };
}

export function backendOf(runDir: string): string | null {
  const config = readJsonFile(path.join(runDir, 'config.json')) as { backend?: { name?: unknown; path?: unknown } | null } | undefined;
  const b = config?.backend;
  if (typeof b?.name !== 'string') return null;
  return backendShortLabel({ name: b.name, ...(b.path === 'fused' || b.path === 'tfjs' ? { path: b.path } : {}) });
}

export class RunFeed {
  private available: RunRecord[] = [];
  private availableSignature = '';
  private readonly shown = new Map<string, ShownRun>();
  private readonly backends = new Map<string, string | null>();

  constructor(
    private readonly manager: RunManager,
    private readonly send: (message: HostMessage) => void,
  ) {}

  get selected(): string[] {
    return [...this.shown.keys()];
  }

  runInfos(): ChartRunInfo[] {
    return this.available.map((r) => this.info(r));
  }

  /** Replaces the list of runs; returns true (and tells the webview) when it changed. */
  setAvailable(records: RunRecord[]): boolean {
    const sorted = [...records].sort((a, b) => b.createdAt.localeCompare(a.createdAt));
    const signature = sorted.map((r) => `${r.runId}:${r.state}:${r.epochsDone}`).join('|');
    this.available = sorted;
    if (signature === this.availableSignature) return false;
    this.availableSignature = signature;
    this.send({ type: 'runs', runs: this.runInfos() });
    return true;
  }

  record(runId: string): RunRecord | undefined {
    return this.available.find((r) => r.runId === runId);
  }

  /** The runs to show when nothing says which: the newest running run, else the newest run. */
  defaultSelection(): string[] {
    const pick = this.available.find((r) => r.state === 'running') ?? this.available[0];
    return pick ? [pick.runId] : [];
  }

  /** An experiment's runs of one seed (the newest running run's, else the newest run's), newest per configuration. */
  experimentSelection(experiment: string): string[] {
    const runs = this.available.filter((r) => r.experiment === experiment);
    const anchor = runs.find((r) => r.state === 'running') ?? runs[0];
    if (!anchor) return [];
    const perConfig = new Map<string, RunRecord>();
    for (const r of runs) if (r.seed === anchor.seed && r.fold === anchor.fold && !perConfig.has(r.configLabel)) perConfig.set(r.configLabel, r);
    return [...perConfig.values()].sort((a, b) => a.configLabel.localeCompare(b.configLabel, undefined, { numeric: true })).map((r) => r.runId);
  }

  /** Shows these runs: each gets a snapshot of all its epochs so far. */
  select(runIds: string[]): void {
    for (const id of [...this.shown.keys()]) if (!runIds.includes(id)) this.shown.delete(id);
    for (const id of runIds) {
      const record = this.record(id);
      if (!record) continue;
      const run: ShownRun = this.shown.get(id) ?? {
        info: this.info(record),
        dir: record.dir,
        epochs: [],
        follower: new MetricsFollower(record.dir),
        assembler: new EpochAssembler(),
        bestEpoch: null,
        progress: null,
        lastProgressSent: 0,
      };
      this.shown.set(id, run);
      this.readFiles(run);
      run.info = this.info(record);
      this.send({ type: 'snapshot', run: run.info, epochs: run.epochs, bestEpoch: run.bestEpoch, progress: run.progress ?? this.estimatedProgress(run) });
    }
  }

  /** Reads what the shown runs' files gained since the last poll, and notices runs that ended. */
  poll(): void {
    for (const run of this.shown.values()) {
      this.sendFileEpochs(run);
      if (run.info.state !== 'running') continue;
      const record = readRunRecord(run.dir);
      if (!record || record.state === 'running') continue;
      run.info = this.info(record);
      run.progress = null;
      this.send({ type: 'finished', runId: run.info.runId, state: record.state });
    }
  }

  onManagerEvent(event: ManagerEvent): void {
    if (event.type !== 'engine') return;
    const e = event.event;
    if (!('runId' in e) || !e.runId) return;
    const run = this.shown.get(e.runId);
    if (!run) return;
    switch (e.type) {
      case 'epoch': {
        const point = chartEpochOf(e.train, e.val, e.test);
        if (this.add(run, point)) {
          run.bestEpoch = e.bestEpoch;
          this.send({ type: 'epoch', runId: e.runId, point, bestEpoch: run.bestEpoch });
        }
        break;
      }
      case 'progress': {
        run.progress = { epoch: e.epoch, iter: e.iter, iters: e.iters, bagsPerSecond: e.bagsPerSecond, etaSeconds: e.etaSeconds };
        if (run.info.state !== 'running') run.info = { ...run.info, state: 'running' };
        const now = Date.now();
        if (now - run.lastProgressSent < PROGRESS_INTERVAL_MS && e.iter < e.iters) return;
        run.lastProgressSent = now;
        this.send({ type: 'progress', runId: e.runId, progress: run.progress });
        break;
      }
      case 'run-finished':
        this.sendFileEpochs(run);
        run.info = { ...run.info, state: e.status };
        run.progress = null;
        this.send({ type: 'finished', runId: e.runId, state: e.status });
        break;
      default:
        break;
    }
  }

  /** What the panel has been sent, per shown run (for the extension-host tests). */
  describe(): { runId: string; state: string; epochs: number; bestEpoch: number | null }[] {
    return [...this.shown.values()].map((r) => ({ runId: r.info.runId, state: r.info.state, epochs: r.epochs.length, bestEpoch: r.bestEpoch }));
  }

  hasRunning(): boolean {
    return [...this.shown.values()].some((r) => r.info.state === 'running');
  }

  private info(record: RunRecord): ChartRunInfo {
    let backend = this.backends.get(record.dir);
    if (backend === undefined || backend === null) {
      backend = backendOf(record.dir);
      this.backends.set(record.dir, backend);
    }
    const live = this.manager.liveRun(record.runId);
    const info = chartRunInfo(record, backend);
    return live ? { ...info, state: 'running', epochs: live.epochs } : info;
  }

  private sendFileEpochs(run: ShownRun): void {
    const added = this.readFiles(run);
    for (const point of added) this.send({ type: 'epoch', runId: run.info.runId, point, bestEpoch: run.bestEpoch });
    // A run this window's engines do not train reports no progress: estimate it from its epochs.
    if (added.length > 0 && !this.manager.liveRun(run.info.runId)) {
      const progress = this.estimatedProgress(run);
      if (progress) this.send({ type: 'progress', runId: run.info.runId, progress });
    }
  }

  /** New epochs from metrics.jsonl, already added to the run. */
  private readFiles(run: ShownRun): ChartEpoch[] {
    const added: ChartEpoch[] = [];
    for (const line of run.follower.poll()) {
      const point = run.assembler.push(line);
      if (point && this.add(run, point)) added.push(point);
    }
    if (added.length > 0) run.bestEpoch = bestEpochOf(run.epochs);
    return added;
  }

  private add(run: ShownRun, point: ChartEpoch): boolean {
    if (run.epochs.some((e) => e.epoch === point.epoch)) return false;
    run.epochs.push(point);
    run.epochs.sort((a, b) => a.epoch - b.epoch);
    run.info = { ...run.info, epochsDone: Math.max(run.info.epochsDone, run.epochs.length) };
    return true;
  }

  private estimatedProgress(run: ShownRun): RunProgress | null {
    if (run.info.state !== 'running') return null;
    const last = run.epochs[run.epochs.length - 1];
    return { epoch: run.epochs.length, iter: 0, iters: 0, bagsPerSecond: last?.bagsPerSecond ?? 0, etaSeconds: etaFromEpochs(run.epochs, run.info.epochs) };
  }
}
