// Slide-level classification metrics, matching scikit-learn 1.2 (roc_auc_score, f1_score with
// average='macro' and zero_division=0, accuracy_score) on argmax predictions.

/** scikit-learn's text when y_true holds a single class. */
export const AUROC_ONE_CLASS_REASON = 'Only one class present in y_true. ROC AUC score is not defined in that case.';
/** scikit-learn's text when a multi-class y_true lacks some of the score columns' classes. */
export const AUROC_MISSING_CLASS_REASON = "Number of classes in y_true not equal to the number of columns in 'y_score'";
/** scikit-learn (1.2) rejects NaN or infinite scores outright. */
export const AUROC_NON_FINITE_REASON = 'Input contains NaN, infinity or a value too large.';

export type Auroc =
  | { value: number; perClass: (number | null)[] }
  | { value: null; reason: string; perClass: (number | null)[] };

export interface ClassificationMetrics {
  /** Macro AUROC; null where it is undefined (see aurocUndefinedReason). */
  auroc: number | null;
  aurocUndefinedReason?: string;
  /** One-vs-rest AUROC per class; null for a class with no positives or no negatives. */
  aurocPerClass: (number | null)[];
  f1: number;
  accuracy: number;
}

/** Index of the largest value; the first one wins on ties and a NaN wins outright, as numpy.argmax. */
export function argmax(row: ArrayLike<number>): number {
  let best = 0;
  let bestValue = row[0];
  if (bestValue === undefined) throw new RangeError('argmax of an empty row');
  if (Number.isNaN(bestValue)) return 0;
  for (let i = 1; i < row.length; i++) {
    const v = row[i] as number;
    if (Number.isNaN(v)) return i;
    if (v > bestValue) {
      bestValue = v;
      best = i;
    }
  }
  return best;
}

function checkInputs(labels: readonly number[], probs: readonly (readonly number[])[], nClasses?: number): void {
  if (labels.length !== probs.length) {
    throw new RangeError(`metrics: ${labels.length} labels but ${probs.length} probability rows`);
  }
  if (labels.length === 0) throw new RangeError('metrics: no samples');
  if (nClasses === undefined) return;
  if (!Number.isInteger(nClasses) || nClasses < 2) throw new RangeError(`metrics: nClasses must be an integer >= 2, got ${nClasses}`);
  for (let i = 0; i < labels.length; i++) {
    const y = labels[i] as number;
    if (!Number.isInteger(y) || y < 0 || y >= nClasses) {
      throw new RangeError(`metrics: label ${y} at sample ${i} is not a class id in 0..${nClasses - 1}`);
    }
    const row = probs[i] as readonly number[];
    if (row.length !== nClasses) {
      throw new RangeError(`metrics: probability row ${i} has ${row.length} entries, expected ${nClasses}`);
    }
  }
}

/**
 * AUROC of `scores` for the positives marked in `positive`, as the Mann-Whitney statistic with
 * tied scores counting half (identical to the trapezoidal ROC area scikit-learn computes).
 * Null when there are no positives or no negatives.
 */
function binaryAuroc(positive: Uint8Array, scores: Float64Array): number | null {
  const n = scores.length;
  let nPos = 0;
  for (let i = 0; i < n; i++) nPos += positive[i] as number;
  const nNeg = n - nPos;
  if (nPos === 0 || nNeg === 0) return null;

  const order = new Uint32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  order.sort((a, b) => (scores[a] as number) - (scores[b] as number));

  // Walk groups of equal score in ascending order; each positive beats every negative below it
  // and ties with the negatives in its own group. Counts stay integral until the final division.
  let wins = 0;
  let ties = 0;
  let negBelow = 0;
  let i = 0;
  while (i < n) {
    const s = scores[order[i] as number] as number;
    let pos = 0;
    let neg = 0;
    while (i < n && scores[order[i] as number] === s) {
      if (positive[order[i] as number] === 1) pos++;
      else neg++;
      i++;
    }
    wins += pos * negBelow;
    ties += pos * neg;
    negBelow += neg;
  }
  return (wins + 0.5 * ties) / (nPos * nNeg);
}

function oneVsRest(labels: readonly number[], probs: readonly (readonly number[])[], c: number): number | null {
  const n = labels.length;
  const positive = new Uint8Array(n);
  const scores = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    positive[i] = labels[i] === c ? 1 : 0;
    scores[i] = (probs[i] as readonly number[])[c] as number;
  }
  return binaryAuroc(positive, scores);
}

