// DTFD-MIL (Zhang et al. 2022), as its authors' train_attention_preFeature_DTFD computes it: the bag is
// split at random into pseudo-bags; tier 1 runs gated attention and a classifier on each pseudo-bag
// (loss: mean CE over pseudo-bags); each pseudo-bag is distilled into tier 2's input (AFS: its attention-
// pooled feature; MaxMinS / MaxS: the reduced features of its highest and lowest, or highest, instances by
// the tier-1 classifier's last-class probability); tier 2 is gated attention and the slide classifier.
// Tier 2 learns from its own CE only and tier 1 never sees it (the authors step two optimizers in turn;
// here one AdamW on the sum with tier 2's input detached gives every parameter the same gradient).
// The regulariser and the reported attention are tier 1's: one row per pseudo-bag [G, N], zero outside it.
import * as tf from '@tensorflow/tfjs-core';
import { SeededRandom } from '../../util/seededRandom.js';
import { OUTSIDE_SCORE } from '../lossTerms.js';
import { useAutodiff } from './layers/autodiff.js';
import { linearInit } from './layers/dense.js';
import { gatedAttentionOf, gatedAttentionScores, gatedAttentionShapes, initGatedAttention } from './layers/gatedAttentionAutodiff.js';
import type { ForwardOptions, MilForward, MilModel } from './types.js';
import { paramVariables } from './layers/params.js';

export type Distillation = 'AFS' | 'MaxMinS' | 'MaxS';

export interface DtfdShape {
  inputDim: number;
  /** Width of the reduced features (the authors' mDim). */
  hiddenDim: number;
  attentionDim: number;
  nClasses: number;
  pseudoBags: number;
  distillation: Distillation;
  /** MaxMinS / MaxS: instances taken from each end of a pseudo-bag's ranking (total_instance / numGroup). */
  distilledPerPseudoBag: number;
}

export const DTFD_PARAM_NAMES = [
  'reduce.w',
  't1_attn_V.w',
  't1_attn_V.b',
  't1_attn_U.w',
  't1_attn_U.b',
  't1_attn_w.w',
  't1_attn_w.b',
  't1_cls.w',
  't1_cls.b',
  't2_attn_V.w',
  't2_attn_V.b',
  't2_attn_U.w',
  't2_attn_U.b',
  't2_attn_w.w',
  't2_attn_w.b',
  't2_cls.w',
  't2_cls.b',
] as const;

/** The name of tier 1's CE among the model's own loss terms (a metric of its own). */
export const DTFD_TIER1_TERM = 'tier1';

const SCORE_BIASES = ['t1_attn_w.b', 't2_attn_w.b'] as const;

/** Key of the evaluation pseudo-bags' random stream (see pseudoBagsForEvaluation). */
const EVAL_STREAM = 0x6474_6664;

export function dtfdParamShapes(s: DtfdShape): Record<string, number[]> {
  return {
    'reduce.w': [s.inputDim, s.hiddenDim],
    ...gatedAttentionShapes('t1_attn_', s.hiddenDim, s.attentionDim),
    't1_cls.w': [s.hiddenDim, s.nClasses],
    't1_cls.b': [s.nClasses],
    ...gatedAttentionShapes('t2_attn_', s.hiddenDim, s.attentionDim),
    't2_cls.w': [s.hiddenDim, s.nClasses],
    't2_cls.b': [s.nClasses],
  };
}

/** nn.Linear's initialisation throughout (the reduction has no bias, as the authors' DimReduction). */
export function initDtfdParams(s: DtfdShape, rng: SeededRandom): Map<string, Float32Array> {
  const shapes = dtfdParamShapes(s);
  const out = new Map<string, Float32Array>();
  out.set('reduce.w', linearInit(shapes['reduce.w'] as number[], s.inputDim, rng));
  initGatedAttention('t1_attn_', s.hiddenDim, s.attentionDim, rng, out);
  out.set('t1_cls.w', linearInit(shapes['t1_cls.w'] as number[], s.hiddenDim, rng));
  out.set('t1_cls.b', linearInit(shapes['t1_cls.b'] as number[], s.hiddenDim, rng));
  initGatedAttention('t2_attn_', s.hiddenDim, s.attentionDim, rng, out);
  out.set('t2_cls.w', linearInit(shapes['t2_cls.w'] as number[], s.hiddenDim, rng));
  out.set('t2_cls.b', linearInit(shapes['t2_cls.b'] as number[], s.hiddenDim, rng));
  return new Map(DTFD_PARAM_NAMES.map((n) => [n, out.get(n) as Float32Array]));
}

