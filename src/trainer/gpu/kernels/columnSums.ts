// Column sums over row chunks: each workgroup sums a 256-row chunk for 64 columns (four threads a
// column), and the chunk partials are added later by the segment reduce. The attention pooling
// z = sum_n a_n h_n and the gated-attention backward (with its bias and score-weight gradients) are
// both of this shape.
import { STEP_STRUCT, ceilDiv } from '../wgsl.js';

export const CHUNK_ROWS = 256;

export interface ColumnSumSpec {
  bindings: string[];
  columns: number;
  /** How many sums each thread keeps (each written to its own part of the partials row). */
  sums: number;
  /** WGSL run for row n, column col: adds to s0.. s{sums-1} (and may write other outputs). */
  body: string;
  /** WGSL statement storing sum `k` of column `col` for chunk `c` (vars: c, col, k, total). */
  store: string;
}

export function columnSumShader(spec: ColumnSumSpec): string {
  const decl = Array.from({ length: spec.sums }, (_, k) => `var s${k} = 0.0;`).join(' ');
  const park = Array.from({ length: spec.sums }, (_, k) => `part[${k}u * 256u + t] = s${k};`).join(' ');
  return `${STEP_STRUCT}
${spec.bindings.join('\n')}
var<workgroup> part: array<f32, ${256 * spec.sums}>;
@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_index) t: u32) {
  let col = wid.x * 64u + t % 64u;
  let lane = t / 64u;
  let c = wid.y;
  ${decl}
  if (col < ${spec.columns}u) {
    let end = min(u.n, (c + 1u) * ${CHUNK_ROWS}u);
    for (var n = c * ${CHUNK_ROWS}u + lane; n < end; n = n + 4u) {
      ${spec.body}
    }
  }
  ${park}
  workgroupBarrier();
  if (lane == 0u && col < ${spec.columns}u) {
    for (var k = 0u; k < ${spec.sums}u; k = k + 1u) {
      let b = k * 256u + t;
      let total = part[b] + part[b + 64u] + part[b + 128u] + part[b + 192u];
      ${spec.store}
    }
  }
}
`;
}

export const chunksOf = (n: number): number => Math.max(1, ceilDiv(n, CHUNK_ROWS));
export const columnSumGrid = (columns: number, n: number): [number, number] => [ceilDiv(columns, 64), chunksOf(n)];
