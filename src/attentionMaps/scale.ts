// Maps a slide's attention onto [0, 1] for colouring: raw (0 .. the slide's maximum), per-slide
// percentile (the rank of each value among the slide's values) or log (log10 between the smallest
// positive value and the maximum). The domain it returns labels the legend.
export const SCALE_MODES = ['raw', 'percentile', 'log'] as const;
export type ScaleMode = (typeof SCALE_MODES)[number];

export interface Scaled {
  /** One value in [0, 1] per instance. */
  t: Float32Array;
  /** What t = 0 and t = 1 stand for, in attention (percentile: the values at rank 0 and 100 %). */
  lo: number;
  hi: number;
}

function maxOf(v: ArrayLike<number>): number {
  let m = -Infinity;
  for (let i = 0; i < v.length; i++) if ((v[i] as number) > m) m = v[i] as number;
  return m;
}

export function scaleAttention(values: ArrayLike<number>, mode: ScaleMode): Scaled {
  const n = values.length;
  const t = new Float32Array(n);
  if (n === 0) return { t, lo: 0, hi: 0 };
  const hi = maxOf(values);
  if (mode === 'raw') {
    for (let i = 0; i < n; i++) t[i] = hi > 0 ? Math.max(0, values[i] as number) / hi : 0;
    return { t, lo: 0, hi };
  }
  if (mode === 'log') {
    let lo = Infinity;
    for (let i = 0; i < n; i++) if ((values[i] as number) > 0 && (values[i] as number) < lo) lo = values[i] as number;
    if (!Number.isFinite(lo) || hi <= lo) {
      t.fill(hi > 0 ? 1 : 0);
      return { t, lo: Number.isFinite(lo) ? lo : 0, hi };
    }
    const a = Math.log10(lo);
    const span = Math.log10(hi) - a;
    for (let i = 0; i < n; i++) {
      const v = values[i] as number;
      t[i] = v > 0 ? (Math.log10(v) - a) / span : 0;
    }
    return { t, lo, hi };
  }
  // Percentile: ties share their average rank, so equal attention gets one colour.
  const order = Array.from({ length: n }, (_, i) => i).sort((x, y) => (values[x] as number) - (values[y] as number));
  let i = 0;
  while (i < n) {
    let j = i;
    while (j + 1 < n && values[order[j + 1] as number] === values[order[i] as number]) j++;
    const rank = n === 1 ? 1 : (i + j) / 2 / (n - 1);
    for (let k = i; k <= j; k++) t[order[k] as number] = rank;
    i = j + 1;
  }
  return { t, lo: values[order[0] as number] as number, hi };
}
