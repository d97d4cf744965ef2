// Gated attention MIL (Ilse et al. 2018) with a hand-written backward pass.
//
// Why not autodiff: tfjs-wasm's transposed matMul path is 10-25x slower than a plain one, and autodiff
// of a matMul produces exactly those. Here every backward matMul multiplies untransposed operands
// (a small explicit transpose before or after), and no intermediate is computed twice; the gated
// attention is the shared block in layers/gatedAttention.ts.
import * as tf from '@tensorflow/tfjs-core';
import type { SeededRandom } from '../../util/seededRandom.js';
import { gatedAttention, gatedAttentionBackward, gatedAttentionWeightsOf, type GatedAttentionCache, type GatedAttentionWeights } from './layers/gatedAttention.js';
import type { ForwardOptions, MilForward, MilModel, ModelShape } from './types.js';
import { paramReader, paramVariables, type ParamReader } from './layers/params.js';

export const ABMIL_PARAM_NAMES = [
  'reduce.weight',
  'V.weight',
  'V.bias',
  'U.weight',
  'U.bias',
  'w.weight',
  'w.bias',
  'cls.weight',
  'cls.bias',
] as const;

/** Parameter shapes, dense weights stored [in, out]. */
export function abmilParamShapes(s: ModelShape): Record<(typeof ABMIL_PARAM_NAMES)[number], number[]> {
  return {
    'reduce.weight': [s.inputDim, s.hiddenDim],
    'V.weight': [s.hiddenDim, s.attentionDim],
    'V.bias': [s.attentionDim],
    'U.weight': [s.hiddenDim, s.attentionDim],
    'U.bias': [s.attentionDim],
    'w.weight': [s.attentionDim, 1],
    'w.bias': [1],
    'cls.weight': [s.hiddenDim, s.nClasses],
    'cls.bias': [s.nClasses],
  };
}

/** PyTorch's nn.Linear default: weights and biases uniform in +-1/sqrt(fan_in). */
export function initAbmilParams(s: ModelShape, rng: SeededRandom): Map<string, Float32Array> {
  const shapes = abmilParamShapes(s);
  const fanIn: Record<string, number> = {
    'reduce.weight': s.inputDim,
    V: s.hiddenDim,
    U: s.hiddenDim,
    w: s.attentionDim,
    cls: s.hiddenDim,
  };
  const out = new Map<string, Float32Array>();
  for (const name of ABMIL_PARAM_NAMES) {
    const size = shapes[name].reduce((a, b) => a * b, 1);
    const bound = 1 / Math.sqrt(fanIn[name] ?? fanIn[name.split('.')[0] as string] ?? 1);
    const values = new Float32Array(size);
    for (let i = 0; i < size; i++) values[i] = (rng.float() * 2 - 1) * bound;
    out.set(name, values);
  }
  return out;
}

interface AbmilCache {
  x: tf.Tensor2D;
  h: tf.Tensor2D;
  dropoutMask?: tf.Tensor2D;
  gated: GatedAttentionCache;
  attention: tf.Tensor2D;
  z: tf.Tensor2D;
}

export class GatedAbmil implements MilModel {
  readonly arch = 'abmil';
  readonly params: ReadonlyMap<string, tf.Variable>;
  private readonly read: ParamReader<(typeof ABMIL_PARAM_NAMES)[number]>;

  constructor(
    readonly shape: ModelShape,
    initial: ReadonlyMap<string, Float32Array>,
  ) {
    const shapes = abmilParamShapes(shape);
    const params = paramVariables('ABMIL', ABMIL_PARAM_NAMES, shapes, initial);
    this.params = params;
    this.read = paramReader<(typeof ABMIL_PARAM_NAMES)[number]>('ABMIL', params);
  }

  private attentionWeights(): GatedAttentionWeights {
    return gatedAttentionWeightsOf(this.read, { v: 'V', u: 'U', w: 'w' }, { weight: 'weight', bias: 'bias' });
  }

