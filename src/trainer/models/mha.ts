// Multi-head attention MIL as in the AEM paper's MHA: one learnable query attends over the reduced
// instances with several heads, then an output projection, a layer norm and the bag classifier.
// The regulariser (and the reported attention) is every head's softmax over the instances, [H, N].
import * as tf from '@tensorflow/tfjs-core';
import type { SeededRandom } from '../../util/seededRandom.js';
import { dense, dropoutMask, linearInit } from './layers/dense.js';
import { layerNorm, layerNormBackward } from './layers/layerNorm.js';
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
  /** The keys' projection folded with the query: scores^T = h keyQuery + keyBias, [W, H]. */
  keyQuery: tf.Tensor2D;
  attention: tf.Tensor2D;
  /** attention @ h, [H, W]: each head's weighted mean instance before the value projection. */
  meanH: tf.Tensor2D;
  pooled: tf.Tensor2D;
  xhat: tf.Tensor2D;
  invStd: tf.Tensor2D;
  normed: tf.Tensor2D;
}

/**
 * [H, W] with 1 where column i belongs to head j (columns j*dh .. (j+1)*dh - 1), else 0: picks each head's
 * block out of a full product.
 */
function headBlocks(heads: number, width: number): tf.Tensor2D {
  const dh = width / heads;
  const values = new Float32Array(heads * width);
  for (let j = 0; j < heads; j++) values.fill(1, j * width + j * dh, j * width + (j + 1) * dh);
  return tf.tensor2d(values, [heads, width]);
}

// Hand-written backward (tfjs-core's node bundle registers no autodiff gradients), with explicit
// transposes so that wasm never takes its slow transposed matMul path.
// One query makes the key and value projections foldable: q_j . (h_n Wk + bk)_j = h_n (Wk_j q_j) + bk_j . q_j
// and sum_n a_jn (h_n Wv + bv)_j = (a_j h) Wv_j + bv_j (the attention sums to 1), so no [N, W] x [W, W]
// product is formed: the step costs N x W x H for the attention instead of N x W x W.
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
    const { heads, hiddenDim: width } = this.shape;
    const scale = 1 / Math.sqrt(width / heads);
    const blocks = headBlocks(heads, width);
    const q = dense(this.read.matrix('query'), this.read.matrix('q.w'), this.read.vector('q.b'));
    // keyQuery[:, j] = Wk[:, head j] q[head j] / sqrt(dh); keyBias[j] = bk[head j] . q[head j] / sqrt(dh).
    const qBlocks = tf.mul(blocks, q); // [H, W]
    const keyQuery = tf.mul(tf.matMul(this.read.matrix('k.w'), tf.transpose(qBlocks)), scale) as tf.Tensor2D; // [W, H]
    const keyBias = tf.mul(tf.matMul(qBlocks, tf.reshape(this.read.vector('k.b'), [width, 1])), scale); // [H, 1]
    const scores = tf.add(tf.transpose(tf.matMul(h, keyQuery)), keyBias) as tf.Tensor2D; // [H, N]
    const attention = tf.softmax(scores) as tf.Tensor2D;
    const meanH = tf.matMul(attention, h) as tf.Tensor2D; // [H, W]
    const pooled = tf.add(tf.sum(tf.mul(tf.matMul(meanH, this.read.matrix('v.w')), blocks), 0, true), tf.reshape(this.read.vector('v.b'), [1, width])) as tf.Tensor2D;
    const o = dense(pooled, this.read.matrix('out.w'), this.read.vector('out.b'));
    const ln = layerNorm(o, this.read.vector('norm.gamma'), this.read.vector('norm.beta'), LAYER_NORM_EPS);
    const logits = tf.reshape(dense(ln.y, this.read.matrix('cls.w'), this.read.vector('cls.b')), [-1]) as tf.Tensor1D;
    const cache: MhaCache = { x, h, q, keyQuery, attention, meanH, pooled, xhat: ln.xhat, invStd: ln.invStd, normed: ln.y, ...(mask ? { mask } : {}) };
    return { logits, scores, cache };
  }

  backward(cacheValue: unknown, dLogits: tf.Tensor1D, dScores: tf.Tensor2D): Map<string, tf.Tensor> {
    const c = cacheValue as MhaCache;
    const { heads, hiddenDim: width } = this.shape;
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
    const dPooled = tf.matMul(ln.dx, tf.transpose(this.read.matrix('out.w'))) as tf.Tensor2D; // [1, W]

    // pooled = rowsum(blocks * (meanH Wv)) + bv
    const blocks = headBlocks(heads, width);
    const dValueOut = tf.mul(blocks, dPooled); // [H, W]: head j's rows carry dPooled on its own columns
    grads.set('v.w', tf.matMul(tf.transpose(c.meanH), dValueOut));
    grads.set('v.b', tf.reshape(dPooled, [width]));
    const dMeanH = tf.matMul(dValueOut, tf.transpose(this.read.matrix('v.w'))) as tf.Tensor2D; // [H, W]
    const hT = tf.transpose(c.h); // [W, N]
    const da = tf.matMul(dMeanH, hT); // [H, N]
    const ds = tf.add(tf.mul(c.attention, tf.sub(da, tf.sum(tf.mul(c.attention, da), 1, true))), dScores) as tf.Tensor2D; // [H, N]
    const dsT = tf.transpose(ds); // [N, H]

    // scores^T = h keyQuery + keyBias, keyQuery = Wk (blocks * q)^T / sqrt(dh)
    const scale = 1 / Math.sqrt(dh);
    const dKeyQuery = tf.matMul(hT, dsT); // [W, H]
    const qBlocks = tf.mul(blocks, c.q); // [H, W]
    grads.set('k.w', tf.mul(tf.matMul(dKeyQuery, qBlocks), scale));
    // A key bias adds q_h . b to every score of head h, which the softmax ignores: its gradient is exactly 0
    // (summing the score gradients in float32 gives ~1e-9 noise that Adam's normalisation would turn into a
    // real step), and so is the query's gradient through it.
    grads.set('k.b', tf.zeros([width]));
    const dqBlocks = tf.mul(tf.transpose(tf.matMul(tf.transpose(this.read.matrix('k.w')), dKeyQuery)), scale); // [H, W]
    const dq = tf.sum(tf.mul(dqBlocks, blocks), 0, true) as tf.Tensor2D; // [1, W]

    grads.set('q.w', tf.matMul(tf.transpose(this.read.matrix('query')), dq));
    grads.set('q.b', tf.reshape(dq, [width]));
    grads.set('query', tf.matMul(dq, tf.transpose(this.read.matrix('q.w'))));

    let dhid = tf.add(tf.matMul(dsT, tf.transpose(c.keyQuery)), tf.matMul(tf.transpose(c.attention), dMeanH)) as tf.Tensor2D; // [N, W]
    if (c.mask) dhid = tf.mul(dhid, c.mask);
    const dPre = tf.mul(dhid, tf.step(c.h));
    grads.set('reduce.w', tf.transpose(tf.matMul(tf.transpose(dPre), c.x)));
    return grads;
  }

  dispose(): void {
    for (const v of this.params.values()) v.dispose();
  }
}
