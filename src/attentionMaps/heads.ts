// The attention row to show for a multi-head (or multi-branch / per-class) model: one head, or the
// mean over heads (which is again a distribution, as each row sums to 1).

export type HeadChoice = number | 'mean';

export function attentionRow(attention: ArrayLike<number>, heads: number, n: number, choice: HeadChoice): Float32Array {
  if (choice !== 'mean') {
    if (!Number.isInteger(choice) || choice < 0 || choice >= heads) throw new Error(`head ${choice} does not exist; the model has ${heads}`);
    return Float32Array.from({ length: n }, (_, i) => attention[choice * n + i] as number);
  }
  const row = new Float32Array(n);
  for (let h = 0; h < heads; h++) for (let i = 0; i < n; i++) row[i] = (row[i] as number) + (attention[h * n + i] as number) / heads;
  return row;
}

/** Shannon entropy in nats of each head's row, averaged over heads (as the metrics report it). */
export function meanHeadEntropy(attention: ArrayLike<number>, heads: number, n: number): number {
  let total = 0;
  for (let h = 0; h < heads; h++) {
    let e = 0;
    for (let i = 0; i < n; i++) {
      const a = attention[h * n + i] as number;
      if (a > 0) e -= a * Math.log(a);
    }
    total += e;
  }
  return heads > 0 ? total / heads : 0;
}
