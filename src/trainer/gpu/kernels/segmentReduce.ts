// Adds the partial sums of split-K products and row chunks into their places in the flat gradient
// buffer, every segment in one dispatch: dst[offset + i] = sum_p src[p * stride + sourceOffset + i], p < parts.
import { FLAT_GROUP, STEP_STRUCT, ceilDiv, grid1d } from '../wgsl.js';

export interface ReduceSegment {
  /** WGSL name of the partials buffer. */
  source: string;
  count: number;
  /** Elements between consecutive partials, and where this segment starts inside one (default: count, 0). */
  stride?: number;
  sourceOffset?: number;
  /** WGSL u32 expression: how many partials there are this step. */
  parts: string;
  /** Element offset in the gradient buffer, as a function of the index within the segment (WGSL). */
  destination: (i: string) => string;
}

export function segmentReduceShader(bindings: string[], segments: ReduceSegment[]): string {
  let start = 0;
  const branches = segments.map((s) => {
    const begin = start;
    start += s.count;
    return `if (i < ${start}u) {
    let j = i - ${begin}u;
    var total = 0.0;
    for (var p = 0u; p < ${s.parts}; p = p + 1u) { total = total + ${s.source}[p * ${s.stride ?? s.count}u + ${s.sourceOffset ?? 0}u + j]; }
    grads[${s.destination('j')}] = total;
    return;
  }`;
  });
  return `${STEP_STRUCT}
${bindings.join('\n')}
@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_index) t: u32) {
  ${FLAT_GROUP}
  let i = wg * 256u + t;
  ${branches.join('\n  ')}
}
`;
}

export const segmentReduceGrid = (segments: { count: number }[]): [number, number] => grid1d(ceilDiv(segments.reduce((a, s) => a + s.count, 0), 256));
