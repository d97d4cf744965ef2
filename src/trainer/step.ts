// One optimisation step on one bag, and one evaluation of one bag.
import * as tf from '@tensorflow/tfjs-core';
import type { AdamW } from './adamw.js';
import { evalLoss } from './evalLoss.js';
import { lossTerms, type LossTerms, type Regulariser } from './lossTerms.js';
import type { MilModel } from './models/types.js';

export interface Objective {
  nClasses: number;
  regulariser: Regulariser;
  lambda: number;
}

export interface StepLosses {
  total: number;
  ce: number;
  regulariser: number;
  /** The model's own loss terms by name (MilForward.extraTerms); empty for models without any. */
  terms: Record<string, number>;
}

/** The losses as one tensor, so that one read brings them all back: total, ce, regulariser, then the terms. */
function packLosses(terms: LossTerms, extra: Readonly<Record<string, tf.Scalar>> | undefined): { packed: tf.Tensor1D; names: string[] } {
  const names = Object.keys(extra ?? {});
  const packed = tf.stack([terms.total, terms.ce, terms.regulariser, ...names.map((n) => (extra as Record<string, tf.Scalar>)[n] as tf.Scalar)]) as tf.Tensor1D;
  return { packed, names };
}

function unpackLosses(values: ArrayLike<number>, names: readonly string[]): StepLosses {
  return {
    total: values[0] as number,
    ce: values[1] as number,
    regulariser: values[2] as number,
    terms: Object.fromEntries(names.map((n, i) => [n, values[3 + i] as number])),
  };
}

export interface TrainStepResult extends StepLosses {
  /** The bag's attention entropy H / log N, mean over heads (or classes); null for one instance (log N = 0). */
  entropyNormalised: number | null;
}

/** Mean over rows of the softmax entropy of each row of scores [heads, N], in nats. */
function meanEntropy(scores: tf.Tensor2D): tf.Scalar {
  const logA = tf.logSoftmax(scores);
  return tf.neg(tf.mean(tf.sum(tf.mul(tf.exp(logA), logA), 1))) as tf.Scalar;
}

export async function trainStep(
  model: MilModel,
  optimizer: AdamW,
  x: tf.Tensor2D,
  label: number,
  objective: Objective,
  lr: number,
  random?: () => number,
): Promise<TrainStepResult> {
  const n = x.shape[0];
  let names: string[] = [];  const packed = tf.tidy(() => {
    const fwd = model.forward(x, { training: true, label, ...(random ? { random } : {}) });
    const terms = lossTerms(fwd.logits, fwd.scores, label, objective.nClasses, objective.regulariser, objective.lambda, fwd.extraTerms, fwd.bagLossWeight);
    const grads = model.backward(fwd.cache, terms.dLogits, terms.dScores);
    optimizer.apply(grads, lr);
    const losses = packLosses(terms, fwd.extraTerms);
    names = losses.names;
    // The bag's entropy first (automatic lambda reads it), then the losses: one read brings all back.
    return tf.concat([tf.reshape(meanEntropy(fwd.scores), [1]), losses.packed]);
  });
  const values = (await packed.data()) as Float32Array;
  packed.dispose();
  const entropy = values[0] as number;
  return { ...unpackLosses(values.subarray(1), names), entropyNormalised: n > 1 ? entropy / Math.log(n) : null };
}

export interface BagEvaluation extends StepLosses {
  probs: Float32Array;
  /** Softmax attention, [heads, N] row-major. */
  attention: Float32Array;
  heads: number;
}

export async function evaluateBag(model: MilModel, x: tf.Tensor2D, label: number, objective: Objective): Promise<BagEvaluation> {
  // Only the forward pass runs as tfjs kernels; the losses, probabilities and attention the metrics need
  // are computed from its logits and scores on the host (evalLoss.ts).
  const names: string[] = [];
  const fwd = tf.tidy(() => {
    const f = model.forward(x, { training: false, label });
    names.push(...Object.keys(f.extraTerms ?? {}));
    const extra = names.length > 0 ? tf.stack(names.map((n) => (f.extraTerms as Record<string, tf.Scalar>)[n] as tf.Scalar)) : undefined;
    return { logits: f.logits, scores: f.scores, extra, bagLossWeight: f.bagLossWeight };
  });
  try {
    const [logits, scores, extra] = await Promise.all([fwd.logits.data(), fwd.scores.data(), fwd.extra?.data()]);
    const heads = fwd.scores.shape[0];
    const terms = Object.fromEntries(names.map((n, i) => [n, (extra as ArrayLike<number>)[i] as number]));
    const r = evalLoss({
      logits,
      scores,
      heads,
      label,
      regulariser: objective.regulariser,
      lambda: objective.lambda,
      extraTerms: terms,
      ...(fwd.bagLossWeight !== undefined ? { bagLossWeight: fwd.bagLossWeight } : {}),
    });
    return { ...r, terms, heads };
  } finally {
    tf.dispose([fwd.logits, fwd.scores, ...(fwd.extra ? [fwd.extra] : [])]);
  }
}
