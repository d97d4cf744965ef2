// Reads run folders for the comparison notebooks: what each run is (config.json: sweep values and the
// resolved experiment), how far it got (summary.json, and the heartbeat of a run that still trains) and
// what it measured (metrics.jsonl).
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { EvalEpochMetricsSchema, parseMetricsLines, RunSummarySchema, TrainEpochMetricsSchema, type MetricsLine, type RunStatus } from '../protocol/events.js';
import { heartbeatIsLive, readHeartbeat } from '../trainer/liveness.js';

export type KeyValue = string | number | boolean;

export interface RunData {
  /** "<experiment>/<run folder>", what the query's `runs:` globs match. */
  name: string;
  dir: string;
  experiment: string;
  runId: string;
  seed: number;
  fold?: number;
  /** From summary.json; 'pending' when the engine has not written one yet. */
  status: RunStatus | 'pending';
  /** What runs can be grouped by: the sweep values, every scalar field of the run's model/aem/train/data settings, experiment, config, seed, fold. */
  keys: Record<string, KeyValue>;
  /** The keys this run's experiment sweeps, e.g. ["aem.lambda"]. */
  sweepKeys: string[];
  /** 0-based, from summary.json (by val AUROC + val F1; the best so far while it trains); null before the first epoch ends. */
  bestEpoch: number | null;
  lines: MetricsLine[];
  /** Not finished, and its engine's heartbeat is fresh: it is training now. */
  live: boolean;
  /** Epochs evaluated so far, and the epochs it trains for (null when the config does not say). */
  epochsDone: number;
  epochs: number | null;
}

export interface LoadOptions {
  /** Whether the run in this folder is training now (default: its heartbeat is fresh and its pid alive). */
  isLive?: (dir: string) => boolean;
}

const heartbeatLive = (dir: string): boolean => heartbeatIsLive(readHeartbeat(dir));

const NOT_METRICS = new Set(['epoch', 'split', 'topk', 'aurocUndefinedReason']);
const TRAIN_FIELDS = Object.keys(TrainEpochMetricsSchema.shape).filter((k) => !NOT_METRICS.has(k));
const EVAL_FIELDS = Object.keys(EvalEpochMetricsSchema.shape).filter((k) => !NOT_METRICS.has(k));

/** Every metric a query can name, "<split>.<field>", from the metrics.jsonl schema. */
export const METRIC_NAMES: readonly string[] = [...TRAIN_FIELDS.map((f) => `train.${f}`), ...['val', 'test'].flatMap((s) => EVAL_FIELDS.map((f) => `${s}.${f}`))];

/** Which way a metric is better; 'none' for those with no better direction (entropy, lr...). */
export function metricDirection(metric: string): 'higher' | 'lower' | 'none' {
  const field = metric.split('.')[1] ?? '';
  if (['auroc', 'f1', 'accuracy', 'tumourAttention'].includes(field)) return 'higher';
  if (['loss', 'ce'].includes(field)) return 'lower';
  return 'none';
}

