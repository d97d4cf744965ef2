// Batched matrix products [B, m, k] x [B, k, n] as B plain 2-D products. wasm's BatchMatMul kernel runs
// XNNPACK only for a batch of one; with more it takes a generic loop about 10x slower ([8, 256, 256]^2:
// 290 ms against 29 ms, `npm run bench -- kernels`), which made TransMIL's per-head Nyström products most
// of its step.
// The gradient is custom so that backward (a tape of tf.grads) takes the same fast path.
import * as tf from '@tensorflow/tfjs-core';

/** [B, m, n] -> [B, n, m] */
export function swapLast(t: tf.Tensor3D): tf.Tensor3D {
  return tf.transpose(t, [0, 2, 1]);
}

function batchOf(t: tf.Tensor3D, i: number): tf.Tensor2D {
  const [, rows, cols] = t.shape;
  return tf.reshape(tf.slice(t, [i, 0, 0], [1, rows, cols]), [rows, cols]);
}

function perBatch(a: tf.Tensor3D, b: tf.Tensor3D): tf.Tensor3D {
  // Each batch's operand copies are freed as soon as its product exists (a lower heap high-water mark).
  const products = Array.from({ length: a.shape[0] }, (_, i) => tf.tidy(() => tf.matMul(batchOf(a, i), batchOf(b, i))));
  const out = tf.stack(products) as tf.Tensor3D;
  tf.dispose(products);
  return out;
}

const perBatchWithGrad = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
  const [a, b, save] = args as [tf.Tensor3D, tf.Tensor3D, tf.GradSaveFunc];
  save([a, b]);
  return {
    value: perBatch(a, b),
    gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
      const [sa, sb] = saved as [tf.Tensor3D, tf.Tensor3D];
      const g = dy as tf.Tensor3D;
      // tfjs calls a custom gradient outside the per-node tidy of backprop, so without this tidy the
      // transposes would stay allocated until the whole backward pass ends (+18% heap in TransMIL).
      return tf.tidy(() => [batchMatMul(g, swapLast(sb)), batchMatMul(swapLast(sa), g)]);
    },
  };
});

/**
 * Below this m k n a product per batch costs more in kernel launches (two slices and a stack) than the
 * generic loop loses: [2, 32, 32] x [2, 32, 32] 0.34 ms against 0.22; [2, 64, 64]^2 0.37 against 0.93.
 */
const PER_BATCH_MIN_WORK = 64 * 64 * 16;

function checkBatches(a: tf.Tensor3D, b: tf.Tensor3D): void {
  if (a.shape[0] !== b.shape[0]) throw new Error(`batchMatMul: batches ${a.shape[0]} and ${b.shape[0]} differ`);
}

/** a [B, m, k] x b [B, k, n] -> [B, m, n] as B plain products, whatever the sizes; differentiable. */
export function perBatchMatMul(a: tf.Tensor3D, b: tf.Tensor3D): tf.Tensor3D {
  checkBatches(a, b);
  return perBatchWithGrad(a, b) as tf.Tensor3D;
}

/** a [B, m, k] x b [B, k, n] -> [B, m, n]; equal batches, no broadcasting, differentiable. Per batch on wasm, where that is faster. */
export function batchMatMul(a: tf.Tensor3D, b: tf.Tensor3D): tf.Tensor3D {
  checkBatches(a, b);
  const [batches, m, k] = a.shape;
  // Only wasm's kernel has the slow batched path; other backends batch natively, where B launches only add overhead.
  if (batches === 1 || tf.getBackend() !== 'wasm' || m * k * (b.shape[2] as number) < PER_BATCH_MIN_WORK) return tf.matMul(a, b);
  return perBatchWithGrad(a, b) as tf.Tensor3D;
}