/** Pseudo-bags a bag of n instances gets: the requested count, or n where the bag is smaller. */
export function pseudoBagCount(n: number, requested: number): number {
  return Math.max(1, Math.min(n, requested));
}

/**
 * The authors' partition: shuffle 0..n-1 (Fisher-Yates, as Python's random.shuffle) and cut it into
 * `count` consecutive parts, the first n mod count one longer (np.array_split).
 */
export function drawPseudoBags(n: number, requested: number, random: () => number): number[][] {
  const order = Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    const t = order[i] as number;
    order[i] = order[j] as number;
    order[j] = t;
  }
  const count = pseudoBagCount(n, requested);
  const base = Math.floor(n / count);
  const longer = n % count;
  const groups: number[][] = [];
  let at = 0;
  for (let g = 0; g < count; g++) {
    const size = base + (g < longer ? 1 : 0);
    groups.push(order.slice(at, at + size));
    at += size;
  }
  return groups;
}

/**
 * The authors evaluate on a fresh random partition too (random.shuffle in test_attention_DTFD_preFeat_
 * MultipleMean, one draw by default); here that draw comes from a stream keyed by the bag size, so a
 * slide's evaluation is the same every epoch, after a resume and on every backend.
 */
export function pseudoBagsForEvaluation(n: number, requested: number): number[][] {
  const rng = SeededRandom.fromKey(EVAL_STREAM, n);
  return drawPseudoBags(n, requested, () => rng.float());
}

interface DtfdCache {
  x: tf.Tensor2D;
  /** [G, N]: 0 inside each pseudo-bag's row, OUTSIDE_SCORE elsewhere (exp gives exactly 0, no NaN). */
  outside: tf.Tensor2D;
  /** Tier 2's input, detached from tier 1. */
  tier2Input: tf.Tensor2D;
  distilled?: number[][];
  label?: number;
}

type Params = (name: string) => tf.Tensor;

export class Dtfd implements MilModel {
  readonly arch = 'dtfd';
  readonly params: ReadonlyMap<string, tf.Variable>;

  constructor(
    readonly shape: DtfdShape,
    initial: ReadonlyMap<string, Float32Array>,
  ) {
    useAutodiff();
    const shapes = dtfdParamShapes(shape);
    const params = paramVariables('DTFD', DTFD_PARAM_NAMES, shapes, initial);
    this.params = params;
  }

  forward(x: tf.Tensor2D, options: ForwardOptions): MilForward {
    const n = x.shape[0];
    let groups: number[][];
    if (options.training) {
      if (!options.random) throw new Error('DTFD: training draws its pseudo-bags from the run\'s random source, and none was given');
      groups = drawPseudoBags(n, this.shape.pseudoBags, options.random);
    } else groups = pseudoBagsForEvaluation(n, this.shape.pseudoBags);
    return this.forwardPseudoBags(x, groups, options.label);
  }

  /** The forward pass on a given partition of the instances (the fixtures give theirs). */
  forwardPseudoBags(x: tf.Tensor2D, groups: number[][], label?: number): MilForward {
    const n = x.shape[0];
    const outsideValues = new Float32Array(groups.length * n).fill(OUTSIDE_SCORE);
    groups.forEach((g, row) => {
      for (const i of g) outsideValues[row * n + i] = 0;
    });
    const outside = tf.tensor2d(outsideValues, [groups.length, n]);
    const p: Params = (name) => this.params.get(name) as tf.Variable;
    const t1 = this.tier1(p, x, outside, label);
    const { input: tier2Input, distilled } = this.distil(p, t1.h, t1.attention, t1.pooled, groups);
    const logits = this.tier2(p, tier2Input);
    const cache: DtfdCache = { x, outside, tier2Input, ...(distilled ? { distilled } : {}), ...(label !== undefined ? { label } : {}) };
    const out: MilForward = { logits, scores: t1.scores, cache };
    if (t1.loss) {
      out.extraTerms = { [DTFD_TIER1_TERM]: t1.loss };
    }
    return out;
  }

  private tier1(p: Params, x: tf.Tensor2D, outside: tf.Tensor2D, label?: number) {
    const h = tf.relu(tf.matMul(x, p('reduce.w') as tf.Tensor2D)) as tf.Tensor2D;
    const s = gatedAttentionScores(h, gatedAttentionOf('t1_attn_', p));
    const scores = tf.add(s, outside) as tf.Tensor2D;
    const attention = tf.softmax(scores) as tf.Tensor2D;
    const pooled = tf.matMul(attention, h) as tf.Tensor2D; // [G, width]
    const logits = tf.add(tf.matMul(pooled, p('t1_cls.w') as tf.Tensor2D), p('t1_cls.b')) as tf.Tensor2D; // [G, C]
    let loss: tf.Scalar | undefined;
    if (label !== undefined) {
      const oneHot = tf.cast(tf.oneHot(tf.fill([logits.shape[0]], label, 'int32') as tf.Tensor1D, this.shape.nClasses), 'float32');
      loss = tf.neg(tf.mean(tf.sum(tf.mul(tf.logSoftmax(logits), oneHot), 1))) as tf.Scalar;
    }
    return { h, scores, attention, pooled, logits, loss };
  }

