// Multi-head attention MIL as in the AEM paper's MHA: one learnable query attends over the reduced
// instances with several heads, then an output projection, a layer norm and the bag classifier.
// The regulariser (and the reported attention) is every head's softmax over the instances, [H, N].
import * as tf from '@tensorflow/tfjs-core';
import type { SeededRandom } from '../../util/seededRandom.js';
import { dense, dropoutMask, linearInit } from './layers/dense.js';
import { layerNorm, layerNormBackward } from './layers/layerNorm.js';
import { headsWeightedSum, singleQueryHeadScores } from './layers/multiHeadAttention.js';
import type { ForwardOptions, MilForward, MilModel } from './types.js';
import { paramReader, paramVariables, type ParamReader } from './layers/params.js';

export const MHA_PARAM_NAMES = ['reduce.w', 'query', 'q.w', 'q.b', 'k.w', 'k.b', 'v.w', 'v.b', 'out.w', 'out.b', 'norm.gamma', 'norm.beta', 'cls.w', 'cls.b'] as const;
type MhaParam = (typeof MHA_PARAM_NAMES)[number];

export interface MhaShape {
  inputDim: number;
  hiddenDim: number;
  heads: number;
  nClasses: number;
  dropout: number;
}

const LAYER_NORM_EPS = 1e-6;

export function mhaParamShapes(s: MhaShape): Record<MhaParam, number[]> {
  const w = s.hiddenDim;
  return {
    'reduce.w': [s.inputDim, w],
    query: [1, w],
    'q.w': [w, w],
    'q.b': [w],
    'k.w': [w, w],
    'k.b': [w],
    'v.w': [w, w],
    'v.b': [w],
    'out.w': [w, w],
    'out.b': [w],
    'norm.gamma': [w],
    'norm.beta': [w],
    'cls.w': [w, s.nClasses],
    'cls.b': [s.nClasses],
  };
}

/** Dense layers as nn.Linear, the query standard normal (as nn.Parameter(torch.randn)), layer norm 1 and 0. */
export function initMhaParams(s: MhaShape, rng: SeededRandom): Map<string, Float32Array> {
  const shapes = mhaParamShapes(s);
  const out = new Map<string, Float32Array>();
  for (const name of MHA_PARAM_NAMES) {
    const shape = shapes[name];
    const size = shape.reduce((a, b) => a * b, 1);
    if (name === 'query') {
      const q = new Float32Array(size);
      rng.fillNormal(q);
      out.set(name, q);
    } else if (name === 'norm.gamma') out.set(name, new Float32Array(size).fill(1));
    else if (name === 'norm.beta') out.set(name, new Float32Array(size));
    else out.set(name, linearInit(shape, name === 'reduce.w' ? s.inputDim : s.hiddenDim, rng));
  }
  return out;
}

interface MhaCache {
  x: tf.Tensor2D;
  h: tf.Tensor2D;
  mask?: tf.Tensor2D;
  q: tf.Tensor2D;
  k: tf.Tensor2D;
  v: tf.Tensor2D;
  attention: tf.Tensor2D;
  pooled: tf.Tensor2D;
  xhat: tf.Tensor2D;
  invStd: tf.Tensor2D;
  normed: tf.Tensor2D;
}

// Hand-written backward (tfjs-core's node bundle registers no autodiff gradients), with explicit
// transposes so that wasm never takes its slow transposed matMul path.
export class MultiHeadAttentionMil implements MilModel {
  readonly arch = 'mha';
  readonly params: ReadonlyMap<string, tf.Variable>;
  private readonly read: ParamReader<MhaParam>;

  constructor(
    readonly shape: MhaShape,
    initial: ReadonlyMap<string, Float32Array>,
  ) {
    if (shape.hiddenDim % shape.heads !== 0) throw new Error(`MHA: the width ${shape.hiddenDim} is not a multiple of ${shape.heads} heads`);
    const shapes = mhaParamShapes(shape);
    const params = paramVariables('MHA', MHA_PARAM_NAMES, shapes, initial);
    this.params = params;
    this.read = paramReader<MhaParam>('MHA', params);
  }

