// Reverse-mode gradients for the tfjs kernels the autodiff models (DTFD-MIL, TransMIL) use, so
// tf.grads works on tfjs-core alone (its node bundle registers none; tfjs's own register_all_gradients
// cannot be imported from ES modules). The matMul gradient multiplies untransposed operands after an
// explicit transpose, because wasm's transposed matMul path is 10-25x slower than its plain one, and a
// batched one as one product per batch (layers/batchMatMul.ts).
// Registration is global and idempotent; `useAutodiff()` is what a model calls before tf.grads.
import * as tf from '@tensorflow/tfjs-core';
import { batchMatMul } from './batchMatMul.js';

type Saved = tf.Tensor[];
type GradMap = Record<string, () => tf.Tensor>;

/** Sums a broadcast gradient back to the input's shape. */
function unbroadcast(dy: tf.Tensor, shape: number[]): tf.Tensor {
  const axes = tf.broadcast_util.getReductionAxes(shape, dy.shape);
  const reduced = axes.length > 0 ? tf.sum(dy, axes) : dy;
  return tf.reshape(reduced, shape);
}

/** Swaps the last two axes. */
function swapLast(t: tf.Tensor): tf.Tensor {
  const perm = t.shape.map((_, i) => i);
  const r = perm.length;
  perm[r - 1] = r - 2;
  perm[r - 2] = r - 1;
  return tf.transpose(t, perm);
}

function axesOf(axis: number | number[], shape: number[]): number[] {
  return tf.util.parseAxisParam(axis, shape);
}

function keepDimShape(shape: number[], axes: number[]): number[] {
  return shape.map((d, i) => (axes.includes(i) ? 1 : d));
}

// y[r, c] = sum_ij w[i, j] x[r + i - ph, c + j - pw] ('same' padding, odd filter, stride 1).
/** dx: the correlation of dy with the flipped filter. */
function depthwiseInputGrad(filter: tf.Tensor4D, dy: tf.Tensor4D): tf.Tensor4D {
  return tf.depthwiseConv2d(dy, tf.reverse(filter, [0, 1]) as tf.Tensor4D, 1, 'same');
}

/** dw: the correlation of the padded input with dy as the filter. */
function depthwiseFilterGrad(x: tf.Tensor4D, filterShape: number[], dy: tf.Tensor4D): tf.Tensor4D {
  const [fh, fw, channels] = filterShape as [number, number, number];
  const [batch, outH, outW] = dy.shape;
  if (batch !== 1) throw new Error('autodiff: depthwise convolution gradients need batch 1');
  const ph = (fh - 1) / 2;
  const pw = (fw - 1) / 2;
  const xPad = tf.pad(x, [
    [0, 0],
    [ph, ph],
    [pw, pw],
    [0, 0],
  ]);
  return tf.reshape(tf.depthwiseConv2d(xPad, tf.reshape(dy, [outH, outW, channels, 1]) as tf.Tensor4D, 1, 'valid'), [fh, fw, channels, 1]) as tf.Tensor4D;
}

