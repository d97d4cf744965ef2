// Per-iteration schedules: half-cosine learning-rate decay and Cosine Weight Annealing (CWA) of
// the AEM weight lambda. Both use t = epoch + iter / itersPerEpoch over T = epochs.

export type LambdaSchedule = 'constant' | 'cosine';

/** vMin + (v0 - vMin) * 0.5 * (1 + cos(pi * t / T)); t is clamped to [0, T] so the value never rises again. */
export function halfCosine(v0: number, vMin: number, t: number, T: number): number {
  if (!(T > 0)) throw new RangeError(`halfCosine: T must be > 0, got ${T}`);
  const tc = Math.min(Math.max(t, 0), T);
  return vMin + (v0 - vMin) * 0.5 * (1 + Math.cos((Math.PI * tc) / T));
}

function progress(epoch: number, iter: number, itersPerEpoch: number): number {
  if (!(itersPerEpoch > 0)) throw new RangeError(`itersPerEpoch must be > 0, got ${itersPerEpoch}`);
  return epoch + iter / itersPerEpoch;
}

export function learningRateAt(
  lr0: number,
  minLr: number,
  epoch: number,
  iter: number,
  itersPerEpoch: number,
  epochs: number,
): number {
  return halfCosine(lr0, minLr, progress(epoch, iter, itersPerEpoch), epochs);
}

/** 'constant' keeps lambda0; 'cosine' (CWA) anneals it to 0 by the end of training. */
export function lambdaAt(
  lambda0: number,
  schedule: LambdaSchedule,
  epoch: number,
  iter: number,
  itersPerEpoch: number,
  epochs: number,
): number {
  if (schedule === 'constant') return lambda0;
  return halfCosine(lambda0, 0, progress(epoch, iter, itersPerEpoch), epochs);
}
