// A run store written by hand in a temporary folder, in the shapes the engine writes (config.json,
// metrics.jsonl lines valid under MetricsLineSchema, summary.json valid under RunSummarySchema).
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { EvalEpochMetrics, MetricsLine, RunSummary, TrainEpochMetrics } from '../../src/protocol/events.js';

export interface FixtureRun {
  experiment: string;
  lambda: number;
  schedule: 'cosine' | 'constant' | 'auto';
  /** Further aem settings (auto's target), and the sweep values that name the run (default: aem.lambda). */
  aem?: Record<string, unknown>;
  sweepValues?: Record<string, number>;
  seed: number;
  epochs: number;
  bestEpoch: number;
  status: RunSummary['status'];
  /** test AUROC at a 0-based epoch. */
  auroc: (epoch: number) => number;
  entropy: number;
}

function evalLine(split: 'val' | 'test', epoch: number, auroc: number, entropy: number): EvalEpochMetrics {
  return { epoch, split, loss: 1 - auroc, ce: 1 - auroc, regulariser: -entropy, auroc, f1: auroc - 0.1, accuracy: auroc - 0.05, entropy, entropyNormalised: entropy / 5, topk: [0.1, 0.25, 0.45].map((v) => v + epoch / 100), tumourAttention: null, bags: 8, seconds: 0.1 };
}

function trainLine(epoch: number, lambda: number): TrainEpochMetrics {
  return { epoch, split: 'train', loss: 0.7 - epoch / 10, ce: 0.7 - epoch / 10, regulariser: -4, lr: 1e-3, lambda, bags: 28, seconds: 1, bagsPerSecond: 28 };
}

export function writeRun(root: string, r: FixtureRun): string {
  const sweepValues = r.sweepValues ?? { 'aem.lambda': r.lambda };
  const label = Object.entries(sweepValues).map(([k, v]) => `${k.split('.')[1]}${v}`).join('-');
  const runId = `${label}-s${r.seed}-20260101-000000`;
  const dir = path.join(root, r.experiment, runId);
  mkdirSync(dir, { recursive: true });
  const experiment = { name: r.experiment, aem: { regulariser: 'entropy', lambda: r.lambda, schedule: r.schedule, ...r.aem }, model: { arch: 'abmil', attention: 128 }, train: { epochs: r.epochs, topK: 3 }, sweep: { 'aem.lambda': [0, 0.1] }, seeds: [r.seed] };
  writeFileSync(path.join(dir, 'config.json'), JSON.stringify({ runId, experiment, baseDir: root, seed: r.seed, sweepValues, configLabel: label, backend: null, createdAt: '2026-01-01T00:00:00Z' }));
  const lines: MetricsLine[] = [];
  for (let e = 0; e < r.epochs; e++) lines.push(trainLine(e, r.lambda), evalLine('val', e, r.auroc(e), r.entropy), evalLine('test', e, r.auroc(e), r.entropy));
  writeFileSync(path.join(dir, 'metrics.jsonl'), lines.map((l) => `${JSON.stringify(l)}\n`).join(''));
  const { topk: _topk, ...best } = evalLine('test', r.bestEpoch, r.auroc(r.bestEpoch), r.entropy);
  const summary: RunSummary = {
    runId,
    experiment: r.experiment,
    configLabel: label,
    seed: r.seed,
    sweepValues,
    status: r.status,
    epochsDone: r.epochs,
    epochs: r.epochs,
    bestEpoch: r.bestEpoch,
    best,
    last: best,
    wallSeconds: 3,
    backend: null,
    updatedAt: '2026-01-01T00:00:00Z',
  };
  writeFileSync(path.join(dir, 'summary.json'), JSON.stringify(summary));
  for (const kind of ['best', 'last'] as const) writeFileSync(path.join(dir, `predictions-${kind}.csv`), predictionsCsv(r, kind === 'best' ? r.bestEpoch : r.epochs - 1));
  return dir;
}

/**
 * 8 val and 12 test slides, labels alternating normal / tumor, p(tumor) a fixed function of the slide,
 * the seed and lambda (no randomness), so that ROC and confusion have known inputs.
 */
export function predictionRows(r: Pick<FixtureRun, 'seed' | 'lambda'>): { slideId: string; split: 'val' | 'test'; label: number; pTumor: number }[] {
  return Array.from({ length: 20 }, (_, i) => {
    const label = i % 2;
    const wobble = 0.45 * Math.sin(1.7 * i + r.seed + 10 * r.lambda);
    const pTumor = Math.round(Math.min(0.99, Math.max(0.01, 0.5 + (label === 1 ? 0.12 : -0.12) + wobble)) * 1000) / 1000;
    return { slideId: `slide_${String(i).padStart(2, '0')}`, split: i < 8 ? 'val' : 'test', label, pTumor };
  });
}

function predictionsCsv(r: FixtureRun, epoch: number): string {
  const lines = predictionRows(r).map((p) => [p.slideId, p.split, p.label, p.label === 1 ? 'tumor' : 'normal', p.pTumor > 0.5 ? 'tumor' : 'normal', (1 - p.pTumor).toFixed(3), p.pTumor.toFixed(3), epoch].join(','));
  return `slide_id,split,label,label_name,predicted,p_normal,p_tumor,epoch\n${lines.join('\n')}\n`;
}

/**
 * exp-cos (cosine) and exp-const (constant), lambda 0 and 0.1, seeds 0-4, 3 epochs, best epoch 2.
 * test AUROC = 0.70 + 0.05 epoch + 0.01 seed, plus 0.02 + 0.001 seed for lambda 0.1 (plus 0.01 in exp-const);
 * entropy = 3 + 10 lambda + 0.1 seed. exp-cos also has one running run (seed 9).
 */
export function writeStore(): string {
  const root = mkdtempSync(path.join(tmpdir(), 'aem-nb-'));
  for (const [experiment, schedule, shift] of [['exp-cos', 'cosine', 0], ['exp-const', 'constant', 0.01]] as const) {
    for (const lambda of [0, 0.1]) {
      for (let seed = 0; seed < 5; seed++) {
        const gain = lambda > 0 ? 0.02 + 0.001 * seed + shift : 0;
        writeRun(root, { experiment, lambda, schedule, seed, epochs: 3, bestEpoch: 2, status: 'done', auroc: (e) => 0.7 + 0.05 * e + 0.01 * seed + gain, entropy: 3 + 10 * lambda + 0.1 * seed });
      }
    }
  }
  writeRun(root, { experiment: 'exp-cos', lambda: 0, schedule: 'cosine', seed: 9, epochs: 3, bestEpoch: 0, status: 'running', auroc: () => 0.5, entropy: 3 });
  return root;
}

/** One seed of `aem.schedule: "auto"` runs (experiment "auto", start 0.1, lambdaLr 0.05), a run per target, test AUROC `auroc[target](seed)`. */
export function writeAutoRuns(root: string, auroc: Record<number, (seed: number) => number>, seed: number): void {
  for (const [target, f] of Object.entries(auroc)) {
    writeRun(root, {
      experiment: 'auto',
      lambda: 0.1,
      schedule: 'auto',
      aem: { targetEntropy: Number(target), targetSchedule: 'constant', lambdaLr: 0.05 },
      sweepValues: { 'aem.targetEntropy': Number(target) },
      seed,
      epochs: 2,
      bestEpoch: 1,
      status: 'done',
      auroc: () => f(seed),
      entropy: 3,
    });
  }
}
