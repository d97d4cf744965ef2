// The on-disk record of a run: <output>/<experiment>/<run-id>/ with config.json, metrics.jsonl,
// summary.json, checkpoints, per-slide predictions and attention. Everything is written atomically
// (or appended and flushed line by line), so a killed process loses at most the step it was in.
import { existsSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import { hostname } from 'node:os';
import path from 'node:path';
import type { Experiment } from '../config/schema.js';
import { parseMetricsLines, RunSummarySchema, type BackendRecord, type MetricsLine, type RunSummary, type SweepValue } from '../protocol/events.js';
import { appendLinesDurably, describeFsError, writeFileAtomic, writeJsonAtomic } from './atomicFile.js';

/** A run folder that cannot be used as asked (missing, corrupt, not writable): invalid input, exit 2. */
export class RunStoreError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RunStoreError';
  }
}

export interface RunPaths {
  dir: string;
  config: string;
  metrics: string;
  summary: string;
  heartbeat: string;
  checkpoint: (kind: 'last' | 'best') => string;
  attention: (kind: 'last' | 'best') => string;
  predictions: (kind: 'last' | 'best') => string;
}

export function runPaths(dir: string): RunPaths {
  return {
    dir,
    config: path.join(dir, 'config.json'),
    metrics: path.join(dir, 'metrics.jsonl'),
    summary: path.join(dir, 'summary.json'),
    heartbeat: path.join(dir, 'heartbeat.json'),
    checkpoint: (kind) => path.join(dir, `checkpoint-${kind}.pack`),
    attention: (kind) => path.join(dir, `attention-${kind}.pack`),
    predictions: (kind) => path.join(dir, `predictions-${kind}.csv`),
  };
}

/** Everything needed to rerun or resume a run, independent of the experiment file. */
export interface ResolvedRunConfig {
  runId: string;
  experiment: Experiment;
  experimentFile?: string;
  baseDir: string;
  seed: number;
  fold?: number;
  sweepValues: Record<string, SweepValue>;
  configLabel: string;
  backend: BackendRecord | null;
  createdAt: string;
  /** Set by `aem-train submit`: where the scheduler runs it. */
  cluster?: ClusterRecord;
}

/** A run's place in a SLURM job array (the latest submission; earlier ones in `previous`). */
export interface ClusterRecord {
  scheduler: 'slurm';
  jobId: string;
  arrayIndex: number;
  /** The sbatch script that submitted it, and the task's output file. */
  script: string;
  output: string;
  submittedAt: string;
  previous?: { jobId: string; arrayIndex: number; submittedAt: string }[];
}