  forward(x: tf.Tensor2D, options: ForwardOptions): MilForward {
    let h = dense(x, this.read.matrix('reduce.w'), undefined, 'relu');
    let mask: tf.Tensor2D | undefined;
    if (options.training && this.shape.dropout > 0) {
      if (!options.random) throw new Error('MHA: dropout needs a random source');
      mask = dropoutMask([h.shape[0], h.shape[1]], this.shape.dropout, options.random);
      h = tf.mul(h, mask);
    }
    const q = dense(this.read.matrix('query'), this.read.matrix('q.w'), this.read.vector('q.b'));
    const k = dense(h, this.read.matrix('k.w'), this.read.vector('k.b'));
    const v = dense(h, this.read.matrix('v.w'), this.read.vector('v.b'));
    const scores = singleQueryHeadScores(q, k, this.shape.heads);
    const attention = tf.softmax(scores) as tf.Tensor2D;
    const pooled = headsWeightedSum(attention, v);
    const o = dense(pooled, this.read.matrix('out.w'), this.read.vector('out.b'));
    const ln = layerNorm(o, this.read.vector('norm.gamma'), this.read.vector('norm.beta'), LAYER_NORM_EPS);
    const logits = tf.reshape(dense(ln.y, this.read.matrix('cls.w'), this.read.vector('cls.b')), [-1]) as tf.Tensor1D;
    const cache: MhaCache = { x, h, q, k, v, attention, pooled, xhat: ln.xhat, invStd: ln.invStd, normed: ln.y, ...(mask ? { mask } : {}) };
    return { logits, scores, cache };
  }

  backward(cacheValue: unknown, dLogits: tf.Tensor1D, dScores: tf.Tensor2D): Map<string, tf.Tensor> {
    const c = cacheValue as MhaCache;
    const { heads, hiddenDim: width } = this.shape;
    const n = c.x.shape[0];
    const dh = width / heads;
    const grads = new Map<string, tf.Tensor>();
    const dl = tf.reshape(dLogits, [1, -1]) as tf.Tensor2D;

    grads.set('cls.w', tf.matMul(tf.transpose(c.normed), dl));
    grads.set('cls.b', dLogits);
    const dy = tf.matMul(dl, tf.transpose(this.read.matrix('cls.w'))) as tf.Tensor2D; // [1, W]

    const ln = layerNormBackward(dy, c.xhat, c.invStd, this.read.vector('norm.gamma'));
    grads.set('norm.gamma', tf.reshape(ln.dGamma, [width]));
    grads.set('norm.beta', tf.reshape(dy, [width]));

    grads.set('out.w', tf.matMul(tf.transpose(c.pooled), ln.dx));
    grads.set('out.b', tf.reshape(ln.dx, [width]));
    const dPooled = tf.reshape(tf.matMul(ln.dx, tf.transpose(this.read.matrix('out.w'))), [1, heads, dh]); // [1, H, dh]

    const vr = tf.reshape(c.v, [n, heads, dh]);
    const dv = tf.reshape(tf.mul(tf.reshape(tf.transpose(c.attention), [n, heads, 1]), dPooled), [n, width]) as tf.Tensor2D;
    const da = tf.transpose(tf.sum(tf.mul(vr, dPooled), 2)); // [H, N]
    const ds = tf.add(tf.mul(c.attention, tf.sub(da, tf.sum(tf.mul(c.attention, da), 1, true))), dScores);
    const dsCol = tf.reshape(tf.transpose(ds), [n, heads, 1]);
    const scale = 1 / Math.sqrt(dh);
    const dk = tf.reshape(tf.mul(tf.mul(dsCol, tf.reshape(c.q, [1, heads, dh])), scale), [n, width]) as tf.Tensor2D;
    const dq = tf.reshape(tf.mul(tf.sum(tf.mul(dsCol, tf.reshape(c.k, [n, heads, dh])), 0), scale), [1, width]) as tf.Tensor2D;

    grads.set('q.w', tf.matMul(tf.transpose(this.read.matrix('query')), dq));
    grads.set('q.b', tf.reshape(dq, [width]));
    grads.set('query', tf.matMul(dq, tf.transpose(this.read.matrix('q.w'))));
    grads.set('k.w', tf.transpose(tf.matMul(tf.transpose(dk), c.h)));
    // A key bias adds q_h . b to every score of head h, which the softmax ignores: its gradient is exactly 0
    // (summing dk in float32 gives ~1e-9 noise that Adam's normalisation would turn into a real step).
    grads.set('k.b', tf.zeros([width]));
    grads.set('v.w', tf.transpose(tf.matMul(tf.transpose(dv), c.h)));
    grads.set('v.b', tf.sum(dv, 0));

    let dhid = tf.add(tf.matMul(dk, tf.transpose(this.read.matrix('k.w'))), tf.matMul(dv, tf.transpose(this.read.matrix('v.w')))) as tf.Tensor2D;
    if (c.mask) dhid = tf.mul(dhid, c.mask);
    const dPre = tf.mul(dhid, tf.step(c.h));
    grads.set('reduce.w', tf.transpose(tf.matMul(tf.transpose(dPre), c.x)));
    return grads;
  }

  dispose(): void {
    for (const v of this.params.values()) v.dispose();
  }
}
