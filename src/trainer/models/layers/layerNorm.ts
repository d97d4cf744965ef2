// Layer norm over the last axis with the biased variance, as torch.nn.LayerNorm, and its backward pass.
import * as tf from '@tensorflow/tfjs-core';

export interface LayerNormOutput {
  y: tf.Tensor2D;
  /** (x - mean) / std, what the backward pass needs. */
  xhat: tf.Tensor2D;
  /** 1 / sqrt(var + eps), [rows, 1]. */
  invStd: tf.Tensor2D;
}

export function layerNorm(x: tf.Tensor2D, gamma: tf.Tensor1D, beta: tf.Tensor1D, eps: number): LayerNormOutput {
  const { mean, variance } = tf.moments(x, 1, true);
  const invStd = tf.rsqrt(tf.add(variance, eps)) as tf.Tensor2D;
  const xhat = tf.mul(tf.sub(x, mean), invStd) as tf.Tensor2D;
  return { y: tf.add(tf.mul(xhat, gamma), beta) as tf.Tensor2D, xhat, invStd };
}

/** Gradients to the input and to gamma (per row; sum rows for gamma) given dy; beta's is dy summed over rows. */
export function layerNormBackward(dy: tf.Tensor2D, xhat: tf.Tensor2D, invStd: tf.Tensor2D, gamma: tf.Tensor1D): { dx: tf.Tensor2D; dGamma: tf.Tensor1D } {
  const dxhat = tf.mul(dy, gamma);
  const meanD = tf.mean(dxhat, 1, true);
  const meanDx = tf.mean(tf.mul(dxhat, xhat), 1, true);
  const dx = tf.mul(tf.sub(tf.sub(dxhat, meanD), tf.mul(xhat, meanDx)), invStd) as tf.Tensor2D;
  return { dx, dGamma: tf.sum(tf.mul(dy, xhat), 0) as tf.Tensor1D };
}
