// The one seeded random source of the project. In training every random choice (initial weights, epoch
// order, instance sampling, dropout) comes from one stream, serialisable so a checkpoint resumes it
// exactly; the synthetic generator keys independent streams by (seed, ids) so a slide's content does not
// depend on the order slides are generated in.
import { xoroshiro128plus, xoroshiro128plusFromState } from 'pure-rand/generator/xoroshiro128plus';
import { uniformFloat64 } from 'pure-rand/distribution/uniformFloat64';
import { uniformInt } from 'pure-rand/distribution/uniformInt';
import type { JumpableRandomGenerator } from 'pure-rand/types/JumpableRandomGenerator';

const TWO_POW_32 = 4294967296;

/** murmur3's 32-bit finaliser: spreads nearby keys over the whole state space. */
function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h | 0;
}

export class SeededRandom {
  /** Second value of the last Box-Muller pair, not yet used. */
  private spare: number | undefined;

  private constructor(private readonly gen: JumpableRandomGenerator) {}

  static fromSeed(seed: number): SeededRandom {
    return new SeededRandom(xoroshiro128plus(seed));
  }

  /** An independent stream for (seed, ...ids). */
  static fromKey(seed: number, ...ids: number[]): SeededRandom {
    let h = fmix32(seed ^ 0x9e3779b9);
    for (const id of ids) h = fmix32(h ^ Math.imul(id + 1, 0x9e3779b1));
    const state = [fmix32(h ^ 1), fmix32(h ^ 2), fmix32(h ^ 3), fmix32(h ^ 4)];
    if (!state.some((s) => s !== 0)) state[0] = 1;
    return new SeededRandom(xoroshiro128plusFromState(state));
  }

  static fromState(state: readonly number[]): SeededRandom {
    const rng = new SeededRandom(xoroshiro128plusFromState(state.slice(0, 4)));
    if (state[4] === 1) rng.spare = state[5];
    return rng;
  }

  /** The generator's state and any pending normal value: fromState(state()) continues the same stream. */
  state(): number[] {
    return [...this.gen.getState(), this.spare === undefined ? 0 : 1, this.spare ?? 0];
  }

  /** Uniform in [0, 1), 53 random bits. */
  float(): number {
    return uniformFloat64(this.gen);
  }

  /** Uniform in [0, 1), 32 random bits: half the cost of float(), for bulk data generation. */
  float32(): number {
    return (this.gen.next() >>> 0) / TWO_POW_32;
  }

  /** Uniform integer in [from, to], both included. */
  int(from: number, to: number): number {
    return uniformInt(this.gen, from, to);
  }

  /** Standard normal (Box-Muller on 32-bit uniforms, both values of each pair used). */
  normal(): number {
    if (this.spare !== undefined) {
      const s = this.spare;
      this.spare = undefined;
      return s;
    }
    const u1 = ((this.gen.next() >>> 0) + 1) / (TWO_POW_32 + 1);
    const u2 = this.float32();
    const r = Math.sqrt(-2 * Math.log(u1));
    this.spare = r * Math.sin(2 * Math.PI * u2);
    return r * Math.cos(2 * Math.PI * u2);
  }

  /** Fills `out` with independent N(0, 1) values. */
  fillNormal(out: Float32Array | Float64Array): void {
    for (let i = 0; i < out.length; i++) out[i] = this.normal();
  }

  logUniform(lo: number, hi: number): number {
    return Math.exp(Math.log(lo) + this.float32() * (Math.log(hi) - Math.log(lo)));
  }

  /** Index drawn from non-negative weights whose running sums are given. */
  pickCumulative(cumulative: Float64Array): number {
    const total = cumulative[cumulative.length - 1] ?? 0;
    const u = this.float32() * total;
    let lo = 0;
    let hi = cumulative.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if ((cumulative[mid] ?? 0) > u) hi = mid;
      else lo = mid + 1;
    }
    return lo;
  }

  /** Fisher-Yates shuffle in place. */
  shuffle<T>(items: T[]): T[] {
    for (let i = items.length - 1; i > 0; i--) {
      const j = this.int(0, i);
      const tmp = items[i] as T;
      items[i] = items[j] as T;
      items[j] = tmp;
    }
    return items;
  }

  /** `count` distinct indices from [0, n), in increasing order. */
  sampleIndices(n: number, count: number): Int32Array {
    const pool = Array.from({ length: n }, (_, i) => i);
    for (let i = 0; i < count; i++) {
      const j = this.int(i, n - 1);
      const tmp = pool[i] as number;
      pool[i] = pool[j] as number;
      pool[j] = tmp;
    }
    return Int32Array.from(pool.slice(0, count)).sort();
  }
}
