// Dense layer y = x @ w (+ b), weights stored [in, out], and PyTorch's nn.Linear initialisation.
import * as tf from '@tensorflow/tfjs-core';
import type { SeededRandom } from '../../../util/seededRandom.js';

export function dense(x: tf.Tensor2D, w: tf.Tensor2D, b?: tf.Tensor1D, activation?: 'relu'): tf.Tensor2D {
  return tf.fused.matMul({ a: x, b: w, ...(b ? { bias: b } : {}), ...(activation ? { activation } : {}) }) as tf.Tensor2D;
}

/** nn.Linear's default: uniform in +-1/sqrt(fan_in), for a weight [fanIn, out] or a bias [out]. */
export function linearInit(shape: readonly number[], fanIn: number, rng: SeededRandom): Float32Array {
  const size = shape.reduce((a, b) => a * b, 1);
  const bound = 1 / Math.sqrt(fanIn);
  const values = new Float32Array(size);
  for (let i = 0; i < size; i++) values[i] = (rng.float() * 2 - 1) * bound;
  return values;
}

/** Inverted dropout mask [rows, cols] (kept entries scaled by 1 / keep), drawn from the run's random source. */
export function dropoutMask(shape: [number, number], rate: number, random: () => number): tf.Tensor2D {
  const keep = 1 - rate;
  const values = new Float32Array(shape[0] * shape[1]);
  for (let i = 0; i < values.length; i++) values[i] = random() < keep ? 1 / keep : 0;
  return tf.tensor2d(values, shape);
}
