// Gated attention (Ilse et al. 2018): scores = (tanh(h V + b_V) * sigmoid(h U + b_U)) w + b_w, one
// column per attention branch, with its backward pass. The V and U branches share one fused matMul, and
// every backward matMul multiplies untransposed operands (wasm's transposed path is 10-25x slower).
import * as tf from '@tensorflow/tfjs-core';
import type { ParamReader } from './params.js';

export interface GatedAttentionWeights {
  /** [H, A] */
  vW: tf.Tensor2D;
  vB: tf.Tensor1D;
  /** [H, A] */
  uW: tf.Tensor2D;
  uB: tf.Tensor1D;
  /** [A, K]: column k scores branch k. */
  wW: tf.Tensor2D;
  wB: tf.Tensor1D;
}

/**
 * The weights of a gated attention stored as `<prefix>.<weight>` / `<prefix>.<bias>` for its V (tanh),
 * U (sigmoid) and w (score) layers; each model keeps its authors' parameter names.
 */
export function gatedAttentionWeightsOf(read: ParamReader, prefixes: { v: string; u: string; w: string }, suffixes: { weight: string; bias: string }): GatedAttentionWeights {
  const w = (layer: string) => read.matrix(`${layer}.${suffixes.weight}`);
  const b = (layer: string) => read.vector(`${layer}.${suffixes.bias}`);
  return { vW: w(prefixes.v), vB: b(prefixes.v), uW: w(prefixes.u), uB: b(prefixes.u), wW: w(prefixes.w), wB: b(prefixes.w) };
}

/** Inverted-dropout masks [N, A] on the tanh and the sigmoid branch (CLAM's gated attention has them). */
export interface GatedAttentionDropout {
  tanh: tf.Tensor2D;
  sigmoid: tf.Tensor2D;
}

export interface GatedAttentionCache {
  h: tf.Tensor2D;
  vu: tf.Tensor2D;
  av: tf.Tensor2D;
  au: tf.Tensor2D;
  g: tf.Tensor2D;
  dropout?: GatedAttentionDropout;
}

export interface GatedAttentionGrads {
  dh: tf.Tensor2D;
  vW: tf.Tensor2D;
  vB: tf.Tensor1D;
  uW: tf.Tensor2D;
  uB: tf.Tensor1D;
  wW: tf.Tensor2D;
  wB: tf.Tensor1D;
}

/** Scores [N, K] of the instances h [N, H]. */
export function gatedAttention(h: tf.Tensor2D, p: GatedAttentionWeights, dropout?: GatedAttentionDropout): { scores: tf.Tensor2D; cache: GatedAttentionCache } {
  const a = p.vW.shape[1];
  const vu = tf.concat([p.vW, p.uW], 1) as tf.Tensor2D;
  const pre = tf.fused.matMul({ a: h, b: vu, bias: tf.concat([p.vB, p.uB], 0) });
  const [preV, preU] = tf.split(pre, [a, a], 1) as [tf.Tensor2D, tf.Tensor2D];
  const av = tf.tanh(preV);
  const au = tf.sigmoid(preU);
  const g = (dropout ? tf.mul(tf.mul(av, dropout.tanh), tf.mul(au, dropout.sigmoid)) : tf.mul(av, au)) as tf.Tensor2D;
  const scores = tf.fused.matMul({ a: g, b: p.wW, bias: p.wB }) as tf.Tensor2D;
  return { scores, cache: { h, vu, av, au, g, ...(dropout ? { dropout } : {}) } };
}

/**
 * Gradients given dScores [N, K]. With `softmaxOverInstances` the scores feed only a softmax over the
 * instances, which ignores a shift of a whole column: the score bias's gradient is then exactly 0
 * (summing dScores in float32 would give ~1e-9 noise that Adam's normalisation turns into a real step).
 */
export function gatedAttentionBackward(c: GatedAttentionCache, p: GatedAttentionWeights, dScores: tf.Tensor2D, softmaxOverInstances: boolean): GatedAttentionGrads {
  const [a, k] = p.wW.shape;
  // K = 1 (ABMIL, CLAM): a broadcast multiply and a column sum instead of two thin matMuls.
  const wW = k === 1 ? tf.reshape(tf.sum(tf.mul(c.g, dScores), 0), [a, 1]) : tf.matMul(tf.transpose(c.g), dScores);
  const wB = softmaxOverInstances ? tf.zeros([k]) : tf.sum(dScores, 0);
  let dav: tf.Tensor2D;
  let dau: tf.Tensor2D;
  const dg = (k === 1 ? tf.mul(dScores, tf.reshape(p.wW, [1, a])) : tf.matMul(dScores, tf.transpose(p.wW))) as tf.Tensor2D;
  if (c.dropout) {
    dav = tf.mul(tf.mul(dg, tf.mul(c.au, c.dropout.sigmoid)), c.dropout.tanh);
    dau = tf.mul(tf.mul(dg, tf.mul(c.av, c.dropout.tanh)), c.dropout.sigmoid);
  } else {
    dav = tf.mul(dg, c.au);
    dau = tf.mul(dg, c.av);
  }
  const dPreV = tf.mul(dav, tf.sub(1, tf.square(c.av)));
  const dPreU = tf.mul(dau, tf.mul(c.au, tf.sub(1, c.au)));
  const dPre = tf.concat([dPreV, dPreU], 1) as tf.Tensor2D; // [N, 2A]
  const dVu = tf.transpose(tf.matMul(tf.transpose(dPre), c.h)) as tf.Tensor2D; // [H, 2A]
  const [vW, uW] = tf.split(dVu, [a, a], 1) as [tf.Tensor2D, tf.Tensor2D];
  const [vB, uB] = tf.split(tf.sum(dPre, 0), [a, a], 0) as [tf.Tensor1D, tf.Tensor1D];
  const dh = tf.matMul(dPre, tf.transpose(c.vu)) as tf.Tensor2D;
  return { dh, vW, vB, uW, uB, wW: wW as tf.Tensor2D, wB: wB as tf.Tensor1D };
}
