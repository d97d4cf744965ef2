// The one interface every MIL model implements, so the engine (losses, regularisers, optimiser,
// metrics) never depends on a particular architecture.
import type * as tf from '@tensorflow/tfjs-core';

export interface ForwardOptions {
  training: boolean;
  /**
   * The run's seeded random source, uniform [0, 1), in training: dropout masks and a model's own random
   * choices (ACMIL's instance masking). Never given at evaluation, where a model draws nothing.
   */
  random?: () => number;
  /** The bag's label, for models whose own loss terms need it (DSMIL's max-instance loss). */
  label?: number;
}

export interface MilForward {
  /** Bag logits [C]. */
  logits: tf.Tensor1D;
  /** Attention scores before the softmax, [heads or classes, N]. The regulariser is computed from these. */
  scores: tf.Tensor2D;
  /**
   * Loss terms the model adds itself, by name, already weighted (DSMIL's `maxInstance`, CLAM's `instance`,
   * ACMIL's `branches` and `diversity`): the loss is their sum plus the weighted bag CE plus lambda times
   * the regulariser, and each is a metric of its own (metrics.jsonl's `terms`).
   */
  extraTerms?: Readonly<Record<string, tf.Scalar>>;
  /** Weight of the bag cross-entropy in the loss (default 1; DSMIL's is 0.5). */
  bagLossWeight?: number;
  /** Intermediate values `backward` needs; opaque to the engine. */
  cache: unknown;
}

export interface MilModel {
  readonly arch: string;
  /** Trainable parameters, in a fixed order (the order of checkpoints and optimiser state). */
  readonly params: ReadonlyMap<string, tf.Variable>;
  forward(x: tf.Tensor2D, options: ForwardOptions): MilForward;
  /**
   * Gradients of the loss with respect to every parameter, given the loss's gradient with respect to
   * the logits and to the attention scores; the model adds the gradients of its own extra loss terms.
   * A parameter the loss does not depend on in this step (an unused instance classifier) has no entry:
   * the optimiser leaves it untouched, as PyTorch does with a None gradient.
   */
  backward(cache: unknown, dLogits: tf.Tensor1D, dScores: tf.Tensor2D): Map<string, tf.Tensor>;
  dispose(): void;
}

export interface ModelShape {
  inputDim: number;
  hiddenDim: number;
  attentionDim: number;
  nClasses: number;
  dropout: number;
}
