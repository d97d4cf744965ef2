// Debiased exponential moving average, as TensorBoard's scalar smoothing: the running average starts at
// zero and each output is divided by (1 - weight^n), so early points are not pulled towards zero.
// Missing (null or non-finite) values stay missing and do not advance the average.

export class DebiasedEma {
  private last = 0;
  private count = 0;

  constructor(readonly weight: number) {}

  push(value: number | null): number | null {
    if (value === null || !Number.isFinite(value)) return value;
    if (this.weight <= 0) return value;
    this.last = this.last * this.weight + (1 - this.weight) * value;
    this.count++;
    return this.last / (1 - Math.pow(this.weight, this.count));
  }
}

export function smoothSeries(values: readonly (number | null)[], weight: number): (number | null)[] {
  const ema = new DebiasedEma(weight);
  return values.map((v) => ema.push(v));
}
