// Selection of the k highest (or lowest) of n values in one 256-thread workgroup, as WGSL to place
// inside a kernel: k rounds of a workgroup arg-max, each over the values that rank after the last one
// picked, in the order (value, then lower index first on a tie), which is torch.topk's and tf.topk's.
// O(k n / 256) reads and no sort; meant for small k (CLAM's kSample). Call from uniform control flow.
import { WG } from '../wgsl.js';

const NONE = '0xffffffffu';

/** Workgroup memory of the selection (declare once per shader). */
export const TOPK_WORKGROUP = `var<workgroup> topkValue: array<f32, ${WG}>;
var<workgroup> topkIndex: array<u32, ${WG}>;`;

export interface TopKSpec {
  /** WGSL name of the values' buffer. */
  values: string;
  /** WGSL u32 expressions: how many values, and how many to pick (at most n). */
  n: string;
  k: string;
  /** Highest first (true) or lowest first. */
  highest: boolean;
  /** WGSL statement storing pick j (vars: j, choice) from thread 0. */
  store: string;
}

/** WGSL statements that pick k indices in rank order (thread index `t`). */
export function topkSelect(spec: TopKSpec): string {
  const beats = spec.highest ? '>' : '<';
  const after = spec.highest ? '<' : '>';
  const better = (s: string, i: string, bs: string, bi: string) => `(${bi} == ${NONE} || ${s} ${beats} ${bs} || (${s} == ${bs} && ${i} < ${bi}))`;
  return `{
    var prevValue = 0.0;
    var prevIndex = ${NONE};
    for (var j = 0u; j < ${spec.k}; j = j + 1u) {
      var bestValue = 0.0;
      var bestIndex = ${NONE};
      for (var i = t; i < ${spec.n}; i = i + ${WG}u) {
        let s = ${spec.values}[i];
        let eligible = prevIndex == ${NONE} || s ${after} prevValue || (s == prevValue && i > prevIndex);
        if (eligible && ${better('s', 'i', 'bestValue', 'bestIndex')}) { bestValue = s; bestIndex = i; }
      }
      topkValue[t] = bestValue;
      topkIndex[t] = bestIndex;
      workgroupBarrier();
      for (var off = ${WG / 2}u; off > 0u; off = off >> 1u) {
        if (t < off) {
          let s = topkValue[t + off];
          let i = topkIndex[t + off];
          if (i != ${NONE} && ${better('s', 'i', 'topkValue[t]', 'topkIndex[t]')}) { topkValue[t] = s; topkIndex[t] = i; }
        }
        workgroupBarrier();
      }
      prevValue = topkValue[0];
      prevIndex = topkIndex[0];
      let choice = prevIndex;
      if (t == 0u) { ${spec.store} }
      workgroupBarrier();
    }
  }`;
}