  /** Tier 2's input rows, computed outside any gradient tape (detached). */
  private distil(p: Params, h: tf.Tensor2D, attention: tf.Tensor2D, pooled: tf.Tensor2D, groups: number[][]): { input: tf.Tensor2D; distilled?: number[][] } {
    const { distillation, distilledPerPseudoBag: k, nClasses } = this.shape;
    if (distillation === 'AFS') return { input: pooled };
    // The instance CAM: each instance's attention-weighted feature through the tier-1 classifier (no bias).
    const perInstance = tf.reshape(tf.sum(attention, 0), [-1, 1]);
    const cam = tf.matMul(tf.mul(perInstance, h) as tf.Tensor2D, p('t1_cls.w') as tf.Tensor2D);
    const lastClass = tf.slice(tf.softmax(cam), [0, nClasses - 1], [-1, 1]).dataSync();
    const picked: number[][] = groups.map((g) => {
      const ranked = g
        .map((i, pos) => ({ i, pos, v: lastClass[i] as number }))
        .sort((a, b) => b.v - a.v || a.pos - b.pos)
        .map((e) => e.i);
      const top = ranked.slice(0, k);
      return distillation === 'MaxS' ? top : [...top, ...ranked.slice(Math.max(0, ranked.length - k))];
    });
    return { input: tf.gather(h, tf.tensor1d(picked.flat(), 'int32')), distilled: picked };
  }

  private tier2(p: Params, input: tf.Tensor2D): tf.Tensor1D {
    const a2 = tf.softmax(gatedAttentionScores(input, gatedAttentionOf('t2_attn_', p))) as tf.Tensor2D;
    const z = tf.matMul(a2, input);
    return tf.reshape(tf.add(tf.matMul(z, p('t2_cls.w') as tf.Tensor2D), p('t2_cls.b')), [-1]) as tf.Tensor1D;
  }

  /** Tier 2's attention over its input rows [1, R] (for the fixtures' values). */
  tier2Attention(cache: unknown): tf.Tensor2D {
    const c = cache as DtfdCache;
    const p: Params = (name) => this.params.get(name) as tf.Variable;
    return tf.softmax(gatedAttentionScores(c.tier2Input, gatedAttentionOf('t2_attn_', p))) as tf.Tensor2D;
  }

  /** Rows of tier 2's input [R, width] (detached). */
  tier2InputOf(cache: unknown): tf.Tensor2D {
    return (cache as DtfdCache).tier2Input;
  }

  /** Which bag instances each pseudo-bag handed to tier 2 (MaxMinS / MaxS), in tier 2's row order. */
  distilledInstances(cache: unknown): number[][] | undefined {
    return (cache as DtfdCache).distilled;
  }

  backward(cacheValue: unknown, dLogits: tf.Tensor1D, dScores: tf.Tensor2D): Map<string, tf.Tensor> {
    const c = cacheValue as DtfdCache;
    const names = [...DTFD_PARAM_NAMES];
    // d total = dLogits . logits + dScores . scores + tier-1 CE, with tier 2's input a constant.
    const objective = (...values: tf.Tensor[]): tf.Scalar => {
      const byName = new Map<string, tf.Tensor>(names.map((n, i) => [n, values[i] as tf.Tensor]));
      const p: Params = (name) => byName.get(name) as tf.Tensor;
      const t1 = this.tier1(p, c.x, c.outside, c.label);
      let total = tf.add(tf.sum(tf.mul(this.tier2(p, c.tier2Input), dLogits)), tf.sum(tf.mul(t1.scores, dScores)));
      if (t1.loss) total = tf.add(total, t1.loss);
      return total as tf.Scalar;
    };
    const grads = tf.grads(objective)(names.map((n) => this.params.get(n) as tf.Variable));
    const out = new Map(names.map((n, i) => [n, grads[i] as tf.Tensor]));
    // A softmax ignores a shift of all its scores, so the score biases' gradients are exactly 0; float32
    // leaves ~1e-9 of rounding that Adam's normalisation would turn into a real step.
    for (const bias of SCORE_BIASES) out.set(bias, tf.zerosLike(this.params.get(bias) as tf.Variable));
    return out;
  }

  dispose(): void {
    for (const v of this.params.values()) v.dispose();
  }
}
