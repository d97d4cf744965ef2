// One optimisation step on one bag, and one evaluation of one bag.
import * as tf from '@tensorflow/tfjs-core';
import type { AdamW } from './adamw.js';
import { evalLoss } from './evalLoss.js';
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

export async function trainStep(
  model: MilModel,
  optimizer: AdamW,
  x: tf.Tensor2D,
  label: number,
  objective: Objective,
  lr: number,
  random?: () => number,
): Promise<StepLosses> {
  const packed = tf.tidy(() => {
    const fwd = model.forward(x, { training: true, label, ...(random ? { random } : {}) });
    const terms = lossTerms(fwd.logits, fwd.scores, label, objective.nClasses, objective.regulariser, objective.lambda, fwd.extraLoss, fwd.bagLossWeight);
    const grads = model.backward(fwd.cache, terms.dLogits, terms.dScores);
    optimizer.apply(grads, lr);
    return tf.stack([terms.total, terms.ce, terms.regulariser]);
  });
  const [total, ce, regulariser] = await packed.data();
  packed.dispose();
  return { total: total as number, ce: ce as number, regulariser: regulariser as number };
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
  const fwd = tf.tidy(() => {
    const f = model.forward(x, { training: false, label });
    return { logits: f.logits, scores: f.scores, extraLoss: f.extraLoss, bagLossWeight: f.bagLossWeight };
  });
  try {
    const [logits, scores, extra] = await Promise.all([fwd.logits.data(), fwd.scores.data(), fwd.extraLoss?.data()]);
    const heads = fwd.scores.shape[0];
    const r = evalLoss({
      logits,
      scores,
      heads,
      label,
      regulariser: objective.regulariser,
      lambda: objective.lambda,
      ...(extra ? { extraLoss: extra[0] as number } : {}),
      ...(fwd.bagLossWeight !== undefined ? { bagLossWeight: fwd.bagLossWeight } : {}),
    });
    return { ...r, heads };
  } finally {
    tf.dispose([fwd.logits, fwd.scores, ...(fwd.extraLoss ? [fwd.extraLoss] : [])]);
  }
}
