// ACMIL (Zhang et al. 2023, dazhangyu123/ACMIL's ACMIL_GA with its training loss): h = ReLU(x W), one
// gated attention with K branches (one score column each), stochastic top-k instance masking while
// training, a classifier per branch on its attention-pooled h and a slide classifier on the pooled h under
// the branches' mean attention. Loss: slide CE + mean branch CE + the branches' mean pairwise cosine
// similarity (diversity); the regulariser (and the reported attention) is every branch's masked attention,
// [K, N], averaged over branches.
import * as tf from '@tensorflow/tfjs-core';
import type { SeededRandom } from '../../util/seededRandom.js';
import { dense, dropoutMask, linearInit } from './layers/dense.js';
import { gatedAttention, gatedAttentionBackward, gatedAttentionWeightsOf, type GatedAttentionCache, type GatedAttentionWeights } from './layers/gatedAttention.js';
import type { ForwardOptions, MilForward, MilModel } from './types.js';
import { paramReader, paramVariables, type ParamReader } from './layers/params.js';

export interface AcmilShape {
  inputDim: number;
  hiddenDim: number;
  attentionDim: number;
  nClasses: number;
  dropout: number;
  branches: number;
  /** Of each branch's top-scored instances, how many are candidates for masking (n_masked_patch). */
  maskedInstances: number;
  /** The fraction of those candidates masked (mask_drop). */
  maskProbability: number;
}

/** The score a masked instance gets (ACMIL's masked_fill value): its attention is exactly 0. */
const MASKED_SCORE = -1e9;

const SHARED_PARAMS = ['reduce.w', 'attn_V.w', 'attn_V.b', 'attn_U.w', 'attn_U.b', 'attn_w.w', 'attn_w.b'] as const;

/** Parameter names in checkpoint order: the shared ones, branch_cls.<k>.w / .b per branch, slide_cls. */
export function acmilParamNames(branches: number): string[] {
  return [...SHARED_PARAMS, ...Array.from({ length: branches }, (_, k) => [`branch_cls.${k}.w`, `branch_cls.${k}.b`]).flat(), 'slide_cls.w', 'slide_cls.b'];
}

export function acmilParamShapes(s: AcmilShape): Record<string, number[]> {
  const shapes: Record<string, number[]> = {
    'reduce.w': [s.inputDim, s.hiddenDim],
    'attn_V.w': [s.hiddenDim, s.attentionDim],
    'attn_V.b': [s.attentionDim],
    'attn_U.w': [s.hiddenDim, s.attentionDim],
    'attn_U.b': [s.attentionDim],
    'attn_w.w': [s.attentionDim, s.branches],
    'attn_w.b': [s.branches],
    'slide_cls.w': [s.hiddenDim, s.nClasses],
    'slide_cls.b': [s.nClasses],
  };
  for (let k = 0; k < s.branches; k++) {
    shapes[`branch_cls.${k}.w`] = [s.hiddenDim, s.nClasses];
    shapes[`branch_cls.${k}.b`] = [s.nClasses];
  }
  return shapes;
}

/** nn.Linear's default everywhere (uniform in +-1/sqrt(fan_in)). */
export function initAcmilParams(s: AcmilShape, rng: SeededRandom): Map<string, Float32Array> {
  const shapes = acmilParamShapes(s);
  const fanIn = (name: string) => (name === 'reduce.w' ? s.inputDim : name.startsWith('attn_w.') ? s.attentionDim : s.hiddenDim);
  return new Map(acmilParamNames(s.branches).map((name) => [name, linearInit(shapes[name] as number[], fanIn(name), rng)]));
}

/** For a bag of n: the top-scored candidates per branch (min(maskedInstances, n), as ACMIL) and how many of them are masked. */
export function acmilMaskCounts(s: Pick<AcmilShape, 'maskedInstances' | 'maskProbability'>, n: number): { candidates: number; masked: number } {
  const candidates = Math.min(s.maskedInstances, n);
  return { candidates, masked: Math.floor(candidates * s.maskProbability) };
}

