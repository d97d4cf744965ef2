// TransMIL (Shao et al. 2021) as its authors' models/TransMIL.py with lucidrains' Nyström attention:
// h = ReLU(x W + b); the instances padded to a square (the first S*S - N appended again); a cls token in
// front; layer 1 (x + Nyström(LayerNorm x)); PPEG on the S*S tokens; layer 2; LayerNorm; the classifier on
// the cls row. Nyström attention has no exact attention map (A1 A2+ A3 need not be positive or sum to
// 1), so the regulariser and the reported attention are the exact softmax attention of layer 2's cls
// query over the keys of the N real instances, per head [heads, N]. In training, dropout (the authors' 0.1)
// on each layer's attention output; forward draws the masks and backward's recomputation reuses them.
// Gradients by autodiff.
import * as tf from '@tensorflow/tfjs-core';
import type { SeededRandom } from '../../util/seededRandom.js';
import { useAutodiff } from './layers/autodiff.js';
import { dropoutMask, linearInit } from './layers/dense.js';
import { layerNorm } from './layers/layerNorm.js';
import { singleQueryHeadScores } from './layers/multiHeadAttention.js';
import { nystromAttention, nystromPadding, type NystromOptions } from './layers/nystromAttention.js';
import { ppeg, PPEG_KERNELS } from './layers/ppeg.js';
import type { ForwardOptions, MilForward, MilModel } from './types.js';
import { paramVariables } from './layers/params.js';

export interface TransmilShape {
  inputDim: number;
  width: number;
  heads: number;
  landmarks: number;
  /** Dropout on each Nyström layer's output projection while training (the authors: 0.1). */
  dropout: number;
  nClasses: number;
}

/** The authors' (lucidrains') fixed choices. */
const PINV_ITERATIONS = 6;
const RESIDUAL_KERNEL = 33;
const LAYER_NORM_EPS = 1e-5;

const LAYER_PARAMS = ['norm.gamma', 'norm.beta', 'qkv.w', 'out.w', 'out.b', 'res_conv.w'] as const;
const PPEG_PARAMS = PPEG_KERNELS.flatMap((k) => [`ppeg.proj${k}.w`, `ppeg.proj${k}.b`]);

export const TRANSMIL_PARAM_NAMES: readonly string[] = [
  'fc1.w',
  'fc1.b',
  'cls_token',
  ...LAYER_PARAMS.map((p) => `layer1.${p}`),
  ...PPEG_PARAMS,
  ...LAYER_PARAMS.map((p) => `layer2.${p}`),
  'norm.gamma',
  'norm.beta',
  'fc2.w',
  'fc2.b',
];

export function transmilParamShapes(s: TransmilShape): Record<string, number[]> {
  const w = s.width;
  const layer = (prefix: string): Record<string, number[]> => ({
    [`${prefix}.norm.gamma`]: [w],
    [`${prefix}.norm.beta`]: [w],
    [`${prefix}.qkv.w`]: [w, 3 * w],
    [`${prefix}.out.w`]: [w, w],
    [`${prefix}.out.b`]: [w],
    [`${prefix}.res_conv.w`]: [s.heads, RESIDUAL_KERNEL],
  });
  const shapes: Record<string, number[]> = {
    'fc1.w': [s.inputDim, w],
    'fc1.b': [w],
    cls_token: [w],
    ...layer('layer1'),
    ...layer('layer2'),
    'norm.gamma': [w],
    'norm.beta': [w],
    'fc2.w': [w, s.nClasses],
    'fc2.b': [s.nClasses],
  };
  for (const k of PPEG_KERNELS) {
    shapes[`ppeg.proj${k}.w`] = [w, k, k];
    shapes[`ppeg.proj${k}.b`] = [w];
  }
  return shapes;
}

/** PyTorch's defaults: nn.Linear and nn.Conv2d uniform in +-1/sqrt(fan_in), the cls token standard normal, layer norms 1 and 0. */
export function initTransmilParams(s: TransmilShape, rng: SeededRandom): Map<string, Float32Array> {
  const shapes = transmilParamShapes(s);
  const fanIn = (name: string): number => {
    if (name.startsWith('fc1.')) return s.inputDim;
    const conv = /^ppeg\.proj(\d)\./.exec(name);
    if (conv) return Number(conv[1]) ** 2;
    if (name.endsWith('res_conv.w')) return RESIDUAL_KERNEL;
    return s.width;
  };
  const out = new Map<string, Float32Array>();
  for (const name of TRANSMIL_PARAM_NAMES) {
    const shape = shapes[name] as number[];
    const size = shape.reduce((a, b) => a * b, 1);
    if (name === 'cls_token') {
      const v = new Float32Array(size);
      rng.fillNormal(v);
      out.set(name, v);
    } else if (name.endsWith('norm.gamma')) out.set(name, new Float32Array(size).fill(1));
    else if (name.endsWith('norm.beta')) out.set(name, new Float32Array(size));
    else out.set(name, linearInit(shape, fanIn(name), rng));
  }
  return out;
}

