// The k patches with the most attention, each with its share and the cumulative share of the top
// patches up to it, and every patch's rank (1 = most attention) for the hover readout.

export interface TopPatch {
  index: number;
  attention: number;
  /** Sum of the attention of this patch and every patch ranked above it. */
  cumulative: number;
}

/** Instance indices from most to least attention (ties by index, so the order is deterministic). */
export function attentionOrder(values: ArrayLike<number>): Int32Array {
  const order = Int32Array.from({ length: values.length }, (_, i) => i);
  order.sort((a, b) => (values[b] as number) - (values[a] as number) || a - b);
  return order;
}

export function topPatches(values: ArrayLike<number>, k: number, order = attentionOrder(values)): TopPatch[] {
  const out: TopPatch[] = [];
  let cumulative = 0;
  for (let r = 0; r < Math.min(k, order.length); r++) {
    const index = order[r] as number;
    cumulative += values[index] as number;
    out.push({ index, attention: values[index] as number, cumulative });
  }
  return out;
}

/** rank[i] = 1-based rank of instance i. */
export function ranksOf(order: Int32Array): Int32Array {
  const rank = new Int32Array(order.length);
  for (let r = 0; r < order.length; r++) rank[order[r] as number] = r + 1;
  return rank;
}