  forward(x: tf.Tensor2D, options: ForwardOptions): MilForward {
    let h: tf.Tensor2D = tf.fused.matMul({ a: x, b: this.read.matrix('reduce.weight'), activation: 'relu' }) as tf.Tensor2D;
    let dropoutMask: tf.Tensor2D | undefined;
    if (options.training && this.shape.dropout > 0) {
      dropoutMask = this.dropoutMask([h.shape[0], h.shape[1]], options.random);
      h = tf.mul(h, dropoutMask);
    }
    const gated = gatedAttention(h, this.attentionWeights());
    const scores = tf.reshape(gated.scores, [1, -1]) as tf.Tensor2D;
    const attention = tf.softmax(scores) as tf.Tensor2D;
    const z = tf.matMul(attention, h) as tf.Tensor2D;
    const logits = tf.reshape(tf.fused.matMul({ a: z, b: this.read.matrix('cls.weight'), bias: this.read.vector('cls.bias') }), [-1]) as tf.Tensor1D;
    const cache: AbmilCache = { x, h, gated: gated.cache, attention, z, ...(dropoutMask ? { dropoutMask } : {}) };
    return { logits, scores, cache };
  }

  backward(cacheValue: unknown, dLogits: tf.Tensor1D, dScores: tf.Tensor2D): Map<string, tf.Tensor> {
    const c = cacheValue as AbmilCache;
    const grads = new Map<string, tf.Tensor>();
    const dLogitsRow = tf.reshape(dLogits, [1, -1]) as tf.Tensor2D;

    // z and dz are single rows: their transposes are reshapes (no copy kernel).
    grads.set('cls.weight', tf.matMul(tf.reshape(c.z, [-1, 1]), dLogitsRow));
    grads.set('cls.bias', dLogits);
    const dz = tf.matMul(dLogitsRow, tf.transpose(this.read.matrix('cls.weight'))); // [1, Hd]

    // z = a h: gradient to h is the outer product a^T dz, to a is h dz^T.
    const attentionCol = tf.reshape(c.attention, [-1, 1]);
    let dh = tf.mul(attentionCol, dz) as tf.Tensor2D;
    const da = tf.reshape(tf.matMul(c.h, tf.reshape(dz, [-1, 1])), [1, -1]);
    // Softmax Jacobian: ds = a * (da - sum(a * da)).
    const dsFromZ = tf.mul(c.attention, tf.sub(da, tf.sum(tf.mul(c.attention, da))));
    const ds = tf.reshape(tf.add(dsFromZ, dScores), [-1, 1]) as tf.Tensor2D; // [N, 1]

    const g = gatedAttentionBackward(c.gated, this.attentionWeights(), ds, true);
    grads.set('w.weight', g.wW);
    grads.set('w.bias', g.wB);
    grads.set('V.weight', g.vW);
    grads.set('U.weight', g.uW);
    grads.set('V.bias', g.vB);
    grads.set('U.bias', g.uB);

    dh = tf.add(dh, g.dh);
    if (c.dropoutMask) dh = tf.mul(dh, c.dropoutMask);
    // ReLU passes gradient where its output is positive (dropout zeros do not change that set's use).
    const dPre1 = tf.mul(dh, tf.step(c.h));
    grads.set('reduce.weight', tf.transpose(tf.matMul(tf.transpose(dPre1), c.x)));
    return grads;
  }

  private dropoutMask(shape: [number, number], random: (() => number) | undefined): tf.Tensor2D {
    if (!random) throw new Error('ABMIL: dropout needs a random source');
    const keep = 1 - this.shape.dropout;
    const values = new Float32Array(shape[0] * shape[1]);
    for (let i = 0; i < values.length; i++) values[i] = random() < keep ? 1 / keep : 0;
    return tf.tensor2d(values, shape);
  }

  dispose(): void {
    for (const v of this.params.values()) v.dispose();
  }
}
