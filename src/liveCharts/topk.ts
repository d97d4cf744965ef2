// Top-k curves are drawn on a log-k axis, so a few hundred points per curve are plenty: the kept k are
// spread evenly in log k (always including k = 1 and k = K). Curves with fewer points are kept whole.

/** 0-based indices (k - 1) to keep of a curve of length `length`, at most `maxPoints` of them. */
export function logSpacedIndices(length: number, maxPoints: number): number[] {
  if (length <= maxPoints) return Array.from({ length }, (_, i) => i);
  const out: number[] = [];
  const logMax = Math.log(length);
  let previous = -1;
  for (let i = 0; i < maxPoints; i++) {
    const index = Math.round(Math.exp((logMax * i) / (maxPoints - 1))) - 1;
    const next = Math.max(index, previous + 1);
    if (next >= length) break;
    out.push(next);
    previous = next;
  }
  if (out[out.length - 1] !== length - 1) out.push(length - 1);
  return out;
}