/**
 * Which of each branch's candidates are masked, as positions in its top-k list [branches][masked]: a
 * uniform random subset per branch, as ACMIL's argsort(rand(K, M))[:, :int(M * mask_drop)].
 */
export function drawMaskPositions(branches: number, candidates: number, masked: number, random: () => number): Int32Array {
  const out = new Int32Array(branches * masked);
  for (let k = 0; k < branches; k++) {
    const keys = Array.from({ length: candidates }, () => random());
    const order = Array.from({ length: candidates }, (_, i) => i).sort((a, b) => (keys[a] as number) - (keys[b] as number));
    for (let j = 0; j < masked; j++) out[k * masked + j] = order[j] as number;
  }
  return out;
}

interface AcmilCache {
  x: tf.Tensor2D;
  h: tf.Tensor2D;
  mask?: tf.Tensor2D;
  gated: GatedAttentionCache;
  /** 1 where an instance keeps its score, 0 where it is masked, [K, N]; absent without masking. */
  keep?: tf.Tensor2D;
  attention: tf.Tensor2D;
  branchEmbeddings: tf.Tensor2D;
  bagAttention: tf.Tensor2D;
  slideEmbedding: tf.Tensor2D;
  /** d (mean branch CE) / d branch logits, [K, C]; absent when K = 1 or without a label. */
  dBranchLogits?: tf.Tensor2D;
  /** The diversity term is in the loss (a label was given and K > 1). */
  diversity: boolean;
}

export class Acmil implements MilModel {
  readonly arch = 'acmil';
  readonly params: ReadonlyMap<string, tf.Variable>;
  private readonly read: ParamReader;

  constructor(
    readonly shape: AcmilShape,
    initial: ReadonlyMap<string, Float32Array>,
  ) {
    const shapes = acmilParamShapes(shape);
    const params = paramVariables('ACMIL', acmilParamNames(shape.branches), shapes, initial);
    this.params = params;
    this.read = paramReader('ACMIL', params);
  }

  private attentionWeights(): GatedAttentionWeights {
    return gatedAttentionWeightsOf(this.read, { v: 'attn_V', u: 'attn_U', w: 'attn_w' }, { weight: 'w', bias: 'b' });
  }

  /** Training masks from the run's random source; evaluation masks nothing. */
  forward(x: tf.Tensor2D, options: ForwardOptions): MilForward {
    if (!options.training) return this.forwardMasked(x, options, undefined);
    const random = options.random;
    if (!random) throw new Error('ACMIL: training needs the run\'s random source for its instance masking');
    return this.forwardMasked(x, options, (scores) => {
      const { candidates, masked } = acmilMaskCounts(this.shape, scores.shape[1]);
      if (masked === 0) return undefined;
      const top = tf.reshape(tf.topk(scores, candidates).indices, [-1]);
      const positions = drawMaskPositions(this.shape.branches, candidates, masked, random);
      // Branch k's candidates sit at k * candidates.. in the flattened top-k list.
      const flat = Int32Array.from(positions, (p, i) => p + Math.floor(i / masked) * candidates);
      return tf.reshape(tf.gather(top, tf.tensor1d(flat, 'int32')), [this.shape.branches, masked]) as tf.Tensor2D;
    });
  }