function readJson(file: string): unknown {
  try {
    return JSON.parse(readFileSync(file, 'utf8'));
  } catch {
    return undefined;
  }
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

const GROUPABLE_SECTIONS = ['model', 'aem', 'train', 'data', 'compute'];

function groupKeys(config: Record<string, unknown>, sweep: Record<string, KeyValue>): Record<string, KeyValue> {
  const keys: Record<string, KeyValue> = {};
  const experiment = isRecord(config.experiment) ? config.experiment : {};
  for (const section of GROUPABLE_SECTIONS) {
    const fields = experiment[section];
    if (!isRecord(fields)) continue;
    for (const [field, value] of Object.entries(fields)) {
      if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') keys[`${section}.${field}`] = value;
    }
  }
  Object.assign(keys, sweep);
  if (typeof experiment.name === 'string') keys.experiment = experiment.name;
  if (typeof config.configLabel === 'string') keys.config = config.configLabel;
  if (typeof config.seed === 'number') keys.seed = config.seed;
  if (typeof config.fold === 'number') keys.fold = config.fold;
  return keys;
}

/** One run folder, or undefined when it has no readable config.json (not a run, or still being created). */
export function readRun(dir: string, name: string, opts: LoadOptions = {}): RunData | undefined {
  const config = readJson(path.join(dir, 'config.json'));
  if (!isRecord(config) || typeof config.seed !== 'number' || typeof config.runId !== 'string' || !isRecord(config.experiment)) return undefined;
  const sweep: Record<string, KeyValue> = {};
  if (isRecord(config.sweepValues)) for (const [k, v] of Object.entries(config.sweepValues)) if (typeof v === 'number' || typeof v === 'string' || typeof v === 'boolean') sweep[k] = v;
  const summary = RunSummarySchema.safeParse(readJson(path.join(dir, 'summary.json')));
  const metricsFile = path.join(dir, 'metrics.jsonl');
  const lines = existsSync(metricsFile) ? parseMetricsLines(readFileSync(metricsFile, 'utf8')) : [];
  const status = summary.success ? summary.data.status : 'pending';
  const train = isRecord(config.experiment.train) ? config.experiment.train : {};
  const epochs = summary.success ? summary.data.epochs : typeof train.epochs === 'number' ? train.epochs : null;
  const evaluated = lines.filter((l) => l.split === 'test').reduce((a, l) => Math.max(a, l.epoch + 1), 0);
  return {
    name,
    dir,
    experiment: typeof config.experiment.name === 'string' ? config.experiment.name : name.split('/')[0] ?? '',
    runId: config.runId,
    seed: config.seed,
    ...(typeof config.fold === 'number' ? { fold: config.fold } : {}),
    status,
    keys: groupKeys(config, sweep),
    sweepKeys: Object.keys(sweep),
    bestEpoch: summary.success ? summary.data.bestEpoch : null,
    lines,
    live: status !== 'done' && status !== 'failed' && (opts.isLive ?? heartbeatLive)(dir),
    epochsDone: Math.max(evaluated, summary.success ? summary.data.epochsDone : 0),
    epochs,
  };
}

function subdirs(dir: string): string[] {
  try {
    return readdirSync(dir, { withFileTypes: true })
      .filter((e) => e.isDirectory())
      .map((e) => e.name)
      .sort();
  } catch {
    return [];
  }
}

/** Every run under the run-store roots (<root>/<experiment>/<run folder>/), each folder once. */
export function loadRuns(roots: readonly string[], opts: LoadOptions = {}): RunData[] {
  const seen = new Set<string>();
  const runs: RunData[] = [];
  for (const root of roots) {
    if (!existsSync(root) || !statSync(root).isDirectory()) continue;
    for (const experiment of subdirs(root)) {
      for (const folder of subdirs(path.join(root, experiment))) {
        const dir = path.resolve(root, experiment, folder);
        if (seen.has(dir)) continue;
        seen.add(dir);
        const run = readRun(dir, `${experiment}/${folder}`, opts);
        if (run) runs.push(run);
      }
    }
  }
  return runs.sort((a, b) => a.name.localeCompare(b.name, undefined, { numeric: true }));
}

/** The 0-based epoch a run is read at, or undefined when it has none there yet. */
export function epochAt(run: RunData, at: 'best' | 'last' | number): number | undefined {
  if (at === 'best') return run.bestEpoch ?? undefined;
  const epochs = run.lines.map((l) => l.epoch);
  if (epochs.length === 0) return undefined;
  if (at === 'last') return Math.max(...epochs);
  return epochs.includes(at - 1) ? at - 1 : undefined;
}

/** A metric ("test.auroc") of a run at a 0-based epoch; undefined when absent or null (AUROC of one class). */
export function metricAt(run: RunData, metric: string, epoch: number): number | undefined {
  const [split, field] = metric.split('.');
  const line = run.lines.find((l) => l.epoch === epoch && l.split === split);
  if (!line || field === undefined) return undefined;
  const value = (line as Record<string, unknown>)[field];
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
}

/** The mean top-k cumulative attention curve (k = 1..K) of a split at a 0-based epoch. */
export function topkAt(run: RunData, split: 'val' | 'test', epoch: number): number[] | undefined {
  const line = run.lines.find((l) => l.epoch === epoch && l.split === split);
  return line && line.split !== 'train' ? line.topk : undefined;
}

/** The epochs (0-based) a run has a metric for, in order. */
export function metricSeries(run: RunData, metric: string): { epoch: number; value: number }[] {
  const epochs = [...new Set(run.lines.map((l) => l.epoch))].sort((a, b) => a - b);
  const out: { epoch: number; value: number }[] = [];
  for (const epoch of epochs) {
    const value = metricAt(run, metric, epoch);
    if (value !== undefined) out.push({ epoch, value });
  }
  return out;
}
