// Cross-attention of a few queries over the instances, heads splitting the width in order
// (head j = columns j*dh .. (j+1)*dh - 1), scaled by 1/sqrt(dh).
import * as tf from '@tensorflow/tfjs-core';

/** Scores [H, N] of one query row q [1, W] against keys k [N, W]. */
export function singleQueryHeadScores(q: tf.Tensor2D, k: tf.Tensor2D, heads: number): tf.Tensor2D {
  const [n, width] = k.shape;
  const dh = width / heads;
  const perInstance = tf.sum(tf.mul(tf.reshape(k, [n, heads, dh]), tf.reshape(q, [1, heads, dh])), 2); // [N, H]
  return tf.div(tf.transpose(perInstance), Math.sqrt(dh)) as tf.Tensor2D;
}

/** The heads' outputs concatenated, [1, W]: head h is attention[h] @ v[:, head h's columns]. */
export function headsWeightedSum(attention: tf.Tensor2D, v: tf.Tensor2D): tf.Tensor2D {
  const [heads, n] = attention.shape;
  const width = v.shape[1];
  const dh = width / heads;
  const weighted = tf.mul(tf.reshape(tf.transpose(attention), [n, heads, 1]), tf.reshape(v, [n, heads, dh]));
  return tf.reshape(tf.sum(weighted, 0), [1, width]) as tf.Tensor2D;
}
