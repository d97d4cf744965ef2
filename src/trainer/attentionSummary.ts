// The attention metrics of one split: the mean over bags (and over a bag's rows: heads, branches,
// classes) of the entropy, the normalised entropy and the top-k cumulative curve, and the same per row
// where the rows are the same component in every bag.
import { logSpacedIndices } from '../liveCharts/topk.js';
import { PER_HEAD_TOPK_POINTS, type EvalEpochMetrics, type PerHeadAttention } from '../protocol/events.js';
import { attentionEntropy, normalisedEntropy, TopkAccumulator, topkCumulative } from './attentionStats.js';

interface RowSums {
  entropy: number;
  entropyNormalised: number;
  topk: TopkAccumulator;
}

export type AttentionMetrics = Pick<EvalEpochMetrics, 'entropy' | 'entropyNormalised' | 'topk' | 'perHead'>;

export class AttentionSummary {
  private readonly topk: TopkAccumulator;
  private entropy = 0;
  private entropyNorm = 0;
  private bags = 0;
  /** Per-row sums while every bag so far had the same number (> 1) of rows; null once one did not. */
  private rows: RowSums[] | null | undefined;

  /**
   * @param K the largest k of the top-k curve
   * @param rowKind what a row is ("head", "branch", "class"), or undefined when rows are not comparable
   *   across bags (or there is one): then no per-row metrics are kept.
   */
  constructor(
    private readonly K: number,
    private readonly rowKind: string | undefined,
  ) {
    this.topk = new TopkAccumulator(K);
    if (rowKind === undefined) this.rows = null;
  }

  /** Adds one bag's attention, [rows, n] row-major. */
  add(attention: Float32Array, rows: number, n: number): void {
    if (!Number.isInteger(rows) || rows < 1 || attention.length !== rows * n) throw new RangeError(`AttentionSummary: ${attention.length} attention values are not ${rows} rows of ${n}`);
    if (this.rows === undefined) this.rows = rows > 1 ? Array.from({ length: rows }, () => ({ entropy: 0, entropyNormalised: 0, topk: new TopkAccumulator(this.K) })) : null;
    else if (this.rows && this.rows.length !== rows) this.rows = null;
    for (let h = 0; h < rows; h++) {
      const a = attention.subarray(h * n, (h + 1) * n);
      const entropy = attentionEntropy(a);
      const entropyNorm = normalisedEntropy(a);
      const curve = topkCumulative(a, this.K);
      this.entropy += entropy / rows;
      this.entropyNorm += entropyNorm / rows;
      this.topk.addCurve(curve);
      const row = this.rows?.[h];
      if (row) {
        row.entropy += entropy;
        row.entropyNormalised += entropyNorm;
        row.topk.addCurve(curve);
      }
    }
    this.bags++;
  }

  /** The split's attention metrics; throws when no bag was added. */
  metrics(): AttentionMetrics {
    if (this.bags === 0) throw new RangeError('AttentionSummary: no bags added');
    const n = this.bags;
    return {
      entropy: this.entropy / n,
      entropyNormalised: this.entropyNorm / n,
      topk: Array.from(this.topk.mean()),
      ...(this.rows && this.rowKind !== undefined ? { perHead: this.perHead(this.rows, this.rowKind) } : {}),
    };
  }

  private perHead(rows: RowSums[], row: string): PerHeadAttention {
    const n = this.bags;
    const kept = logSpacedIndices(this.K, PER_HEAD_TOPK_POINTS);
    return {
      row,
      entropy: rows.map((r) => r.entropy / n),
      entropyNormalised: rows.map((r) => r.entropyNormalised / n),
      topkKs: kept.map((i) => i + 1),
      topk: rows.map((r) => {
        const mean = r.topk.mean();
        return kept.map((i) => mean[i] as number);
      }),
    };
  }
}
