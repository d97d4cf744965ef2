// Reads the run store of an experiment (<output>/<experiment>/<run-id>/) into records for the tree:
// what each run is (sweep values, seed, fold), its state, its progress and its best test AUROC.
import { existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { RunSummarySchema, type RunSummary, type SweepValue } from '../../protocol/events.js';
import { heartbeatIsLive, isPidAlive, readHeartbeat, readJsonFile, type Heartbeat, type PidProbe } from '../../trainer/liveness.js';
import { ENGINE_LOCK_OWNER_PREFIX, lockIsLive, readRunLock } from '../../trainer/runLock.js';

/**
 * running: a live process trains it; interrupted: its summary says running but nothing trains it any
 * more; pending: the engine created its folder but has not started it (queued, or never started).
 */
export type RunState = 'pending' | 'running' | 'done' | 'stopped' | 'failed' | 'interrupted';

export interface RunRecord {
  runId: string;
  dir: string;
  experiment: string;
  configLabel: string;
  seed: number;
  fold?: number;
  sweepValues: Record<string, SweepValue>;
  state: RunState;
  epochsDone: number;
  epochs: number;
  bestEpoch: number | null;
  bestTestAuroc: number | null;
  error?: string;
  heartbeat?: Heartbeat;
  createdAt: string;
  /** Set for runs submitted to a cluster: the SLURM job array and the task's index in it. */
  cluster?: { jobId: string; arrayIndex: number };
}

interface RunConfigFile {
  runId: string;
  seed: number;
  fold?: number;
  sweepValues?: Record<string, SweepValue>;
  configLabel: string;
  createdAt?: string;
  experiment: { name: string; train?: { epochs?: number } };
  cluster?: { jobId?: unknown; arrayIndex?: unknown };
}

function isRunConfig(v: unknown): v is RunConfigFile {
  if (typeof v !== 'object' || v === null) return false;
  const c = v as Record<string, unknown>;
  return typeof c.runId === 'string' && typeof c.seed === 'number' && typeof c.configLabel === 'string' && typeof c.experiment === 'object' && c.experiment !== null;
}

export function readRunSummary(dir: string): RunSummary | undefined {
  const parsed = RunSummarySchema.safeParse(readJsonFile(path.join(dir, 'summary.json')));
  return parsed.success ? parsed.data : undefined;
}

export function classifyRun(summary: RunSummary | undefined, heartbeat: Heartbeat | undefined, lockLive: boolean, now: number, alive: PidProbe): RunState {
  if (!summary) return lockLive ? 'running' : 'pending';
  if (summary.status !== 'running') return summary.status;
  return heartbeatIsLive(heartbeat, now, alive) || lockLive ? 'running' : 'interrupted';
}

export function readRunRecord(dir: string, now = Date.now(), alive: PidProbe = isPidAlive): RunRecord | undefined {
  const config = readJsonFile(path.join(dir, 'config.json'));
  if (!isRunConfig(config)) return undefined;
  const summary = readRunSummary(dir);
  const heartbeat = readHeartbeat(dir);
  const lock = readRunLock(dir);
  // An engine locks every run folder of its experiment when it creates them: one not yet started
  // (no summary) is queued, not running; the lock still refuses a second trainer.
  const queuedByEngine = summary === undefined && lock !== undefined && lock.owner.startsWith(ENGINE_LOCK_OWNER_PREFIX);
  const lockLive = !queuedByEngine && lockIsLive(lock, now, alive);
  return {
    runId: config.runId,
    dir,
    experiment: config.experiment.name,
    configLabel: config.configLabel,
    seed: config.seed,
    ...(config.fold !== undefined ? { fold: config.fold } : {}),
    sweepValues: config.sweepValues ?? {},
    state: classifyRun(summary, heartbeat, lockLive, now, alive),
    epochsDone: summary?.epochsDone ?? 0,
    epochs: summary?.epochs ?? config.experiment.train?.epochs ?? 0,
    bestEpoch: summary?.bestEpoch ?? null,
    bestTestAuroc: summary?.best?.auroc ?? null,
    ...(summary?.error ? { error: summary.error } : {}),
    ...(heartbeat ? { heartbeat } : {}),
    createdAt: config.createdAt ?? '',
    ...(typeof config.cluster?.jobId === 'string' && typeof config.cluster.arrayIndex === 'number' ? { cluster: { jobId: config.cluster.jobId, arrayIndex: config.cluster.arrayIndex } } : {}),
  };
}

/** Every run folder of one experiment, ordered by configuration, fold, seed, then age. */
export function scanExperimentRuns(outputRoot: string, experimentName: string, now = Date.now(), alive: PidProbe = isPidAlive): RunRecord[] {
  const root = path.join(outputRoot, experimentName);
  if (!existsSync(root)) return [];
  const records: RunRecord[] = [];
  for (const entry of readdirSync(root, { withFileTypes: true })) {
    if (!entry.isDirectory()) continue;
    const record = readRunRecord(path.join(root, entry.name), now, alive);
    if (record) records.push(record);
  }
  return records.sort(
    (a, b) => a.configLabel.localeCompare(b.configLabel, undefined, { numeric: true }) || (a.fold ?? 0) - (b.fold ?? 0) || a.seed - b.seed || a.createdAt.localeCompare(b.createdAt),
  );
}

/** Experiment folders under a run-store root (for runs whose experiment file is gone). */
export function listExperimentDirs(outputRoot: string): string[] {
  if (!existsSync(outputRoot) || !statSync(outputRoot).isDirectory()) return [];
  return readdirSync(outputRoot, { withFileTypes: true })
    .filter((e) => e.isDirectory())
    .map((e) => e.name)
    .sort();
}

export const RESUMABLE_STATES: readonly RunState[] = ['interrupted', 'stopped', 'failed', 'pending'];
