// A run store of the paper's Figure 3/4 grid, written in the engine's shapes: model.arch x aem.lambda x
// seeds, test AUROC given per (arch, lambda, seed) so the expected means, differences and p-values are known.
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { EvalEpochMetrics, MetricsLine, RunSummary } from '../../src/protocol/events.js';

/** test AUROC by arch, lambda and seed (0..4). */
export const PAIRED_AUROC: Record<string, Record<string, number[]>> = {
  abmil: { '0': [0.8, 0.82, 0.79, 0.81, 0.83], '0.1': [0.84, 0.85, 0.83, 0.86, 0.84] },
  mha: { '0': [0.75, 0.78, 0.74, 0.77, 0.76], '0.1': [0.76, 0.77, 0.78, 0.79, 0.8] },
  dsmil: { '0': [0.7, 0.71, 0.72, 0.69, 0.7], '0.1': [0.69, 0.7, 0.7, 0.68, 0.69] },
};

function testLine(epoch: number, auroc: number): EvalEpochMetrics {
  return { epoch, split: 'test', loss: 1 - auroc, ce: 1 - auroc, regulariser: -3, auroc, f1: auroc - 0.1, accuracy: auroc - 0.05, entropy: 3, entropyNormalised: 0.6, topk: [0.2, 0.3], tumourAttention: null, bags: 8, seconds: 0.1 };
}

export function writePairedStore(): string {
  const root = mkdtempSync(path.join(tmpdir(), 'aem-paired-store-'));
  for (const [arch, byLambda] of Object.entries(PAIRED_AUROC)) {
    for (const [lambdaText, aurocs] of Object.entries(byLambda)) {
      const lambda = Number(lambdaText);
      aurocs.forEach((auroc, seed) => {
        const configLabel = `arch_${arch}-lambda${lambda}`;
        const runId = `${configLabel}-s${seed}-20260101-000000`;
        const dir = path.join(root, 'zoo', runId);
        mkdirSync(dir, { recursive: true });
        const sweepValues = { 'model.arch': arch, 'aem.lambda': lambda };
        const experiment = { name: 'zoo', model: { arch }, aem: { regulariser: 'entropy', lambda, schedule: 'cosine' }, train: { epochs: 1 }, sweep: { 'model.arch': ['abmil', 'mha', 'dsmil'], 'aem.lambda': [0, 0.1] }, seeds: [seed] };
        writeFileSync(path.join(dir, 'config.json'), JSON.stringify({ runId, experiment, baseDir: root, seed, sweepValues, configLabel, backend: null, createdAt: '2026-01-01T00:00:00Z' }));
        const val = { ...testLine(0, auroc), split: 'val' as const };
        const lines: MetricsLine[] = [{ epoch: 0, split: 'train', loss: 0.5, ce: 0.5, regulariser: -3, lr: 1e-3, lambda, bags: 10, seconds: 1, bagsPerSecond: 10 }, val, testLine(0, auroc)];
        writeFileSync(path.join(dir, 'metrics.jsonl'), lines.map((l) => `${JSON.stringify(l)}\n`).join(''));
        const { topk: _topk, ...best } = testLine(0, auroc);
        const summary: RunSummary = { runId, experiment: 'zoo', configLabel, seed, sweepValues, status: 'done', epochsDone: 1, epochs: 1, bestEpoch: 0, best, last: best, wallSeconds: 1, backend: null, updatedAt: '2026-01-01T00:00:00Z' };
        writeFileSync(path.join(dir, 'summary.json'), JSON.stringify(summary));
      });
    }
  }
  return root;
}