  /**
   * The forward pass with the masked instances chosen by `maskOf` from the unmasked scores [K, N] (ids
   * [K, masked] per branch, int32), or none. The golden fixture gives its masks through this.
   */
  forwardMasked(x: tf.Tensor2D, options: ForwardOptions, maskOf: ((scores: tf.Tensor2D) => tf.Tensor2D | undefined) | undefined): MilForward {
    const { branches, nClasses, dropout } = this.shape;
    const n = x.shape[0];
    let h = dense(x, this.read.matrix('reduce.w'), undefined, 'relu');
    let mask: tf.Tensor2D | undefined;
    if (options.training && dropout > 0) {
      if (!options.random) throw new Error('ACMIL: dropout needs a random source');
      mask = dropoutMask([n, h.shape[1]], dropout, options.random);
      h = tf.mul(h, mask);
    }
    const gated = gatedAttention(h, this.attentionWeights());
    const unmasked = tf.transpose(gated.scores) as tf.Tensor2D; // [K, N]
    const maskedIds = maskOf?.(unmasked);
    let scores = unmasked;
    let keep: tf.Tensor2D | undefined;
    if (maskedIds) {
      const dropped = tf.cast(tf.sum(tf.oneHot(maskedIds as tf.Tensor2D, n), 1), 'float32') as tf.Tensor2D; // [K, N]
      keep = tf.sub(1, dropped) as tf.Tensor2D;
      scores = tf.add(tf.mul(unmasked, keep), tf.mul(dropped, MASKED_SCORE)) as tf.Tensor2D;
    }
    const attention = tf.softmax(scores) as tf.Tensor2D;
    const branchEmbeddings = tf.matMul(attention, h) as tf.Tensor2D; // [K, Hd]
    const bagAttention = tf.mean(attention, 0, true) as tf.Tensor2D; // [1, N]
    const slideEmbedding = tf.matMul(bagAttention, h) as tf.Tensor2D; // [1, Hd]
    const logits = tf.reshape(dense(slideEmbedding, this.read.matrix('slide_cls.w'), this.read.vector('slide_cls.b')), [nClasses]) as tf.Tensor1D;
    const cache: AcmilCache = { x, h, gated: gated.cache, attention, branchEmbeddings, bagAttention, slideEmbedding, diversity: false, ...(mask ? { mask } : {}), ...(keep ? { keep } : {}) };
    if (options.label === undefined) return { logits, scores, cache };
    cache.diversity = branches > 1;

    let branchLoss: tf.Scalar = tf.scalar(0);
    if (branches > 1) {
      const branchLogits = this.branchLogits(branchEmbeddings);
      const logP = tf.logSoftmax(branchLogits);
      const oneHot = tf.cast(tf.oneHot(tf.fill([branches], options.label, 'int32'), nClasses), 'float32');
      branchLoss = tf.div(tf.neg(tf.sum(tf.mul(logP, oneHot))), branches) as tf.Scalar;
      cache.dBranchLogits = tf.div(tf.sub(tf.exp(logP), oneHot), branches) as tf.Tensor2D;
    }
    return { logits, scores, extraTerms: { branches: branchLoss, diversity: this.diversity(attention) }, cache };
  }

  /** Each branch's logits from its own classifier, [K, C]. */
  branchLogits(branchEmbeddings: tf.Tensor2D): tf.Tensor2D {
    const { branches, hiddenDim, nClasses } = this.shape;
    const weights = tf.stack(Array.from({ length: branches }, (_, k) => this.read.matrix(`branch_cls.${k}.w`))) as tf.Tensor3D; // [K, Hd, C]
    const biases = tf.stack(Array.from({ length: branches }, (_, k) => this.read.vector(`branch_cls.${k}.b`))); // [K, C]
    const perBranch = tf.reshape(tf.matMul(tf.reshape(branchEmbeddings, [branches, 1, hiddenDim]), weights), [branches, nClasses]);
    return tf.add(perBranch, biases) as tf.Tensor2D;
  }

  /** Mean cosine similarity over the pairs of branches' attention rows (0 for one branch). */
  private diversity(attention: tf.Tensor2D): tf.Scalar {
    const k = this.shape.branches;
    if (k === 1) return tf.scalar(0);
    const unit = tf.div(attention, tf.norm(attention, 'euclidean', 1, true));
    // sum over pairs i < j of u_i . u_j = (|sum_i u_i|^2 - K) / 2.
    const total = tf.sum(tf.square(tf.sum(unit, 0)));
    return tf.div(tf.sub(total, k), k * (k - 1)) as tf.Scalar;
  }