/**
 * Binary: AUROC of p[:, 1]. Multi-class: one-vs-rest macro average. Undefined (value null) when
 * y_true holds one class only, or, for multi-class, when any class is absent from y_true:
 * scikit-learn raises in both cases rather than averaging over the classes present, and so do we.
 * `perClass` is always filled where a class's one-vs-rest AUROC exists.
 */
export function aurocMacro(labels: readonly number[], probs: readonly (readonly number[])[], nClasses: number): Auroc {
  checkInputs(labels, probs, nClasses);
  for (const row of probs) {
    for (const p of row) {
      if (!Number.isFinite(p)) return { value: null, reason: AUROC_NON_FINITE_REASON, perClass: new Array<null>(nClasses).fill(null) };
    }
  }
  const perClass: (number | null)[] = [];
  for (let c = 0; c < nClasses; c++) perClass.push(oneVsRest(labels, probs, c));

  const present = new Set(labels);
  if (present.size < 2) return { value: null, reason: AUROC_ONE_CLASS_REASON, perClass };

  if (nClasses === 2) return { value: perClass[1] as number, perClass };

  const absent: number[] = [];
  for (let c = 0; c < nClasses; c++) if (!present.has(c)) absent.push(c);
  if (absent.length > 0) {
    const which = absent.length === 1 ? `class ${absent[0]}` : `classes ${absent.join(', ')}`;
    return { value: null, reason: `${AUROC_MISSING_CLASS_REASON} (${which} absent from y_true).`, perClass };
  }
  let sum = 0;
  for (const v of perClass) sum += v as number;
  return { value: sum / nClasses, perClass };
}

function confusionCounts(labels: readonly number[], probs: readonly (readonly number[])[], nClasses: number) {
  const tp = new Float64Array(nClasses);
  const fp = new Float64Array(nClasses);
  const fn = new Float64Array(nClasses);
  for (let i = 0; i < labels.length; i++) {
    const y = labels[i] as number;
    const pred = argmax(probs[i] as readonly number[]);
    if (pred === y) {
      tp[y] = (tp[y] as number) + 1;
    } else {
      fp[pred] = (fp[pred] as number) + 1;
      fn[y] = (fn[y] as number) + 1;
    }
  }
  return { tp, fp, fn };
}

/** Macro F1 over every class 0..nClasses-1 on argmax predictions; a class with an undefined F1 scores 0. */
export function f1Macro(labels: readonly number[], probs: readonly (readonly number[])[], nClasses: number): number {
  checkInputs(labels, probs, nClasses);
  const { tp, fp, fn } = confusionCounts(labels, probs, nClasses);
  let sum = 0;
  for (let c = 0; c < nClasses; c++) {
    const t = tp[c] as number;
    const denom = 2 * t + (fp[c] as number) + (fn[c] as number);
    sum += denom === 0 ? 0 : (2 * t) / denom;
  }
  return sum / nClasses;
}

/** Fraction of samples whose argmax prediction equals the label. */
export function accuracy(labels: readonly number[], probs: readonly (readonly number[])[]): number {
  checkInputs(labels, probs);
  let hits = 0;
  for (let i = 0; i < labels.length; i++) if (argmax(probs[i] as readonly number[]) === labels[i]) hits++;
  return hits / labels.length;
}

export function classificationMetrics(
  labels: readonly number[],
  probs: readonly (readonly number[])[],
  nClasses: number,
): ClassificationMetrics {
  const auroc = aurocMacro(labels, probs, nClasses);
  const metrics: ClassificationMetrics = {
    auroc: auroc.value,
    aurocPerClass: auroc.perClass,
    f1: f1Macro(labels, probs, nClasses),
    accuracy: accuracy(labels, probs),
  };
  if (auroc.value === null) metrics.aurocUndefinedReason = auroc.reason;
  return metrics;
}

/**
 * Score used to pick the best epoch: validation AUROC + validation macro F1. An undefined AUROC
 * counts as 0 here, so such an epoch competes on F1 alone and loses to any epoch with a defined
 * AUROC and equal F1; it is never treated as chance (0.5).
 */
export function selectionScore(m: Pick<ClassificationMetrics, 'auroc' | 'f1'>): number {
  return (m.auroc ?? 0) + m.f1;
}
