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
 * entropy: sum_n a_n log a_n (negative entropy; log a from log_softmax, no epsilon).
 * kl: KL(U || a) = -log N - mean_n log a_n.
 * Both are per bag; with several heads (or classes) the value is their mean, as in the AEM code.
 */
export function regulariserValueAndGrad(scores: tf.Tensor2D, kind: RegulariserKind): { value: tf.Scalar; dScores: tf.Tensor2D } {
  const [heads, n] = scores.shape;
  if (kind === 'none') return { value: tf.scalar(0), dScores: tf.zerosLike(scores) };
  const logA = tf.logSoftmax(scores) as tf.Tensor2D;
  const a = tf.exp(logA);
  if (kind === 'entropy') {
    const perHead = tf.sum(tf.mul(a, logA), 1, true); // [heads, 1]
    // d/ds_j sum_i a_i log a_i = a_j (log a_j - sum_i a_i log a_i)
    const dScores = tf.div(tf.mul(a, tf.sub(logA, perHead)), heads) as tf.Tensor2D;
    return { value: tf.mean(perHead) as tf.Scalar, dScores };
  }
  const perHead = tf.sub(-Math.log(n), tf.mean(logA, 1)); // [heads]
  // d/ds_j (-log N - mean_i log a_i) = a_j - 1/N
  const dScores = tf.div(tf.sub(a, 1 / n), heads) as tf.Tensor2D;
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
  // Made on the host: uploading C floats costs no kernel, tf.oneHot of an int tensor three.
  const oneHotValues = new Float32Array(nClasses);
  oneHotValues[label] = 1;
  const oneHot = tf.tensor1d(oneHotValues);
  const ce = tf.mul(bagLossWeight, tf.neg(tf.sum(tf.mul(logP, oneHot)))) as tf.Scalar;
  const dLogits = tf.mul(bagLossWeight, tf.sub(tf.exp(logP), oneHot)) as tf.Tensor1D;
  const reg = regulariserValueAndGrad(scores, kind);
  let total = tf.add(ce, tf.mul(lambda, reg.value)) as tf.Scalar;
  if (extraLoss) total = tf.add(total, extraLoss) as tf.Scalar;
  return { ce, regulariser: reg.value, total, dLogits, dScores: tf.mul(lambda, reg.dScores) as tf.Tensor2D };
}
