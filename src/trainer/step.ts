// One optimisation step on one bag, and one evaluation of one bag.
import * as tf from '@tensorflow/tfjs-core';
import type { AdamW } from './adamw.js';
import { lossTerms, type RegulariserKind } from './lossTerms.js';
import type { MilModel } from './models/types.js';

export interface Objective {
  nClasses: number;
  regulariser: RegulariserKind;
  lambda: number;
}

export interface StepLosses {
  total: number;
  ce: number;
  regulariser: number;
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
  const packed = tf.tidy(() => {
    const fwd = model.forward(x, { training: true, label, ...(random ? { random } : {}) });
    const terms = lossTerms(fwd.logits, fwd.scores, label, objective.nClasses, objective.regulariser, objective.lambda, fwd.extraLoss, fwd.bagLossWeight);
    const grads = model.backward(fwd.cache, terms.dLogits, terms.dScores);
    optimizer.apply(grads, lr);
    return tf.stack([terms.total, terms.ce, terms.regulariser, meanEntropy(fwd.scores)]);
  });
  const [total, ce, regulariser, entropy] = await packed.data();
  packed.dispose();
  return { total: total as number, ce: ce as number, regulariser: regulariser as number, entropyNormalised: n > 1 ? (entropy as number) / Math.log(n) : null };
}

export interface BagEvaluation extends StepLosses {
  probs: Float32Array;
  /** Softmax attention, [heads, N] row-major. */
  attention: Float32Array;
  heads: number;
}

export async function evaluateBag(model: MilModel, x: tf.Tensor2D, label: number, objective: Objective): Promise<BagEvaluation> {
  const [packed, probs, attention] = tf.tidy(() => {
    const fwd = model.forward(x, { training: false, label });
    const terms = lossTerms(fwd.logits, fwd.scores, label, objective.nClasses, objective.regulariser, objective.lambda, fwd.extraLoss, fwd.bagLossWeight);
    return [tf.stack([terms.total, terms.ce, terms.regulariser]), tf.softmax(fwd.logits), tf.softmax(fwd.scores)] as const;
  });
  const [total, ce, regulariser] = await packed.data();
  const result: BagEvaluation = {
    total: total as number,
    ce: ce as number,
    regulariser: regulariser as number,
    probs: new Float32Array(await probs.data()),
    attention: new Float32Array(await attention.data()),
    heads: attention.shape[0] as number,
  };
  tf.dispose([packed, probs, attention]);
  return result;
}
