// The one interface every MIL model implements, so the engine (losses, regularisers, optimiser,
// metrics) never depends on a particular architecture.
import type * as tf from '@tensorflow/tfjs-core';

export interface ForwardOptions {
  training: boolean;
  /** Draws uniform [0, 1) numbers (dropout masks, DTFD's pseudo-bags) from the run's seeded source; given in training. */
  random?: () => number;
  /** The bag's label, for models whose own loss terms need it (DSMIL's max-instance loss). */
  label?: number;
}

export interface MilForward {
  /** Bag logits [C]. */
  logits: tf.Tensor1D;
  /** Attention scores before the softmax, [heads or classes, N]. The regulariser is computed from these. */
  scores: tf.Tensor2D;
  /** Loss terms the model adds itself (for example DSMIL's max-instance loss), already weighted. */
  extraLoss?: tf.Scalar;
  /** The same terms by name (their sum is extraLoss), each reported as a metric of its own. */
  extraTerms?: Record<string, tf.Scalar>;
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
