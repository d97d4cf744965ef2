// One value per row of an N-row matrix: out[r] = sum_j element(r, j) (+ a constant term), four rows a
// workgroup with 64 threads each. Attention scores and the attention gradient are both of this form.
import { FLAT_GROUP, STEP_STRUCT, WORKGROUP_REDUCE, ceilDiv, grid1d } from '../wgsl.js';

export interface RowReduceSpec {
  bindings: string[];
  /** Number of terms per row (a constant). */
  width: number;
  /** WGSL f32 expression of term j of row r. */
  element: string;
  /** WGSL statement writing `total` for row r. */
  write: string;
}

export const ROWS_PER_GROUP = 4;

export function rowReduceShader(spec: RowReduceSpec): string {
  return `${STEP_STRUCT}
${spec.bindings.join('\n')}
${WORKGROUP_REDUCE}
@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_index) t: u32) {
  ${FLAT_GROUP}
  let r = wg * ${ROWS_PER_GROUP}u + t / 64u;
  let lane = t % 64u;
  var s = 0.0;
  if (r < u.n) {
    for (var j = lane; j < ${spec.width}u; j = j + 64u) { s = s + ${spec.element}; }
  }
  red[t] = s;
  workgroupBarrier();
  for (var off = 32u; off > 0u; off = off >> 1u) {
    if (lane < off) { red[t] = red[t] + red[t + off]; }
    workgroupBarrier();
  }
  if (lane == 0u && r < u.n) {
    let total = red[t];
    ${spec.write}
  }
}
`;
}

export const rowReduceGrid = (n: number): [number, number] => grid1d(ceilDiv(n, ROWS_PER_GROUP));
