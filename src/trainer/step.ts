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
  /** The model's own loss terms by name (MilForward.extraTerms), where it has any. */
  terms?: Record<string, number>;
}

/** total, ce, regulariser and the model's named terms as one tensor, read back at once. */
function packLosses(total: tf.Scalar, ce: tf.Scalar, regulariser: tf.Scalar, extraTerms: Record<string, tf.Scalar> | undefined): { packed: tf.Tensor1D; names: string[] } {
  const names = Object.keys(extraTerms ?? {});
  return { packed: tf.stack([total, ce, regulariser, ...names.map((n) => (extraTerms as Record<string, tf.Scalar>)[n] as tf.Scalar)]) as tf.Tensor1D, names };
}

function unpackLosses(values: ArrayLike<number>, names: string[]): StepLosses {
  const losses: StepLosses = { total: values[0] as number, ce: values[1] as number, regulariser: values[2] as number };
  if (names.length > 0) losses.terms = Object.fromEntries(names.map((n, i) => [n, values[3 + i] as number]));
  return losses;
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
  let names: string[] = [];
  const packed = tf.tidy(() => {
    const fwd = model.forward(x, { training: true, label, ...(random ? { random } : {}) });
    const terms = lossTerms(fwd.logits, fwd.scores, label, objective.nClasses, objective.regulariser, objective.lambda, fwd.extraLoss, fwd.bagLossWeight);
    const grads = model.backward(fwd.cache, terms.dLogits, terms.dScores);
    optimizer.apply(grads, lr);
    const out = packLosses(terms.total, terms.ce, terms.regulariser, fwd.extraTerms);
    names = out.names;
    return out.packed;
  });
  const values = await packed.data();
  packed.dispose();
  return unpackLosses(values, names);
}

export interface BagEvaluation extends StepLosses {
  probs: Float32Array;
  /** Softmax attention, [heads, N] row-major. */
  attention: Float32Array;
  heads: number;
}

export async function evaluateBag(model: MilModel, x: tf.Tensor2D, label: number, objective: Objective): Promise<BagEvaluation> {
  let names: string[] = [];
  const [packed, probs, attention] = tf.tidy(() => {
    const fwd = model.forward(x, { training: false, label });
    const terms = lossTerms(fwd.logits, fwd.scores, label, objective.nClasses, objective.regulariser, objective.lambda, fwd.extraLoss, fwd.bagLossWeight);
    const out = packLosses(terms.total, terms.ce, terms.regulariser, fwd.extraTerms);
    names = out.names;
    return [out.packed, tf.softmax(fwd.logits), tf.softmax(fwd.scores)] as const;
  });
  const result: BagEvaluation = {
    ...unpackLosses(await packed.data(), names),
    probs: new Float32Array(await probs.data()),
    attention: new Float32Array(await attention.data()),
    heads: attention.shape[0] as number,
  };
  tf.dispose([packed, probs, attention]);
  return result;
}
