// The on-disk record of a run: <output>/<experiment>/<run-id>/ with config.json, metrics.jsonl,
// summary.json, checkpoints, per-slide predictions and attention. Everything is written atomically
// (or appended and flushed line by line), so a killed process loses at most the step it was in.
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import path from 'node:path';
import type { Experiment } from '../config/schema.js';
import { parseMetricsLines, RunSummarySchema, type BackendRecord, type MetricsLine, type RunSummary } from '../protocol/events.js';
import { appendLinesDurably, writeFileAtomic, writeJsonAtomic } from './atomicFile.js';

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
  sweepValues: Record<string, number>;
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
      mkdirSync(dir, { recursive: true });
      return { runId, dir };
    }
  }
}

export function writeRunConfig(paths: RunPaths, config: ResolvedRunConfig): void {
  writeJsonAtomic(paths.config, config);
}

export function readRunConfig(dir: string): ResolvedRunConfig {
  const file = runPaths(dir).config;
  if (!existsSync(file)) throw new Error(`${dir} is not a run folder (no config.json)`);
  return JSON.parse(readFileSync(file, 'utf8')) as ResolvedRunConfig;
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

export function readSummary(dir: string): RunSummary | undefined {
  const file = runPaths(dir).summary;
  if (!existsSync(file)) return undefined;
  const parsed = RunSummarySchema.safeParse(JSON.parse(readFileSync(file, 'utf8')));
  return parsed.success ? parsed.data : undefined;
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