const GRADIENTS: tf.GradConfig[] = [
  {
    kernelName: tf.BatchMatMul,
    inputsToSave: ['a', 'b'],
    gradFunc: (dy, saved, attrs) => {
      const [a, b] = saved as Saved as [tf.Tensor, tf.Tensor];
      const { transposeA, transposeB } = attrs as unknown as { transposeA: boolean; transposeB: boolean };
      const g = dy as tf.Tensor;
      const mm = (p: tf.Tensor, q: tf.Tensor) => (p.rank === 3 && q.rank === 3 && p.shape[0] === q.shape[0] ? batchMatMul(p as tf.Tensor3D, q as tf.Tensor3D) : tf.matMul(p, q));
      if (!transposeA && !transposeB) return { a: () => mm(g, swapLast(b)), b: () => mm(swapLast(a), g) };
      if (!transposeA && transposeB) return { a: () => mm(g, b), b: () => mm(swapLast(g), a) };
      if (transposeA && !transposeB) return { a: () => mm(b, swapLast(g)), b: () => mm(a, g) };
      return { a: () => mm(swapLast(b), swapLast(g)), b: () => mm(swapLast(g), swapLast(a)) };
    },
  },
  {
    kernelName: tf.Add,
    inputsToSave: ['a', 'b'],
    gradFunc: (dy, saved) => {
      const [a, b] = saved as Saved as [tf.Tensor, tf.Tensor];
      return { a: () => unbroadcast(dy as tf.Tensor, a.shape), b: () => unbroadcast(dy as tf.Tensor, b.shape) };
    },
  },
  {
    kernelName: tf.Sub,
    inputsToSave: ['a', 'b'],
    gradFunc: (dy, saved) => {
      const [a, b] = saved as Saved as [tf.Tensor, tf.Tensor];
      return { a: () => unbroadcast(dy as tf.Tensor, a.shape), b: () => unbroadcast(tf.neg(dy as tf.Tensor), b.shape) };
    },
  },
  {
    kernelName: tf.Multiply,
    inputsToSave: ['a', 'b'],
    gradFunc: (dy, saved) => {
      const [a, b] = saved as Saved as [tf.Tensor, tf.Tensor];
      return { a: () => unbroadcast(tf.mul(dy as tf.Tensor, b), a.shape), b: () => unbroadcast(tf.mul(dy as tf.Tensor, a), b.shape) };
    },
  },
  {
    kernelName: tf.RealDiv,
    inputsToSave: ['a', 'b'],
    gradFunc: (dy, saved) => {
      const [a, b] = saved as Saved as [tf.Tensor, tf.Tensor];
      const g = dy as tf.Tensor;
      return { a: () => unbroadcast(tf.div(g, b), a.shape), b: () => unbroadcast(tf.neg(tf.div(tf.mul(g, a), tf.square(b))), b.shape) };
    },
  },
  {
    kernelName: tf.SquaredDifference,
    inputsToSave: ['a', 'b'],
    gradFunc: (dy, saved) => {
      const [a, b] = saved as Saved as [tf.Tensor, tf.Tensor];
      const twoDiff = tf.mul(tf.mul(dy as tf.Tensor, tf.sub(a, b)), 2);
      return { a: () => unbroadcast(twoDiff, a.shape), b: () => unbroadcast(tf.neg(twoDiff), b.shape) };
    },
  },
  { kernelName: tf.Neg, gradFunc: (dy) => ({ x: () => tf.neg(dy as tf.Tensor) }) },
  { kernelName: tf.Identity, gradFunc: (dy) => ({ x: () => tf.clone(dy as tf.Tensor) }) },
  // float32 to float32 only (the models cast nothing else on a differentiated path).
  { kernelName: tf.Cast, gradFunc: (dy) => ({ x: () => tf.clone(dy as tf.Tensor) }) },
  { kernelName: tf.Square, inputsToSave: ['x'], gradFunc: (dy, saved) => ({ x: () => tf.mul(tf.mul(dy as tf.Tensor, saved[0] as tf.Tensor), 2) }) },
  { kernelName: tf.Sqrt, outputsToSave: [true], gradFunc: (dy, saved) => ({ x: () => tf.div(dy as tf.Tensor, tf.mul(saved[0] as tf.Tensor, 2)) }) },
  {
    kernelName: tf.Rsqrt,
    outputsToSave: [true],
    // d x^-1/2 = -1/2 x^-3/2 = -1/2 y^3
    gradFunc: (dy, saved) => ({ x: () => tf.mul(tf.mul(dy as tf.Tensor, tf.pow(saved[0] as tf.Tensor, 3)), -0.5) }),
  },
  { kernelName: tf.Exp, outputsToSave: [true], gradFunc: (dy, saved) => ({ x: () => tf.mul(dy as tf.Tensor, saved[0] as tf.Tensor) }) },
  { kernelName: tf.Log, inputsToSave: ['x'], gradFunc: (dy, saved) => ({ x: () => tf.div(dy as tf.Tensor, saved[0] as tf.Tensor) }) },
  // torch's sign(0) = 0: no gradient through |x| at exactly 0.
  { kernelName: tf.Abs, inputsToSave: ['x'], gradFunc: (dy, saved) => ({ x: () => tf.mul(dy as tf.Tensor, tf.sign(saved[0] as tf.Tensor)) }) },
  { kernelName: tf.Relu, outputsToSave: [true], gradFunc: (dy, saved) => ({ x: () => tf.mul(dy as tf.Tensor, tf.step(saved[0] as tf.Tensor)) }) },
  { kernelName: tf.Tanh, outputsToSave: [true], gradFunc: (dy, saved) => ({ x: () => tf.mul(dy as tf.Tensor, tf.sub(1, tf.square(saved[0] as tf.Tensor))) }) },
  {
    kernelName: tf.Sigmoid,
    outputsToSave: [true],
    gradFunc: (dy, saved) => {
      const y = saved[0] as tf.Tensor;
      return { x: () => tf.mul(dy as tf.Tensor, tf.mul(y, tf.sub(1, y))) };
    },
  },
  {
    kernelName: tf.Softmax,
    outputsToSave: [true],
    gradFunc: (dy, saved, attrs) => {
      const y = saved[0] as tf.Tensor;
      const dim = (attrs as unknown as { dim: number }).dim;
      const g = dy as tf.Tensor;
      return { logits: () => tf.mul(y, tf.sub(g, tf.sum(tf.mul(g, y), dim, true))) };
    },
  },
  {
    kernelName: tf.Sum,
    inputsToSave: ['x'],
    gradFunc: (dy, saved, attrs) => {
      const x = saved[0] as tf.Tensor;
      const axes = axesOf((attrs as unknown as { axis: number | number[] }).axis, x.shape);
      return { x: () => tf.mul(tf.reshape(dy as tf.Tensor, keepDimShape(x.shape, axes)), tf.ones(x.shape)) };
    },
  },
  {
    kernelName: tf.Mean,
    inputsToSave: ['x'],
    gradFunc: (dy, saved, attrs) => {
      const x = saved[0] as tf.Tensor;
      const axes = axesOf((attrs as unknown as { axis: number | number[] }).axis, x.shape);
      const count = axes.reduce((n, a) => n * (x.shape[a] as number), 1);
      return { x: () => tf.mul(tf.reshape(dy as tf.Tensor, keepDimShape(x.shape, axes)), tf.fill(x.shape, 1 / count)) };
    },
  },
  {
    kernelName: tf.Max,
    inputsToSave: ['x'],
    outputsToSave: [true],
    // As torch: ties share the gradient evenly.
    gradFunc: (dy, saved, attrs) => {
      const [x, y] = saved as Saved as [tf.Tensor, tf.Tensor];
      const axes = axesOf((attrs as unknown as { reductionIndices: number | number[] }).reductionIndices, x.shape);
      const shape = keepDimShape(x.shape, axes);
      return {
        x: () => {
          const hit = tf.cast(tf.equal(x, tf.reshape(y, shape)), 'float32');
          const share = tf.div(hit, tf.sum(hit, axes, true));
          return tf.mul(share, tf.reshape(dy as tf.Tensor, shape));
        },
      };
    },
  },
  { kernelName: tf.Reshape, inputsToSave: ['x'], gradFunc: (dy, saved) => ({ x: () => tf.reshape(dy as tf.Tensor, (saved[0] as tf.Tensor).shape) }) },
  {
    kernelName: tf.Transpose,
    gradFunc: (dy, _saved, attrs) => {
      const perm = (attrs as unknown as { perm: number[] }).perm;
      const inverse = perm.map((_, i) => perm.indexOf(i));
      return { x: () => tf.transpose(dy as tf.Tensor, inverse) };
    },
  },
  {
    kernelName: tf.Concat,
    saveAllInputs: true,
    gradFunc: (dy, saved, attrs) => {
      const inputs = saved as Saved;
      const axis = axesOf((attrs as unknown as { axis: number }).axis, (inputs[0] as tf.Tensor).shape)[0] as number;
      const g = dy as tf.Tensor;
      const out: GradMap = {};
      let offset = 0;
      inputs.forEach((t, i) => {
        const begin = g.shape.map((_, d) => (d === axis ? offset : 0));
        out[String(i)] = () => tf.slice(g, begin, t.shape);
        offset += t.shape[axis] as number;
      });
      return out;
    },
  },
  {
    kernelName: tf.Slice,
    inputsToSave: ['x'],
    gradFunc: (dy, saved, attrs) => {
      const x = saved[0] as tf.Tensor;
      const { begin, size } = attrs as unknown as { begin: number | number[]; size: number | number[] };
      const [b, s] = tf.slice_util.parseSliceParams(x, begin, size) as [number[], number[]];
      return { x: () => tf.pad(dy as tf.Tensor, x.shape.map((d, i) => [b[i] as number, d - (b[i] as number) - (s[i] as number)] as [number, number])) };
    },
  },
  {
    kernelName: tf.PadV2,
    inputsToSave: ['x'],
    gradFunc: (dy, saved, attrs) => {
      const x = saved[0] as tf.Tensor;
      const paddings = (attrs as unknown as { paddings: [number, number][] }).paddings;
      return { x: () => tf.slice(dy as tf.Tensor, paddings.map((p) => p[0]), x.shape) };
    },
  },
  {
    kernelName: tf.DepthwiseConv2dNative,
    inputsToSave: ['x', 'filter'],
    gradFunc: (dy, saved, attrs) => {
      const [x, filter] = saved as Saved as [tf.Tensor4D, tf.Tensor4D];
      const a = attrs as unknown as { strides: number | number[]; pad: unknown; dilations: number | number[] };
      const ones = (v: number | number[]) => (Array.isArray(v) ? v.every((e) => e === 1) : v === 1);
      if (!ones(a.strides) || !ones(a.dilations) || a.pad !== 'same' || filter.shape[0] % 2 === 0 || filter.shape[1] % 2 === 0 || filter.shape[3] !== 1) {
        throw new Error('autodiff: depthwise convolution gradients cover stride 1, odd filters, "same" padding and channel multiplier 1');
      }
      return { x: () => depthwiseInputGrad(filter, dy as tf.Tensor4D), filter: () => depthwiseFilterGrad(x, filter.shape, dy as tf.Tensor4D) };
    },
  },
];

let registered = false;

/** Registers the gradients above (once per process). */
export function useAutodiff(): void {
  if (registered) return;
  registered = true;
  for (const g of GRADIENTS) {
    // Another copy of the gradients (tfjs's own) may be there already: keep it, it is as correct.
    if (tf.getGradient(g.kernelName) === undefined) tf.registerGradient(g);
  }
}
