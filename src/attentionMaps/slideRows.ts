// The slide list of the map view: each slide of the predictions file with its prediction, whether it is
// right, how confident, its attention entropy and (where instance truth exists) the attention mass on
// the tumour; ordered wrong first, then least confident first.
import type { PredictionRecord } from './predictionsCsv.js';

export interface SlideRow {
  slideId: string;
  split: string;
  label: number;
  labelName: string;
  predicted: number;
  predictedName: string;
  /** Probability of the predicted class. */
  probability: number;
  correct: boolean;
  /** Mean over heads of the attention entropy, nats; null when the pack has no attention for the slide. */
  entropy: number | null;
  n: number;
  heads: number;
  hasCoords: boolean;
  /** Attention (mean over heads) on true tumour patches; null without instance truth. */
  tumourMass: number | null;
}

export interface SlideStats {
  entropy: number;
  n: number;
  heads: number;
  hasCoords: boolean;
  tumourMass: number | null;
}

export function slideRows(predictions: PredictionRecord[], classes: string[], stats: Map<string, SlideStats>): SlideRow[] {
  return predictions.map((p) => {
    const s = stats.get(p.slideId);
    return {
      slideId: p.slideId,
      split: p.split,
      label: p.label,
      labelName: p.labelName,
      predicted: p.predicted,
      predictedName: classes[p.predicted] ?? String(p.predicted),
      probability: p.probs[p.predicted] ?? 0,
      correct: p.predicted === p.label,
      entropy: s?.entropy ?? null,
      n: s?.n ?? 0,
      heads: s?.heads ?? 0,
      hasCoords: s?.hasCoords ?? false,
      tumourMass: s?.tumourMass ?? null,
    };
  });
}

/** Wrongly classified first, then by rising confidence, then by slide id. */
export function errorsFirst(a: SlideRow, b: SlideRow): number {
  if (a.correct !== b.correct) return a.correct ? 1 : -1;
  return a.probability - b.probability || a.slideId.localeCompare(b.slideId);
}

/** Mean of the slides' tumour mass over slides that have truth and some tumour; null when none has. */
export function meanTumourMass(rows: SlideRow[]): number | null {
  const masses = rows.flatMap((r) => (r.tumourMass !== null ? [r.tumourMass] : []));
  return masses.length > 0 ? masses.reduce((s, m) => s + m, 0) / masses.length : null;
}