  backward(cacheValue: unknown, dLogits: tf.Tensor1D, dScores: tf.Tensor2D): Map<string, tf.Tensor> {
    const c = cacheValue as AcmilCache;
    const { branches: k, hiddenDim, nClasses } = this.shape;
    const n = c.x.shape[0];
    const grads = new Map<string, tf.Tensor>();
    const hT = tf.transpose(c.h); // [Hd, N]

    // Slide classifier on the mean attention: every branch's attention gets 1/K of its gradient.
    const dl = tf.reshape(dLogits, [1, nClasses]) as tf.Tensor2D;
    grads.set('slide_cls.w', tf.matMul(tf.transpose(c.slideEmbedding), dl));
    grads.set('slide_cls.b', dLogits);
    const dSlide = tf.matMul(dl, tf.transpose(this.read.matrix('slide_cls.w'))) as tf.Tensor2D; // [1, Hd]
    let dh = tf.mul(tf.reshape(c.bagAttention, [n, 1]), dSlide) as tf.Tensor2D;
    let dA = tf.div(tf.matMul(dSlide, hT), k) as tf.Tensor2D; // [1, N], broadcast over the branches

    // Branch classifiers (K > 1): branch k's CE reaches its own attention row.
    if (c.dBranchLogits) {
      const weights = tf.stack(Array.from({ length: k }, (_, b) => this.read.matrix(`branch_cls.${b}.w`))) as tf.Tensor3D; // [K, Hd, C]
      const dW = tf.mul(tf.reshape(c.branchEmbeddings, [k, hiddenDim, 1]), tf.reshape(c.dBranchLogits, [k, 1, nClasses])); // [K, Hd, C]
      const dWs = tf.unstack(dW);
      const dBs = tf.unstack(c.dBranchLogits);
      for (let b = 0; b < k; b++) {
        grads.set(`branch_cls.${b}.w`, dWs[b] as tf.Tensor);
        grads.set(`branch_cls.${b}.b`, dBs[b] as tf.Tensor);
      }
      const dE = tf.reshape(tf.matMul(tf.reshape(c.dBranchLogits, [k, 1, nClasses]), tf.transpose(weights, [0, 2, 1])), [k, hiddenDim]) as tf.Tensor2D; // [K, Hd]
      dh = tf.add(dh, tf.matMul(tf.transpose(c.attention), dE)) as tf.Tensor2D;
      dA = tf.add(dA, tf.matMul(dE, hT)) as tf.Tensor2D;
    }
    // With one branch its classifier takes no part in the loss: no gradient, AdamW leaves it as it is.
    if (c.diversity) {
      // Diversity: d/da_i of the mean pairwise cosine = scale / |a_i| (s - (u_i . s) u_i), s = sum_j u_j.
      const norms = tf.norm(c.attention, 'euclidean', 1, true); // [K, 1]
      const unit = tf.div(c.attention, norms);
      const s = tf.sum(unit, 0, true); // [1, N]
      const along = tf.sum(tf.mul(unit, s), 1, true); // [K, 1]
      const dDiv = tf.div(tf.sub(s, tf.mul(along, unit)), norms);
      dA = tf.add(dA, tf.mul(dDiv, 2 / (k * (k - 1)))) as tf.Tensor2D;
    }

    const softmaxBack = tf.mul(c.attention, tf.sub(dA, tf.sum(tf.mul(c.attention, dA), 1, true)));
    let dS = tf.add(softmaxBack, dScores) as tf.Tensor2D; // d / d masked scores, [K, N]
    // A masked score is a constant (masked_fill): nothing flows back to the attention network from it.
    if (c.keep) dS = tf.mul(dS, c.keep);

    const g = gatedAttentionBackward(c.gated, this.attentionWeights(), tf.transpose(dS) as tf.Tensor2D, true);
    grads.set('attn_V.w', g.vW);
    grads.set('attn_V.b', g.vB);
    grads.set('attn_U.w', g.uW);
    grads.set('attn_U.b', g.uB);
    grads.set('attn_w.w', g.wW);
    grads.set('attn_w.b', g.wB);
    dh = tf.add(dh, g.dh);
    if (c.mask) dh = tf.mul(dh, c.mask);
    const dPre = tf.mul(dh, tf.step(c.h));
    grads.set('reduce.w', tf.transpose(tf.matMul(tf.transpose(dPre), c.x)));
    return grads;
  }

  dispose(): void {
    for (const v of this.params.values()) v.dispose();
  }
}
