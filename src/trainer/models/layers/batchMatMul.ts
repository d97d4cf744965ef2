// Batched matrix products [B, m, k] x [B, k, n] as B plain 2-D products. wasm's BatchMatMul kernel runs
// XNNPACK only for a batch of one; with more it takes a generic loop about 10x slower ([8, 256, 256]^2:
// 290 ms against 29 ms, `npm run bench -- kernels`), which made TransMIL's per-head Nyström products most
// of its step.
// The gradient is custom so that backward (a tape of tf.grads) takes the same fast path.
import * as tf from '@tensorflow/tfjs-core';

function swapLast(t: tf.Tensor3D): tf.Tensor3D {
  return tf.transpose(t, [0, 2, 1]);
}

function perBatch(a: tf.Tensor3D, b: tf.Tensor3D): tf.Tensor3D {
  const slices = (t: tf.Tensor3D) => Array.from({ length: t.shape[0] }, (_, i) => tf.reshape(tf.slice(t, [i, 0, 0], [1, t.shape[1], t.shape[2]]), [t.shape[1], t.shape[2]]) as tf.Tensor2D);
  const as = slices(a);
  const bs = slices(b);
  return tf.stack(as.map((ai, i) => tf.matMul(ai, bs[i] as tf.Tensor2D))) as tf.Tensor3D;
}

const perBatchWithGrad = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
  const [a, b, save] = args as [tf.Tensor3D, tf.Tensor3D, tf.GradSaveFunc];
  save([a, b]);
  return {
    value: perBatch(a, b),
    gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
      const [sa, sb] = saved as [tf.Tensor3D, tf.Tensor3D];
      const g = dy as tf.Tensor3D;
      return [batchMatMul(g, swapLast(sb)), batchMatMul(swapLast(sa), g)];
    },
  };
});

/** a [B, m, k] x b [B, k, n] -> [B, m, n]; equal batches, no broadcasting, differentiable. */
export function batchMatMul(a: tf.Tensor3D, b: tf.Tensor3D): tf.Tensor3D {
  if (a.shape[0] !== b.shape[0]) throw new Error(`batchMatMul: batches ${a.shape[0]} and ${b.shape[0]} differ`);
  if (a.shape[0] === 1) return tf.matMul(a, b);
  return perBatchWithGrad(a, b) as tf.Tensor3D;
}
