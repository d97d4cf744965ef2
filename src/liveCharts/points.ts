// Turns what the engine reports (an `epoch` event, or the lines of metrics.jsonl) into the per-epoch
// points the charts draw, and the figures of the panel's header.
import type { EvalEpochMetrics, MetricsLine, TrainEpochMetrics } from '../protocol/events.js';
import { selectionScore } from '../trainer/metrics.js';
import type { ChartEpoch, EvalPoint } from '../protocol/liveCharts.js';

function evalPoint(m: EvalEpochMetrics): EvalPoint {
  return { loss: m.loss, auroc: m.auroc, f1: m.f1, accuracy: m.accuracy, entropy: m.entropy, entropyNormalised: m.entropyNormalised };
}

export function chartEpochOf(train: TrainEpochMetrics, val: EvalEpochMetrics, test: EvalEpochMetrics): ChartEpoch {
  return {
    epoch: train.epoch,
    trainLoss: train.loss,
    lambda: train.lambda,
    lr: train.lr,
    bagsPerSecond: train.bagsPerSecond,
    seconds: train.seconds + val.seconds + test.seconds,
    val: evalPoint(val),
    test: evalPoint(test),
    testTopk: test.topk,
    ...(test.perHead ? { testPerHead: test.perHead } : {}),
    ...(test.terms && Object.keys(test.terms).length > 0 ? { testTerms: test.terms } : {}),
  };
}

/** Collects metrics.jsonl lines until an epoch has its train, val and test lines. */
export class EpochAssembler {
  private readonly pending = new Map<number, { train?: TrainEpochMetrics; val?: EvalEpochMetrics; test?: EvalEpochMetrics }>();

  push(line: MetricsLine): ChartEpoch | undefined {
    const parts = this.pending.get(line.epoch) ?? {};
    if (line.split === 'train') parts.train = line;
    else parts[line.split] = line;
    this.pending.set(line.epoch, parts);
    if (!parts.train || !parts.val || !parts.test) return undefined;
    this.pending.delete(line.epoch);
    return chartEpochOf(parts.train, parts.val, parts.test);
  }
}

/** The engine's selection rule: the first epoch with the highest val AUROC + val F1. */
export function bestEpochOf(epochs: readonly ChartEpoch[]): number | null {
  let best: ChartEpoch | undefined;
  let bestScore = -Infinity;
  for (const e of epochs) {
    const score = selectionScore(e.val);
    if (score > bestScore) {
      best = e;
      bestScore = score;
    }
  }
  return best?.epoch ?? null;
}

/** Remaining time from the mean duration of the epochs done so far. */
export function etaFromEpochs(epochs: readonly ChartEpoch[], total: number): number | null {
  if (epochs.length === 0) return null;
  const mean = epochs.reduce((sum, e) => sum + e.seconds, 0) / epochs.length;
  return Math.max(0, total - epochs.length) * mean;
}

/** Inserts or replaces the point of its epoch, keeping the list ordered by epoch. */
export function upsertEpoch<T extends { epoch: number }>(epochs: T[], point: T): void {
  let i = epochs.length;
  while (i > 0 && (epochs[i - 1] as T).epoch > point.epoch) i--;
  if (i > 0 && (epochs[i - 1] as T).epoch === point.epoch) epochs[i - 1] = point;
  else epochs.splice(i, 0, point);
}
