// Nyström self-attention (Xiong et al. 2021) as lucidrains' nystrom-attention 0.0.14 computes it, the
// attention of TransMIL's layers: zero rows prepended up to a multiple of the landmarks, landmarks as
// means of consecutive row blocks, the Moore-Penrose pseudo-inverse by Newton iterations, a depth-wise
// residual convolution of the values along the sequence, and the last n rows kept. Differentiable ops only.
import * as tf from '@tensorflow/tfjs-core';
import { batchMatMul, swapLast } from './batchMatMul.js';

export interface NystromParams {
  /** [width, 3 width], no bias: q | k | v, head j in columns j*dh.. of each. */
  qkvW: tf.Tensor2D;
  outW: tf.Tensor2D;
  outB: tf.Tensor1D;
  /** [heads, kernel]: each head's taps along the sequence. */
  resConvW: tf.Tensor2D;
}

export interface NystromOptions {
  heads: number;
  landmarks: number;
  pinvIterations: number;
}

/** Rows the attention prepends to a sequence of n, and the length of each landmark's block. */
export function nystromPadding(n: number, landmarks: number): { pad: number; blockLength: number } {
  const pad = (landmarks - (n % landmarks)) % landmarks;
  return { pad, blockLength: Math.ceil(n / landmarks) };
}

/** [n', width] -> [heads, n', dh] */
function splitHeads(t: tf.Tensor2D, heads: number): tf.Tensor3D {
  const [n, width] = t.shape;
  return tf.transpose(tf.reshape(t, [n, heads, width / heads]), [1, 0, 2]);
}

function mergeHeads(t: tf.Tensor3D): tf.Tensor2D {
  const [heads, n, dh] = t.shape;
  return tf.reshape(tf.transpose(t, [1, 0, 2]), [n, heads * dh]);
}

/** Newton iterations towards the pseudo-inverse of each head's [m, m] matrix, started from x^T / (max row sum * max column sum) over all heads. */
export function iterativePinv(x: tf.Tensor3D, iterations: number): tf.Tensor3D {
  const m = x.shape[1];
  const abs = tf.abs(x);
  const scale = tf.mul(tf.max(tf.sum(abs, -1)), tf.max(tf.sum(abs, -2)));
  let z = tf.div(swapLast(x), scale) as tf.Tensor3D;
  const eye = tf.expandDims(tf.eye(m), 0);
  const [seven, fifteen, thirteen] = [7, 15, 13].map((c) => tf.mul(eye, c));
  for (let i = 0; i < iterations; i++) {
    const xz = batchMatMul(x, z);
    const inner = batchMatMul(xz, tf.sub(seven as tf.Tensor, xz) as tf.Tensor3D);
    const middle = batchMatMul(xz, tf.sub(fifteen as tf.Tensor, inner) as tf.Tensor3D);
    z = tf.mul(batchMatMul(z, tf.sub(thirteen as tf.Tensor, middle) as tf.Tensor3D), 0.25) as tf.Tensor3D;
  }
  return z;
}

/** Each head's values [heads, n', dh] convolved along the sequence with its own taps, zero padded ('same'). */
function residualConv(v: tf.Tensor3D, taps: tf.Tensor2D): tf.Tensor3D {
  const [heads, n, dh] = v.shape;
  const kernel = taps.shape[1];
  const image = tf.reshape(tf.transpose(v, [1, 2, 0]), [1, n, dh, heads]) as tf.Tensor4D;
  const filter = tf.reshape(tf.transpose(taps), [kernel, 1, heads, 1]) as tf.Tensor4D;
  const out = tf.depthwiseConv2d(image, filter, 1, 'same');
  return tf.transpose(tf.reshape(out, [n, dh, heads]), [2, 0, 1]);
}

/**
 * Self-attention of the rows of x [n, width]; returns [n, width]. `outputMask` [n, width] is an inverted
 * dropout mask on the output projection (lucidrains' to_out dropout), given only in training.
 */
export function nystromAttention(x: tf.Tensor2D, p: NystromParams, o: NystromOptions, outputMask?: tf.Tensor2D): tf.Tensor2D {
  const [n, width] = x.shape;
  const m = o.landmarks;
  const { pad, blockLength } = nystromPadding(n, m);
  const padded = pad > 0 ? tf.pad(x, [[pad, 0], [0, 0]]) : x;
  const total = n + pad;
  const qkv = tf.matMul(padded, p.qkvW) as tf.Tensor2D;
  const dh = width / o.heads;
  const q = tf.mul(splitHeads(tf.slice(qkv, [0, 0], [total, width]), o.heads), dh ** -0.5) as tf.Tensor3D;
  const k = splitHeads(tf.slice(qkv, [0, width], [total, width]), o.heads);
  const v = splitHeads(tf.slice(qkv, [0, 2 * width], [total, width]), o.heads);
  const landmarksOf = (t: tf.Tensor3D) => tf.mean(tf.reshape(t, [o.heads, m, blockLength, dh]), 2) as tf.Tensor3D;
  const qL = landmarksOf(q);
  const kL = landmarksOf(k);
  const a1 = tf.softmax(batchMatMul(q, swapLast(kL))) as tf.Tensor3D; // [H, n', m]
  const a2 = tf.softmax(batchMatMul(qL, swapLast(kL))) as tf.Tensor3D; // [H, m, m]
  const a3 = tf.softmax(batchMatMul(qL, swapLast(k))) as tf.Tensor3D; // [H, m, n']
  const mixed = batchMatMul(batchMatMul(a1, iterativePinv(a2, o.pinvIterations)), batchMatMul(a3, v)) as tf.Tensor3D;
  const heads = tf.add(mixed, residualConv(v, p.resConvW)) as tf.Tensor3D;
  const projected = tf.add(tf.matMul(mergeHeads(heads), p.outW), p.outB) as tf.Tensor2D;
  const out = pad > 0 ? tf.slice(projected, [pad, 0], [n, width]) : projected;
  return outputMask ? (tf.mul(out, outputMask) as tf.Tensor2D) : out;
}
