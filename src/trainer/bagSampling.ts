// Which instances of a training bag one step sees: the subsampling augmentation (train.subsample, a
// fraction of the bag drawn afresh at every step, as the AEM authors' main.py does) and then the
// train.maxInstances cap. Evaluation never calls this: val and test bags are always whole.
import type { TrainConfig } from '../config/schema.js';
import type { SeededRandom } from '../util/seededRandom.js';

export type BagSampling = Pick<TrainConfig, 'subsample' | 'maxInstances'>;

/** How many of a bag's n instances one training step draws: max(1, floor(subsample * n)), then at most maxInstances. */
export function instancesDrawn(n: number, sampling: BagSampling): number {
  let count = n;
  if (sampling.subsample !== undefined) count = Math.max(1, Math.floor(sampling.subsample * n + 1e-9)); // 0.29 * 100 is 28.999999999999996 in floats
  if (sampling.maxInstances !== undefined) count = Math.min(count, sampling.maxInstances);
  return Math.min(count, n);
}

/**
 * The rows of one training step, increasing, drawn from the run's random source; undefined when the step
 * takes the whole bag (then nothing is drawn, so a run without subsampling keeps its random stream).
 */
export function trainingRows(n: number, sampling: BagSampling, rng: SeededRandom): Int32Array | undefined {
  const count = instancesDrawn(n, sampling);
  return count < n ? rng.sampleIndices(n, count) : undefined;
}
