// The evaluation's losses, probabilities and attention from a forward pass's raw outputs, on the host in
// float64: evaluation needs no gradients, so reading the logits [C] and the scores [heads, N] back and
// doing the log-softmaxes here costs O(N) host work instead of ~50 small tfjs kernels per bag.
import { OUTSIDE_SCORE, type Regulariser } from './lossTerms.js';

export interface EvalLossInput {
  logits: ArrayLike<number>;
  /** Attention scores before the softmax, [heads, N] row-major. */
  scores: ArrayLike<number>;
  heads: number;
  label: number;
  regulariser: Regulariser;
  lambda: number;
  /** The model's own loss terms by name (already weighted), where it has them. */
  extraTerms?: Readonly<Record<string, number>>;
  bagLossWeight?: number;
}

export interface EvalLoss {
  total: number;
  ce: number;
  regulariser: number;
  probs: Float32Array;
  /** Softmax attention, [heads, N]. */
  attention: Float32Array;
}

/** log softmax of values[from, from + n), into out (float64). */
function logSoftmaxInto(values: ArrayLike<number>, from: number, n: number, out: Float64Array): void {
  let max = -Infinity;
  for (let i = 0; i < n; i++) max = Math.max(max, values[from + i] as number);
  let sum = 0;
  for (let i = 0; i < n; i++) sum += Math.exp((values[from + i] as number) - max);
  const lse = max + Math.log(sum);
  for (let i = 0; i < n; i++) out[i] = (values[from + i] as number) - lse;
}

export function evalLoss(input: EvalLossInput): EvalLoss {
  const c = input.logits.length;
  const logP = new Float64Array(c);
  logSoftmaxInto(input.logits, 0, c, logP);
  const probs = Float32Array.from(logP, Math.exp);
  const ce = -(input.bagLossWeight ?? 1) * (logP[input.label] as number);
  const n = input.scores.length / input.heads;
  const attention = new Float32Array(input.scores.length);
  const logA = new Float64Array(n);
  let regulariser = 0;
  const topk = typeof input.regulariser === 'string' ? undefined : Math.min(input.regulariser.k, n);
  for (let h = 0; h < input.heads; h++) {
    if (topk !== undefined) regulariser += topkNegEntropy(input.scores, h * n, n, topk) / input.heads;
    logSoftmaxInto(input.scores, h * n, n, logA);
    let negEntropy = 0;
    // KL counts a row's own instances only (DTFD-MIL's pseudo-bags score the others OUTSIDE_SCORE).
    let sumLogA = 0;
    let inside = 0;
    for (let i = 0; i < n; i++) {
      const la = logA[i] as number;
      const a = Math.exp(la);
      attention[h * n + i] = a;
      negEntropy += a * la;
      if ((input.scores[h * n + i] as number) > OUTSIDE_SCORE / 2) {
        sumLogA += la;
        inside += 1;
      }
    }
    if (input.regulariser === 'entropy') regulariser += negEntropy / input.heads;
    else if (input.regulariser === 'kl') regulariser += (-Math.log(inside) - sumLogA / inside) / input.heads;
  }
  let total = ce + input.lambda * regulariser;
  for (const term of Object.values(input.extraTerms ?? {})) total += term;
  return { total, ce, regulariser, probs, attention };
}

/** entropy_topk: sum v log v over the k largest scores' softmax (the renormalised top-k attention). */
function topkNegEntropy(values: ArrayLike<number>, from: number, n: number, k: number): number {
  const top = Array.from({ length: n }, (_, i) => values[from + i] as number)
    .sort((a, b) => b - a)
    .slice(0, k);
  const logV = new Float64Array(k);
  logSoftmaxInto(top, 0, k, logV);
  let negEntropy = 0;
  for (const lv of logV) negEntropy += Math.exp(lv) * lv;
  return negEntropy;
}
