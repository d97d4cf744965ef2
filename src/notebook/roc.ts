// ROC curves and confusion matrices from per-slide predictions, computed here (Chart.js only draws).
// rocCurve reproduces scikit-learn's roc_curve (drop_intermediate=True): one point per distinct score,
// collinear points dropped, (0, 0) first with an infinite threshold; rocAuc is the trapezoidal area
// under it, which equals roc_auc_score (ties count half).

export interface RocCurve {
  fpr: number[];
  tpr: number[];
  /** Score at or above which a slide is called positive; thresholds[0] is Infinity. */
  thresholds: number[];
}

/** positives[i] is whether slide i belongs to the positive class. Undefined when either class is missing. */
export function rocCurve(positives: readonly boolean[], scores: readonly number[]): RocCurve | undefined {
  if (positives.length !== scores.length) throw new Error(`${positives.length} labels but ${scores.length} scores`);
  const order = Array.from(scores.keys()).sort((a, b) => (scores[b] as number) - (scores[a] as number));
  const tps: number[] = [];
  const fps: number[] = [];
  const thresholds: number[] = [];
  let tp = 0;
  let fp = 0;
  for (let r = 0; r < order.length; r++) {
    const i = order[r] as number;
    if (positives[i]) tp++;
    else fp++;
    const next = order[r + 1];
    if (next === undefined || scores[next] !== scores[i]) {
      tps.push(tp);
      fps.push(fp);
      thresholds.push(scores[i] as number);
    }
  }
  if (tp === 0 || fp === 0) return undefined;
  // Keep the ends and every point where the curve changes direction (second difference non-zero).
  const keep: number[] = [];
  for (let k = 0; k < tps.length; k++) {
    if (k === 0 || k === tps.length - 1) keep.push(k);
    else if ((fps[k + 1] as number) - 2 * (fps[k] as number) + (fps[k - 1] as number) !== 0 || (tps[k + 1] as number) - 2 * (tps[k] as number) + (tps[k - 1] as number) !== 0) keep.push(k);
  }
  return {
    fpr: [0, ...keep.map((k) => (fps[k] as number) / fp)],
    tpr: [0, ...keep.map((k) => (tps[k] as number) / tp)],
    thresholds: [Infinity, ...keep.map((k) => thresholds[k] as number)],
  };
}

export function rocAuc(curve: RocCurve): number {
  let area = 0;
  for (let k = 1; k < curve.fpr.length; k++) area += ((curve.fpr[k] as number) - (curve.fpr[k - 1] as number)) * ((curve.tpr[k] as number) + (curve.tpr[k - 1] as number)) / 2;
  return area;
}

/** counts[true][predicted] for labels and predicted classes in 0..classes-1. */
export function confusionCounts(labels: readonly number[], predicted: readonly number[], classes: number): number[][] {
  const counts = Array.from({ length: classes }, () => new Array<number>(classes).fill(0));
  labels.forEach((l, i) => {
    const p = predicted[i] as number;
    const row = counts[l];
    if (row && p >= 0 && p < classes) row[p] = (row[p] as number) + 1;
  });
  return counts;
}