/** Side of the square the N instances are padded to, and how many rows are repeated to fill it. */
export function squareOf(n: number): { side: number; added: number } {
  const side = Math.ceil(Math.sqrt(n));
  return { side, added: side * side - n };
}

/** Rows of the token sequence: the cls token and the S*S square. */
export function sequenceLength(n: number): number {
  return 1 + squareOf(n).side ** 2;
}

/** Rows each Nyström layer attends over: the sequence padded up to a multiple of the landmarks. */
export function attentionLength(n: number, landmarks: number): number {
  const sequence = sequenceLength(n);
  return sequence + nystromPadding(sequence, landmarks).pad;
}

/**
 * Peak memory of one step, a least-squares fit to the wasm heap after one step (fresh process each) at
 * D = 1024: training N = 1,000-4,500 with the defaults and with landmarks 128, width 256, heads 4;
 * evaluation N = 2,000-8,000 (the table is in docs/memory.md). bytes = margin * (fixed + 4 (L (perAttention
 * H m + perWidth w) + perLandmarkPair H m^2)) for L = attentionLength(N), plus what is counted rather
 * than fitted: the input (in training also its transpose for fc1's weight gradient) and the parameters
 * with their gradients and AdamW moments. `margin` covers the largest residual (4.9%, heads 4).
 */
const STEP_MEMORY = {
  train: { fixedBytes: 150e6, perAttention: 21.76, perWidth: 237.5, perLandmarkPair: 308.0, inputCopies: 2, margin: 1.05 },
  eval: { fixedBytes: 283e6, perAttention: 6.41, perWidth: 93.0, perLandmarkPair: 0, inputCopies: 1, margin: 1.05 },
} as const;

/** Counted, not fitted: bytes per [1 + S*S, width] copy that dropout adds to a training step (heaps measured with and without it, N = 2,000 and 4,500: 7.0 and 7.5 copies; docs/memory.md). */
const DROPOUT_COPIES = 8;

/** Estimated peak bytes of a training step ('train') or an evaluation ('eval') on a bag of n instances. */
export function transmilStepBytes(s: TransmilShape, n: number, mode: 'train' | 'eval'): number {
  const c = STEP_MEMORY[mode];
  const length = attentionLength(n, s.landmarks);
  const paramCount = Object.values(transmilParamShapes(s)).reduce((sum, shape) => sum + shape.reduce((a, b) => a * b, 1), 0);
  const fitted = c.fixedBytes + 4 * (length * (c.perAttention * s.heads * s.landmarks + c.perWidth * s.width) + c.perLandmarkPair * s.heads * s.landmarks ** 2);
  const dropout = mode === 'train' && s.dropout > 0 ? DROPOUT_COPIES * sequenceLength(n) * s.width : 0;
  return c.margin * fitted + 4 * (c.inputCopies * n * s.inputDim + 4 * paramCount + dropout);
}

type Params = (name: string) => tf.Tensor;

interface TransmilCache {
  x: tf.Tensor2D;
  /** Each layer's dropout mask [1 + S*S, width], drawn once in forward so that backward's recomputation uses the same. */
  masks?: LayerMasks;
}

interface LayerMasks {
  layer1: tf.Tensor2D;
  layer2: tf.Tensor2D;
}

export interface TransmilOutputs {
  logits: tf.Tensor1D;
  /** Layer 2's cls query against the N instances' keys, scaled, [heads, N]. */
  scores: tf.Tensor2D;
}

export class Transmil implements MilModel {
  readonly arch = 'transmil';
  readonly params: ReadonlyMap<string, tf.Variable>;
  private readonly attention: NystromOptions;

  constructor(
    readonly shape: TransmilShape,
    initial: ReadonlyMap<string, Float32Array>,
  ) {
    if (shape.width % shape.heads !== 0) throw new Error(`TransMIL: the width ${shape.width} is not a multiple of ${shape.heads} heads`);
    useAutodiff();
    const shapes = transmilParamShapes(shape);
    const params = paramVariables('TransMIL', TRANSMIL_PARAM_NAMES, shapes, initial);
    this.params = params;
    this.attention = { heads: shape.heads, landmarks: shape.landmarks, pinvIterations: PINV_ITERATIONS };
  }

  forward(x: tf.Tensor2D, options: ForwardOptions): MilForward {
    const masks = options.training && this.shape.dropout > 0 ? this.dropoutMasks(x.shape[0], options.random) : undefined;
    // Only the outputs outlive the forward pass: backward recomputes it under tf.grads, so keeping this
    // pass's intermediates would hold a second copy of every activation through the step (the peak).
    const [logits, scores] = tf.tidy(() => {
      const out = this.compute((name) => this.params.get(name) as tf.Variable, x, masks);
      return [out.logits, out.scores] as [tf.Tensor1D, tf.Tensor2D];
    });
    const cache: TransmilCache = { x, ...(masks ? { masks } : {}) };
    return { logits, scores, cache };
  }

