// The training objective: cross-entropy plus lambda times an attention regulariser, with its gradients
// with respect to the logits and the attention scores (the model turns those into parameter gradients).
import * as tf from '@tensorflow/tfjs-core';
import type { AemConfig } from '../config/schema.js';

export type RegulariserKind = 'entropy' | 'kl' | 'none';

/** The top-k entropy of the 2025 AEM variant: the entropy of the k largest attention values renormalised. */
export interface TopkEntropy {
  kind: 'entropy_topk';
  k: number;
}

/** What the loss regularises the attention with: a plain kind, or the top-k entropy with its k. */
export type Regulariser = RegulariserKind | TopkEntropy;

/** The regulariser an experiment's `aem` section asks for (the schema makes sure entropy_topk has its k). */
export function regulariserOf(aem: Pick<AemConfig, 'regulariser' | 'k'>): Regulariser {
  if (aem.regulariser !== 'entropy_topk') return aem.regulariser;
  if (aem.k === undefined) throw new Error('aem.regulariser "entropy_topk" needs aem.k');
  return { kind: 'entropy_topk', k: aem.k };
}

/**
 * For entropy_topk: a function of (slide, instances in this step) that returns the warning for the first
 * bag smaller than k, once per run, and nothing after (the regulariser then uses all the bag's instances).
 */
export function topkSmallBagNotice(reg: Regulariser): (slideId: string, n: number) => string | undefined {
  let told = false;
  return (slideId, n) => {
    if (told || typeof reg === 'string' || n >= reg.k) return undefined;
    told = true;
    return `slide ${slideId} has ${n} instance(s) in this step, fewer than aem.k ${reg.k}: entropy_topk took the entropy over all ${n} (said once per run; other such bags are treated the same)`;
  };
}

/** A regulariser's name as the config spells it. */
export function regulariserName(reg: Regulariser): string {
  return typeof reg === 'string' ? reg : reg.kind;
}

export interface LossTerms {
  /** The bag cross-entropy times the model's bag loss weight (1 unless the model says otherwise). */
  ce: tf.Scalar;
  /** Regulariser value, averaged over heads (0 for 'none'). */
  regulariser: tf.Scalar;
  total: tf.Scalar;
  dLogits: tf.Tensor1D;
  /** d total / d scores, [heads, N]. */
  dScores: tf.Tensor2D;
}

/**
 * Score of an instance outside a row's distribution (DTFD-MIL's pseudo-bags: row g covers pseudo-bag g
 * only): its attention is exactly 0 and adds 0 to the entropy; the KL counts only the row's own instances.
 */
export const OUTSIDE_SCORE = -1e9;

/**
 * entropy: sum_n a_n log a_n (negative entropy; log a from log_softmax, no epsilon).
 * kl: KL(U || a) = -log N - mean_n log a_n.
 * entropy_topk: sum_j v_j log v_j over the k largest attention values v renormalised to sum 1 (all N
 *   instances when the bag has fewer than k); the other instances get no gradient.
 * Each is per bag; with several heads (or classes) the value is their mean, as in the AEM code.
 */
export function regulariserValueAndGrad(scores: tf.Tensor2D, kind: Regulariser): { value: tf.Scalar; dScores: tf.Tensor2D } {
  const [heads, n] = scores.shape;
  if (kind === 'none') return { value: tf.scalar(0), dScores: tf.zerosLike(scores) };
  if (typeof kind !== 'string') return topkEntropyValueAndGrad(scores, Math.min(kind.k, n));
  const logA = tf.logSoftmax(scores) as tf.Tensor2D;
  const a = tf.exp(logA);
  if (kind === 'entropy') {
    const perHead = tf.sum(tf.mul(a, logA), 1, true); // [heads, 1]
    // d/ds_j sum_i a_i log a_i = a_j (log a_j - sum_i a_i log a_i)
    const dScores = tf.div(tf.mul(a, tf.sub(logA, perHead)), heads) as tf.Tensor2D;
    return { value: tf.mean(perHead) as tf.Scalar, dScores };
  }
  const inside = tf.cast(tf.greater(scores, OUTSIDE_SCORE / 2), 'float32');
  const count = tf.sum(inside, 1, true); // [heads, 1]: N, or the row's own instances
  const perHead = tf.sub(tf.neg(tf.log(count)), tf.div(tf.sum(tf.mul(logA, inside), 1, true), count));
  // d/ds_j (-log N - mean_i log a_i) = a_j - 1/N (0 outside the row)
  const dScores = tf.div(tf.sub(a, tf.div(inside, count)), heads) as tf.Tensor2D;
  return { value: tf.mean(perHead) as tf.Scalar, dScores };
}

/**
 * The renormalised top-k attention is the softmax of the top-k scores (the softmax's normaliser cancels),
 * so this is the entropy regulariser on those k scores, its gradient scattered back to their places.
 */
function topkEntropyValueAndGrad(scores: tf.Tensor2D, k: number): { value: tf.Scalar; dScores: tf.Tensor2D } {
  const [heads, n] = scores.shape;
  const top = tf.topk(scores, k, true);
  const logV = tf.logSoftmax(top.values) as tf.Tensor2D;
  const v = tf.exp(logV);
  const perHead = tf.sum(tf.mul(v, logV), 1, true); // [heads, 1]
  const dTop = tf.div(tf.mul(v, tf.sub(logV, perHead)), heads);
  const rows = tf.tile(tf.reshape(tf.range(0, heads, 1, 'int32'), [heads, 1]), [1, k]);
  const at = tf.reshape(tf.stack([rows, top.indices], 2), [heads * k, 2]);
  const dScores = tf.scatterND(at, tf.reshape(dTop, [heads * k]), [heads, n]) as tf.Tensor2D;
  return { value: tf.mean(perHead) as tf.Scalar, dScores };
}

export function lossTerms(
  logits: tf.Tensor1D,
  scores: tf.Tensor2D,
  label: number,
  nClasses: number,
  kind: Regulariser,
  lambda: number,
  extraTerms?: Readonly<Record<string, tf.Scalar>>,
  bagLossWeight = 1,
): LossTerms {
  const logP = tf.logSoftmax(logits) as tf.Tensor1D;
  // Made on the host: uploading C floats costs no kernel, tf.oneHot of an int tensor three.
  const oneHotValues = new Float32Array(nClasses);
  oneHotValues[label] = 1;
  const oneHot = tf.tensor1d(oneHotValues);
  const ce = tf.mul(bagLossWeight, tf.neg(tf.sum(tf.mul(logP, oneHot)))) as tf.Scalar;
  const dLogits = tf.mul(bagLossWeight, tf.sub(tf.exp(logP), oneHot)) as tf.Tensor1D;
  const reg = regulariserValueAndGrad(scores, kind);
  let total = tf.add(ce, tf.mul(lambda, reg.value)) as tf.Scalar;
  for (const term of Object.values(extraTerms ?? {})) total = tf.add(total, term) as tf.Scalar;
  return { ce, regulariser: reg.value, total, dLogits, dScores: tf.mul(lambda, reg.dScores) as tf.Tensor2D };
}
