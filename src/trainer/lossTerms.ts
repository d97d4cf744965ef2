// The training objective: cross-entropy plus lambda times an attention regulariser, with its gradients
// with respect to the logits and the attention scores (the model turns those into parameter gradients).
import * as tf from '@tensorflow/tfjs-core';

export type RegulariserKind = 'entropy' | 'kl' | 'none';

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
 * Both are per bag; with several heads (or classes) the value is their mean, as in the AEM code.
 */
export function regulariserValueAndGrad(scores: tf.Tensor2D, kind: RegulariserKind): { value: tf.Scalar; dScores: tf.Tensor2D } {
  const heads = scores.shape[0];
  if (kind === 'none') return { value: tf.scalar(0), dScores: tf.zerosLike(scores) };
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

export function lossTerms(
  logits: tf.Tensor1D,
  scores: tf.Tensor2D,
  label: number,
  nClasses: number,
  kind: RegulariserKind,
  lambda: number,
  extraLoss?: tf.Scalar,
  bagLossWeight = 1,
): LossTerms {
  const logP = tf.logSoftmax(logits) as tf.Tensor1D;
  const oneHot = tf.reshape(tf.oneHot(tf.tensor1d([label], 'int32'), nClasses), [nClasses]) as tf.Tensor1D;
  const ce = tf.mul(bagLossWeight, tf.neg(tf.sum(tf.mul(logP, oneHot)))) as tf.Scalar;
  const dLogits = tf.mul(bagLossWeight, tf.sub(tf.exp(logP), oneHot)) as tf.Tensor1D;
  const reg = regulariserValueAndGrad(scores, kind);
  let total = tf.add(ce, tf.mul(lambda, reg.value)) as tf.Scalar;
  if (extraLoss) total = tf.add(total, extraLoss) as tf.Scalar;
  return { ce, regulariser: reg.value, total, dLogits, dScores: tf.mul(lambda, reg.dScores) as tf.Tensor2D };
}