function timestamp(d: Date): string {
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}${p(d.getMonth() + 1)}${p(d.getDate())}-${p(d.getHours())}${p(d.getMinutes())}${p(d.getSeconds())}`;
}

/** Creates a new, unique run folder: <root>/<experiment>/<config>-s<seed>-<time>. */
export function createRunDir(outputRoot: string, experiment: string, configLabel: string, seed: number, now = new Date()): { runId: string; dir: string } {
  const base = `${configLabel}-s${seed}-${timestamp(now)}`;
  for (let i = 0; ; i++) {
    const runId = i === 0 ? base : `${base}-${i}`;
    const dir = path.join(outputRoot, experiment, runId);
    if (!existsSync(dir)) {
      try {
        mkdirSync(dir, { recursive: true });
      } catch (err) {
        throw new RunStoreError(`cannot create the run folder ${dir}: ${describeFsError(err)}; check the output folder (${outputRoot}) or set "output" in the experiment`);
      }
      return { runId, dir };
    }
  }
}

export function writeRunConfig(paths: RunPaths, config: ResolvedRunConfig): void {
  writeJsonAtomic(paths.config, config);
}

function readJsonStrict(file: string, what: string): unknown {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new RunStoreError(`cannot read ${file}: ${describeFsError(err)}`);
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    throw new RunStoreError(`${file} is cut short or corrupt (${err instanceof Error ? err.message : String(err)}); ${what}`);
  }
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Reads config.json; a missing folder, a missing or corrupt file is a RunStoreError that says what is wrong. */
export function readRunConfig(dir: string): ResolvedRunConfig {
  if (!existsSync(dir)) throw new RunStoreError(`no such run folder: ${dir}`);
  if (!statSync(dir).isDirectory()) throw new RunStoreError(`${dir} is not a run folder (not a folder)`);
  const file = runPaths(dir).config;
  if (!existsSync(file)) throw new RunStoreError(`${dir} is not a run folder (no config.json)`);
  const raw = readJsonStrict(file, 'it is written once when the run is created: the run cannot be resumed without it');
  const exp = isObject(raw) ? raw.experiment : undefined;
  const missing = [
    isObject(raw) && typeof raw.runId === 'string' ? '' : 'runId',
    isObject(raw) && typeof raw.baseDir === 'string' ? '' : 'baseDir',
    isObject(raw) && Number.isSafeInteger(raw.seed) ? '' : 'seed',
    isObject(raw) && typeof raw.configLabel === 'string' ? '' : 'configLabel',
    isObject(raw) && isObject(raw.sweepValues) ? '' : 'sweepValues',
    isObject(exp) && typeof exp.name === 'string' && isObject(exp.data) && isObject(exp.train) && isObject(exp.compute) && isObject(exp.aem) && isObject(exp.model) ? '' : 'experiment',
  ].filter(Boolean);
  if (missing.length > 0) throw new RunStoreError(`${file} is not a run config (missing or invalid: ${missing.join(', ')})`);
  return raw as unknown as ResolvedRunConfig;
}

/** summary.json as it is on disk, failing with a RunStoreError when it exists but cannot be read. */
export function readSummaryStrict(dir: string): RunSummary | undefined {
  const file = runPaths(dir).summary;
  if (!existsSync(file)) return undefined;
  const parsed = RunSummarySchema.safeParse(readJsonStrict(file, 'delete it to resume from the checkpoint (the run\'s wall time so far is lost)'));
  if (!parsed.success) throw new RunStoreError(`${file} is not a run summary (${parsed.error.issues[0]?.path.join('.') ?? ''}: ${parsed.error.issues[0]?.message ?? 'invalid'}); delete it to resume from the checkpoint`);
  return parsed.data;
}

export function appendMetrics(paths: RunPaths, lines: MetricsLine[]): void {
  appendLinesDurably(
    paths.metrics,
    lines.map((l) => JSON.stringify(l)),
  );
}

/** Reads metrics.jsonl, ignoring a torn last line. */
export function readMetrics(dir: string): MetricsLine[] {
  const file = runPaths(dir).metrics;
  if (!existsSync(file)) return [];
  return parseMetricsLines(readFileSync(file, 'utf8'));
}

/** Drops metric lines after `lastEpoch`, so a resumed run does not record an epoch twice. */
export function truncateMetricsAfter(paths: RunPaths, lastEpoch: number): void {
  if (!existsSync(paths.metrics)) return;
  const kept = readMetrics(paths.dir).filter((m) => m.epoch <= lastEpoch);
  writeFileAtomic(paths.metrics, kept.map((m) => `${JSON.stringify(m)}\n`).join(''));
}

export function writeSummary(paths: RunPaths, summary: RunSummary): void {
  writeJsonAtomic(paths.summary, summary);
}

/** summary.json, or undefined when it is missing or unreadable. */
export function readSummary(dir: string): RunSummary | undefined {
  try {
    return readSummaryStrict(dir);
  } catch {
    return undefined;
  }
}

export interface PredictionRow {
  slideId: string;
  split: string;
  label: number;
  labelName: string;
  probs: ArrayLike<number>;
}

function csvCell(s: string): string {
  return /[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export function writePredictions(paths: RunPaths, kind: 'last' | 'best', classes: string[], epoch: number, rows: PredictionRow[]): void {
  const header = ['slide_id', 'split', 'label', 'label_name', 'predicted', ...classes.map((c) => `p_${c}`), 'epoch'];
  const lines = rows.map((r) => {
    let pred = 0;
    for (let c = 1; c < r.probs.length; c++) if ((r.probs[c] as number) > (r.probs[pred] as number)) pred = c;
    return [csvCell(r.slideId), r.split, String(r.label), csvCell(r.labelName), csvCell(classes[pred] ?? String(pred)), ...Array.from(r.probs, (p) => p.toPrecision(7)), String(epoch)].join(',');
  });
  writeFileAtomic(paths.predictions(kind), `${header.map(csvCell).join(',')}\n${lines.join('\n')}\n`);
}

export function writeHeartbeat(paths: RunPaths, state: { epoch: number; iter: number; status: string }): void {
  // host: on a cluster the login node reads this heartbeat, and must not probe a compute node's pid.
  writeJsonAtomic(paths.heartbeat, { pid: process.pid, host: hostname(), at: new Date().toISOString(), ...state });
}
