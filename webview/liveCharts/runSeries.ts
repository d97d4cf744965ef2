// The data of one shown run: per-epoch scalars and its test top-k curves, each kept at most
// TOPK_POINTS values (log-spaced in k), so a long run costs a few hundred numbers an epoch.
import { logSpacedIndices } from '../../src/liveCharts/topk.js';
import { upsertEpoch } from '../../src/liveCharts/points.js';
import type { CsvEpoch } from '../../src/liveCharts/csv.js';
import type { PerHeadAttention } from '../../src/protocol/events.js';
import type { ChartEpoch, ChartRunInfo, RunProgress } from '../../src/protocol/liveCharts.js';

export const TOPK_POINTS = 160;

export type StoredEpoch = CsvEpoch & { testTopk: Float32Array };

export class RunSeries {
  epochs: StoredEpoch[] = [];
  /** k (1-based) of each kept top-k value. */
  topkKs: number[] = [];
  private topkIndices: number[] = [];
  private topkLength = -1;
  bestEpoch: number | null = null;
  progress: RunProgress | null = null;
  /** The per-head metrics of the latest epoch that has them (multi-head runs), and that epoch. */
  perHead: PerHeadAttention | undefined;
  private perHeadEpoch = -1;

  constructor(public info: ChartRunInfo) {}

  get runId(): string {
    return this.info.runId;
  }

  reset(epochs: readonly ChartEpoch[], bestEpoch: number | null): void {
    this.epochs = [];
    this.perHead = undefined;
    this.perHeadEpoch = -1;
    for (const e of epochs) upsertEpoch(this.epochs, this.store(e));
    this.bestEpoch = bestEpoch;
  }

  /** Adds an epoch; returns true when it came last (the common case), false when it replaced or filled in. */
  append(point: ChartEpoch, bestEpoch: number | null): boolean {
    const last = this.epochs[this.epochs.length - 1];
    const stored = this.store(point);
    this.bestEpoch = bestEpoch;
    if (!last || last.epoch < point.epoch) {
      this.epochs.push(stored);
      return true;
    }
    upsertEpoch(this.epochs, stored);
    return false;
  }

  epochAt(epoch: number): StoredEpoch | undefined {
    const direct = this.epochs[epoch];
    return direct?.epoch === epoch ? direct : this.epochs.find((e) => e.epoch === epoch);
  }

  private store(point: ChartEpoch): StoredEpoch {
    if (point.testPerHead && point.epoch >= this.perHeadEpoch) {
      this.perHead = point.testPerHead;
      this.perHeadEpoch = point.epoch;
    }
    const length = point.testTopk.length;
    if (length !== this.topkLength) {
      this.topkLength = length;
      this.topkIndices = logSpacedIndices(length, TOPK_POINTS);
      this.topkKs = this.topkIndices.map((i) => i + 1);
    }
    const topk = new Float32Array(this.topkIndices.length);
    this.topkIndices.forEach((index, i) => (topk[i] = point.testTopk[index] as number));
    return { ...point, testTopk: topk };
  }
}
