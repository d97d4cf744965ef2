// Trains one run of a synthetic-preset experiment in this process, as the training tests need it:
// a chosen backend (and GPU path), lambda, epochs, seed, and optionally a stop after some steps.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parseExperiment } from '../../src/config/load.js';
import { expandRuns } from '../../src/config/expand.js';
import type { EngineEvent, MetricsLine, RunSummary } from '../../src/protocol/events.js';
import { createRunDir, runPaths, writeRunConfig, type ResolvedRunConfig } from '../../src/trainer/runStore.js';
import { trainRun } from '../../src/trainer/train.js';

export interface SyntheticRunOptions {
  lambda: number;
  epochs: number;
  seed: number;
  stopAfterSteps?: number;
  preset?: 'tiny' | 'demo';
  backend?: 'wasm' | 'cpu' | 'webgpu';
  gpuPath?: 'auto' | 'fused' | 'tfjs';
  regulariser?: 'entropy' | 'kl' | 'none' | 'entropy_topk';
  /** aem.k, for entropy_topk. */
  k?: number;
  maxInstances?: number;
  subsample?: number;
  gpuCacheMB?: number;
  /** Replaces the experiment's data section (e.g. the generated dataset read as clam data). */
  data?: Record<string, unknown>;
  /** The experiment's model section (default: ABMIL's defaults). */
  model?: { arch: string; [option: string]: unknown };
  /** Further aem settings (schedule "auto" and its fields); schedule defaults to cosine. */
  aem?: Record<string, unknown>;
}

export interface SyntheticRun {
  dir: string;
  summary: RunSummary;
  events: EngineEvent[];
}

function experimentText(o: SyntheticRunOptions): string {
  return JSON.stringify({
    name: 'learn',
    data: o.data ?? { format: 'synthetic', synthetic: { preset: o.preset ?? 'tiny', seed: 3 } },
    ...(o.model ? { model: o.model } : {}),
    aem: { regulariser: o.regulariser ?? 'entropy', lambda: o.lambda, schedule: 'cosine', ...(o.k !== undefined ? { k: o.k } : {}), ...o.aem },
    train: { epochs: o.epochs, lr: 1e-3, topK: 50, ...(o.maxInstances ? { maxInstances: o.maxInstances } : {}), ...(o.subsample !== undefined ? { subsample: o.subsample } : {}) },
    compute: { backend: o.backend ?? 'wasm', gpuPath: o.gpuPath ?? 'auto', ...(o.gpuCacheMB !== undefined ? { gpuCacheMB: o.gpuCacheMB } : {}) },
    output: 'runs',
  });
}

export async function trainSynthetic(workspace: string, o: SyntheticRunOptions): Promise<SyntheticRun> {
  const [spec] = expandRuns(parseExperiment(experimentText(o), 'learn.aem.json'), undefined, [o.seed]);
  assert.ok(spec);
  const { runId, dir } = createRunDir(path.join(workspace, 'runs'), 'learn', spec.configLabel, o.seed);
  const config: ResolvedRunConfig = { runId, experiment: spec.experiment, baseDir: workspace, seed: o.seed, sweepValues: {}, configLabel: spec.configLabel, backend: null, createdAt: new Date().toISOString() };
  writeRunConfig(runPaths(dir), config);
  const events: EngineEvent[] = [];
  let steps = 0;
  const summary = await trainRun(
    { config, runDir: dir, resume: false },
    {
      emit: (e) => events.push(e),
      shouldStop: () => o.stopAfterSteps !== undefined && steps++ >= o.stopAfterSteps,
    },
  );
  return { dir, summary, events };
}

/** Resumes a stopped run from its checkpoint to the end. */
export async function resumeRun(dir: string): Promise<SyntheticRun> {
  const config = JSON.parse(readFileSync(runPaths(dir).config, 'utf8')) as ResolvedRunConfig;
  const events: EngineEvent[] = [];
  const summary = await trainRun({ config, runDir: dir, resume: true }, { emit: (e) => events.push(e), shouldStop: () => false });
  return { dir, summary, events };
}

/** Metric lines without their timings, which differ between runs. */
export function comparable(lines: MetricsLine[]): unknown[] {
  return lines.map((l) => {
    const { seconds: _s, ...rest } = l as MetricsLine & { bagsPerSecond?: number };
    delete (rest as { bagsPerSecond?: number }).bagsPerSecond;
    return rest;
  });
}
