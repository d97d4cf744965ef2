// Seeded random streams for the synthetic generator. Each stream is keyed by (seed, ...ids), so a slide's
// content does not depend on the order slides are generated in.
import { xoroshiro128plusFromState } from 'pure-rand/generator/xoroshiro128plus';
import type { RandomGenerator } from 'pure-rand/types/RandomGenerator';

const TWO_POW_32 = 4294967296;

/** murmur3's 32-bit finaliser: spreads nearby seeds over the whole state space. */
function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h | 0;
}

export class Rng {
  private readonly gen: RandomGenerator;
  private spare: number | undefined;

  constructor(seed: number, ...ids: number[]) {
    let h = fmix32(seed ^ 0x9e3779b9);
    for (const id of ids) h = fmix32(h ^ Math.imul(id + 1, 0x9e3779b1));
    const state: number[] = [fmix32(h ^ 1), fmix32(h ^ 2), fmix32(h ^ 3), fmix32(h ^ 4)];
    if (!state.some((s) => s !== 0)) state[0] = 1;
    this.gen = xoroshiro128plusFromState(state);
  }

  /** Uniform in [0, 1). */
  uniform(): number {
    return (this.gen.next() >>> 0) / TWO_POW_32;
  }

  /** Standard normal (Box-Muller, both values used). */
  normal(): number {
    if (this.spare !== undefined) {
      const s = this.spare;
      this.spare = undefined;
      return s;
    }
    const u1 = ((this.gen.next() >>> 0) + 1) / (TWO_POW_32 + 1);
    const u2 = (this.gen.next() >>> 0) / TWO_POW_32;
    const r = Math.sqrt(-2 * Math.log(u1));
    this.spare = r * Math.sin(2 * Math.PI * u2);
    return r * Math.cos(2 * Math.PI * u2);
  }

  /** Integer in [lo, hi], both included. */
  int(lo: number, hi: number): number {
    return lo + Math.min(hi - lo, Math.floor(this.uniform() * (hi - lo + 1)));
  }

  logUniform(lo: number, hi: number): number {
    return Math.exp(Math.log(lo) + this.uniform() * (Math.log(hi) - Math.log(lo)));
  }

  /** In-place Fisher-Yates shuffle. */
  shuffle<T>(items: T[]): T[] {
    for (let i = items.length - 1; i > 0; i--) {
      const j = this.int(0, i);
      const a = items[i] as T;
      items[i] = items[j] as T;
      items[j] = a;
    }
    return items;
  }

  /** Index drawn from non-negative weights whose running sums are given. */
  pickCumulative(cumulative: Float64Array): number {
    const total = cumulative[cumulative.length - 1] ?? 0;
    const u = this.uniform() * total;
    let lo = 0;
    let hi = cumulative.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if ((cumulative[mid] ?? 0) > u) hi = mid;
      else lo = mid + 1;
    }
    return lo;
  }

  /** Fills `out` with independent N(0, 1) values. */
  fillNormal(out: Float32Array | Float64Array): void {
    for (let i = 0; i < out.length; i++) out[i] = this.normal();
  }
}
