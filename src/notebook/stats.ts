// Statistics over seeds for the comparison notebooks (and the engine's end-of-experiment table):
// mean, sample standard deviation, Pearson and Spearman correlation and the Wilcoxon signed-rank test.
// Written to agree with numpy / scipy.stats defaults; the tests hold values computed by scipy.

/** Arithmetic mean; NaN for no values. */
export function mean(xs: readonly number[]): number {
  if (xs.length === 0) return Number.NaN;
  let s = 0;
  for (const x of xs) s += x;
  return s / xs.length;
}

/** Sample standard deviation (n - 1 denominator, numpy's ddof=1); 0 for one value, NaN for none. */
export function sampleStd(xs: readonly number[]): number {
  if (xs.length === 0) return Number.NaN;
  if (xs.length === 1) return 0;
  const m = mean(xs);
  let ss = 0;
  for (const x of xs) ss += (x - m) * (x - m);
  return Math.sqrt(ss / (xs.length - 1));
}

/** 1-based ranks; tied values share the average of the ranks they span (scipy's rankdata 'average'). */
export function averageRanks(xs: readonly number[]): number[] {
  const order = xs.map((_, i) => i).sort((a, b) => (xs[a] as number) - (xs[b] as number));
  const ranks = new Array<number>(xs.length).fill(0);
  for (let start = 0; start < order.length; ) {
    let end = start + 1;
    while (end < order.length && xs[order[end] as number] === xs[order[start] as number]) end++;
    const shared = (start + 1 + end) / 2;
    for (let j = start; j < end; j++) ranks[order[j] as number] = shared;
    start = end;
  }
  return ranks;
}

function requirePairs(x: readonly number[], y: readonly number[]): void {
  if (x.length !== y.length) throw new Error(`paired samples differ in length (${x.length} and ${y.length})`);
}

/** Pearson's r; NaN for fewer than two pairs or when either variable is constant. */
export function pearson(x: readonly number[], y: readonly number[]): number {
  requirePairs(x, y);
  if (x.length < 2) return Number.NaN;
  const mx = mean(x);
  const my = mean(y);
  let sxy = 0;
  let sxx = 0;
  let syy = 0;
  for (let i = 0; i < x.length; i++) {
    const dx = (x[i] as number) - mx;
    const dy = (y[i] as number) - my;
    sxy += dx * dy;
    sxx += dx * dx;
    syy += dy * dy;
  }
  if (sxx === 0 || syy === 0) return Number.NaN;
  return Math.max(-1, Math.min(1, sxy / Math.sqrt(sxx * syy)));
}

/** Spearman's rho: Pearson's r of the average ranks (ties handled as scipy does). */
export function spearman(x: readonly number[], y: readonly number[]): number {
  requirePairs(x, y);
  return pearson(averageRanks(x), averageRanks(y));
}

/** erfc(x) for x >= 0: a positive-term series below 3, a continued fraction above (both to ~1e-14). */
function erfcNonNegative(x: number): number {
  if (x < 3) {
    // erf(x) = 2/sqrt(pi) e^{-x^2} sum_n 2^n x^{2n+1} / (1*3*...*(2n+1))
    let term = x;
    let sum = x;
    for (let n = 1; n < 200 && term > sum * 1e-17; n++) {
      term *= (2 * x * x) / (2 * n + 1);
      sum += term;
    }
    return 1 - (2 / Math.sqrt(Math.PI)) * Math.exp(-x * x) * sum;
  }
  // erfc(x) = e^{-x^2}/sqrt(pi) * 1/(x + (1/2)/(x + 1/(x + (3/2)/(x + ...)))), evaluated bottom-up.
  let tail = x;
  for (let k = 60; k >= 1; k--) tail = x + k / 2 / tail;
  return Math.exp(-x * x) / Math.sqrt(Math.PI) / tail;
}

/** P(Z >= z) for a standard normal Z. */
export function normalSurvival(z: number): number {
  const e = erfcNonNegative(Math.abs(z) / Math.SQRT2) / 2;
  return z >= 0 ? e : 1 - e;
}