  private dropoutMasks(n: number, random: (() => number) | undefined): LayerMasks {
    if (!random) throw new Error('TransMIL: dropout needs a random source');
    const shape: [number, number] = [sequenceLength(n), this.shape.width];
    return { layer1: dropoutMask(shape, this.shape.dropout, random), layer2: dropoutMask(shape, this.shape.dropout, random) };
  }

  private layer(p: Params, prefix: string, t: tf.Tensor2D, mask: tf.Tensor2D | undefined): { out: tf.Tensor2D; normed: tf.Tensor2D } {
    const normed = layerNorm(t, p(`${prefix}.norm.gamma`) as tf.Tensor1D, p(`${prefix}.norm.beta`) as tf.Tensor1D, LAYER_NORM_EPS).y;
    const attended = nystromAttention(
      normed,
      { qkvW: p(`${prefix}.qkv.w`) as tf.Tensor2D, outW: p(`${prefix}.out.w`) as tf.Tensor2D, outB: p(`${prefix}.out.b`) as tf.Tensor1D, resConvW: p(`${prefix}.res_conv.w`) as tf.Tensor2D },
      this.attention,
      mask,
    );
    return { out: tf.add(t, attended) as tf.Tensor2D, normed };
  }

  /** The whole forward pass from parameter tensors (variables, or the tape's inputs in backward). */
  compute(p: Params, x: tf.Tensor2D, masks?: LayerMasks): TransmilOutputs {
    const n = x.shape[0];
    const w = this.shape.width;
    let h = tf.relu(tf.add(tf.matMul(x, p('fc1.w') as tf.Tensor2D), p('fc1.b'))) as tf.Tensor2D;
    const { side, added } = squareOf(n);
    if (added > 0) h = tf.concat([h, tf.slice(h, [0, 0], [added, w])], 0);
    let t = tf.concat([tf.reshape(p('cls_token'), [1, w]), h], 0) as tf.Tensor2D;
    t = this.layer(p, 'layer1', t, masks?.layer1).out;
    const convs = PPEG_KERNELS.map((k) => ({ w: p(`ppeg.proj${k}.w`) as tf.Tensor3D, b: p(`ppeg.proj${k}.b`) as tf.Tensor1D }));
    t = tf.concat([tf.slice(t, [0, 0], [1, w]), ppeg(tf.slice(t, [1, 0], [side * side, w]), side, { convs })], 0);
    const second = this.layer(p, 'layer2', t, masks?.layer2);
    // The exact attention of the cls query over the real instances (sequence rows 1..N), with layer 2's q and k.
    const qkvW = p('layer2.qkv.w') as tf.Tensor2D;
    const q = tf.matMul(tf.slice(second.normed, [0, 0], [1, w]), tf.slice(qkvW, [0, 0], [w, w])) as tf.Tensor2D;
    const k = tf.matMul(tf.slice(second.normed, [1, 0], [n, w]), tf.slice(qkvW, [0, w], [w, w])) as tf.Tensor2D;
    const scores = singleQueryHeadScores(q, k, this.shape.heads);
    const normed = layerNorm(tf.slice(second.out, [0, 0], [1, w]), p('norm.gamma') as tf.Tensor1D, p('norm.beta') as tf.Tensor1D, LAYER_NORM_EPS).y;
    const logits = tf.reshape(tf.add(tf.matMul(normed, p('fc2.w') as tf.Tensor2D), p('fc2.b')), [-1]) as tf.Tensor1D;
    return { logits, scores };
  }

  backward(cacheValue: unknown, dLogits: tf.Tensor1D, dScores: tf.Tensor2D): Map<string, tf.Tensor> {
    const c = cacheValue as TransmilCache;
    const names = TRANSMIL_PARAM_NAMES;
    const objective = (...values: tf.Tensor[]): tf.Scalar => {
      const byName = new Map<string, tf.Tensor>(names.map((n, i) => [n, values[i] as tf.Tensor]));
      const out = this.compute((name) => byName.get(name) as tf.Tensor, c.x, c.masks);
      return tf.add(tf.sum(tf.mul(out.logits, dLogits)), tf.sum(tf.mul(out.scores, dScores))) as tf.Scalar;
    };
    const grads = tf.grads(objective)(names.map((n) => this.params.get(n) as tf.Variable));
    return new Map(names.map((n, i) => [n, grads[i] as tf.Tensor]));
  }

  dispose(): void {
    for (const v of this.params.values()) v.dispose();
  }
}
