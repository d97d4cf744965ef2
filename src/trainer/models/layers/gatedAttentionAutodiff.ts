// Gated attention scores (Ilse et al. 2018) from plain differentiable ops, for the models whose backward is
// tfjs autodiff (DTFD-MIL): score = (tanh(h V + b_V) * sigmoid(h U + b_U)) w + b_w. ABMIL, CLAM and ACMIL use
// gatedAttention.ts, whose fused forward has a hand-written backward.
import * as tf from '@tensorflow/tfjs-core';
import type { SeededRandom } from '../../../util/seededRandom.js';
import { linearInit } from './dense.js';

export interface GatedAttentionParams {
  Vw: tf.Tensor2D;
  Vb: tf.Tensor1D;
  Uw: tf.Tensor2D;
  Ub: tf.Tensor1D;
  ww: tf.Tensor2D;
  wb: tf.Tensor1D;
}

/** The parameter names of a gated attention with `prefix` ("t1_attn_" gives t1_attn_V.w, ...). */
export function gatedAttentionNames(prefix: string): [string, string, string, string, string, string] {
  return [`${prefix}V.w`, `${prefix}V.b`, `${prefix}U.w`, `${prefix}U.b`, `${prefix}w.w`, `${prefix}w.b`];
}

export function gatedAttentionShapes(prefix: string, width: number, attention: number): Record<string, number[]> {
  const [Vw, Vb, Uw, Ub, ww, wb] = gatedAttentionNames(prefix);
  return { [Vw]: [width, attention], [Vb]: [attention], [Uw]: [width, attention], [Ub]: [attention], [ww]: [attention, 1], [wb]: [1] };
}

/** nn.Linear's initialisation of each of the three layers. */
export function initGatedAttention(prefix: string, width: number, attention: number, rng: SeededRandom, out: Map<string, Float32Array>): void {
  const shapes = gatedAttentionShapes(prefix, width, attention);
  const [Vw, Vb, Uw, Ub, ww, wb] = gatedAttentionNames(prefix);
  for (const [name, fanIn] of [
    [Vw, width],
    [Vb, width],
    [Uw, width],
    [Ub, width],
    [ww, attention],
    [wb, attention],
  ] as const) {
    out.set(name, linearInit(shapes[name] as number[], fanIn, rng));
  }
}

export function gatedAttentionOf(prefix: string, get: (name: string) => tf.Tensor): GatedAttentionParams {
  const [Vw, Vb, Uw, Ub, ww, wb] = gatedAttentionNames(prefix).map(get);
  return { Vw: Vw as tf.Tensor2D, Vb: Vb as tf.Tensor1D, Uw: Uw as tf.Tensor2D, Ub: Ub as tf.Tensor1D, ww: ww as tf.Tensor2D, wb: wb as tf.Tensor1D };
}

/** Scores [1, N] of the rows of h [N, width]. */
export function gatedAttentionScores(h: tf.Tensor2D, p: GatedAttentionParams): tf.Tensor2D {
  const v = tf.tanh(tf.add(tf.matMul(h, p.Vw), p.Vb));
  const u = tf.sigmoid(tf.add(tf.matMul(h, p.Uw), p.Ub));
  const s = tf.add(tf.matMul(tf.mul(v, u) as tf.Tensor2D, p.ww), p.wb);
  return tf.reshape(s, [1, -1]) as tf.Tensor2D;
}