export interface WilcoxonResult {
  /** min(W+, W-), as scipy reports for a two-sided test. */
  statistic: number;
  /** Sum of the ranks of the positive differences. */
  wPlus: number;
  /** Two-sided p-value; NaN when every difference is zero. */
  pValue: number;
  /** Pairs with a non-zero difference (the ones that are ranked). */
  n: number;
  zeros: number;
  ties: boolean;
  method: 'exact' | 'normal' | 'none';
}

/** Largest sample scipy's 'auto' method tests exactly when there are no ties and no zeros. */
export const WILCOXON_EXACT_MAX_N = 50;
/** Largest sample (zeros included) scipy enumerates every sign flip of when there are ties or zeros. */
export const WILCOXON_ENUMERATE_MAX_N = 13;

/**
 * Distribution of W+ = sum of the ranks that get a + sign when every sign is equally likely, as counts
 * indexed by 2 * W+ (ranks averaged over ties are multiples of 1/2).
 */
function signFlipCounts(ranks: readonly number[]): number[] {
  const weights = ranks.map((r) => Math.round(2 * r));
  const total = weights.reduce((a, b) => a + b, 0);
  let counts = new Array<number>(total + 1).fill(0);
  counts[0] = 1;
  let reach = 0;
  for (const w of weights) {
    const next = counts.slice();
    for (let s = 0; s <= reach; s++) if (counts[s]) next[s + w] = (next[s + w] as number) + (counts[s] as number);
    counts = next;
    reach += w;
  }
  return counts;
}

/**
 * Two-sided Wilcoxon signed-rank test of the paired differences x - y, matching scipy.stats.wilcoxon
 * with its defaults (zero_method='wilcox', correction=False, method='auto'):
 * - zero differences are dropped before ranking (Wilcoxon's method); tied |differences| get average ranks;
 * - without ties or zeros and n <= 50: the exact null distribution of W+;
 * - with ties or zeros and at most 13 pairs (zeros counted): the exact distribution over every sign flip
 *   of the tie-averaged ranks (what scipy's permutation test enumerates);
 * - otherwise the normal approximation with the tie correction of the variance, no continuity correction.
 * The exact p-value is 2 * min(P(W+ <= observed), P(W+ >= observed)), capped at 1.
 */
export function wilcoxonSignedRank(x: readonly number[], y: readonly number[]): WilcoxonResult {
  requirePairs(x, y);
  const all = x.map((v, i) => v - (y[i] as number));
  const d = all.filter((v) => v !== 0);
  const zeros = all.length - d.length;
  const n = d.length;
  const ranks = averageRanks(d.map(Math.abs));
  const ties = new Set(d.map(Math.abs)).size < n;
  let wPlus = 0;
  let wMinus = 0;
  d.forEach((v, i) => {
    if (v > 0) wPlus += ranks[i] as number;
    else wMinus += ranks[i] as number;
  });
  const statistic = Math.min(wPlus, wMinus);
  if (n === 0) return { statistic, wPlus, pValue: Number.NaN, n, zeros, ties, method: 'none' };

  const exact = all.length <= WILCOXON_EXACT_MAX_N && ((!ties && zeros === 0) || all.length <= WILCOXON_ENUMERATE_MAX_N);
  if (exact) {
    const counts = signFlipCounts(ranks);
    const observed = Math.round(2 * wPlus);
    let below = 0;
    let above = 0;
    let total = 0;
    counts.forEach((c, s) => {
      total += c;
      if (s <= observed) below += c;
      if (s >= observed) above += c;
    });
    return { statistic, wPlus, pValue: Math.min(1, (2 * Math.min(below, above)) / total), n, zeros, ties, method: 'exact' };
  }

  const meanW = (n * (n + 1)) / 4;
  const tieGroups = new Map<number, number>();
  for (const v of d) tieGroups.set(Math.abs(v), (tieGroups.get(Math.abs(v)) ?? 0) + 1);
  let tieCorrection = 0;
  for (const t of tieGroups.values()) tieCorrection += t * t * t - t;
  const sd = Math.sqrt((n * (n + 1) * (2 * n + 1) - tieCorrection / 2) / 24);
  const z = (wPlus - meanW) / sd;
  return { statistic, wPlus, pValue: Math.min(1, 2 * normalSurvival(Math.abs(z))), n, zeros, ties, method: 'normal' };
}
