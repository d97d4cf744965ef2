// TransMIL's Pyramid Position Encoding Generator: the tokens laid out as a square image (token r*S + c at
// row r, column c), plus three depth-wise convolutions of it (7x7, 5x5, 3x3, zero padded, with bias).
import * as tf from '@tensorflow/tfjs-core';

export const PPEG_KERNELS = [7, 5, 3] as const;

export interface PpegParams {
  /** Per kernel size: weights [channels, K, K] and bias [channels]. */
  convs: { w: tf.Tensor3D; b: tf.Tensor1D }[];
}

/** tokens [S*S, channels] -> the same shape. */
export function ppeg(tokens: tf.Tensor2D, side: number, p: PpegParams): tf.Tensor2D {
  const channels = tokens.shape[1];
  const image = tf.reshape(tokens, [1, side, side, channels]) as tf.Tensor4D;
  let sum: tf.Tensor4D = image;
  for (const { w, b } of p.convs) {
    const k = w.shape[1];
    const filter = tf.reshape(tf.transpose(w, [1, 2, 0]), [k, k, channels, 1]) as tf.Tensor4D;
    sum = tf.add(sum, tf.add(tf.depthwiseConv2d(image, filter, 1, 'same'), b));
  }
  return tf.reshape(sum, [side * side, channels]);
}
