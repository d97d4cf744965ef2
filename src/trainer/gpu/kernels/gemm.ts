// Tiled matrix product C = op(A) op(B), 64 x 64 output tiles, 16-deep K slices in workgroup memory,
// 4 x 4 outputs per thread, optional split-K over the third dispatch dimension, and an epilogue the
// caller writes (bias + activation, masks, or a partial-sum store). Operands are read from whole
// buffers at constant element offsets, so parameters can live in one flat buffer.
import { STEP_STRUCT, ceilDiv } from '../wgsl.js';

export const GEMM_TILE = 64;
const BK = 16;
/** Threads of a direct product's workgroup along each output axis. */
const DIRECT = 16;

/**
 * tiled: 64 x 64 outputs a workgroup through workgroup memory; direct: one output a thread, no workgroup
 * memory or barriers, for products with a side under 32 (a 64-wide tile would leave most threads idle,
 * and on CPU drivers such as lavapipe each barrier costs more than the arithmetic).
 */
export type GemmKind = 'tiled' | 'direct';

/** The kind for a product whose fixed sides (the layer widths it involves) are these. */
export function gemmKindFor(...fixedSides: number[]): GemmKind {
  return Math.min(...fixedSides) < 32 ? 'direct' : 'tiled';
}

export interface GemmOperand {
  /** WGSL name of the buffer binding. */
  buffer: string;
  /** Element offset of the matrix in its buffer (a WGSL u32 expression). */
  offset?: string;
  /** Leading dimension: elements between consecutive rows of the stored matrix. */
  ld: string;
  /** The stored matrix is the transpose of the operand. */
  transposed: boolean;
  /** The buffer is array<u32> with two float16 values a word (feature files kept as float16 on the device). */
  packedHalves?: boolean;
}

export interface GemmSpec {
  /** Rows of C, columns of C, and the shared dimension, as WGSL u32 expressions (may read `u.`). */
  m: string;
  n: string;
  k: string;
  a: GemmOperand;
  b: GemmOperand;
  /** Split-K count expression ('1u' for none); slice z covers its part of K. */
  splits?: string;
  /** Storage bindings beyond the uniform: `binding` 1.. with their WGSL declarations. */
  bindings: string[];
  /** WGSL run per output with `row`, `col` (u32) and `v` (f32) in scope, plus `wid`. */
  epilogue: string;
  /** Extra WGSL (helper functions) placed before the kernel. */
  helpers?: string;
  kind?: GemmKind;
}

/** WGSL that sets `val` to element (i, kk) of the operand, i being its row (a) or column (b) in the product. */
function element(op: GemmOperand, i: string, kk: string): string {
  const off = op.offset ? `${op.offset} + ` : '';
  const index = op.transposed ? `${off}(${kk}) * (${op.ld}) + ${i}` : `${off}(${i}) * (${op.ld}) + ${kk}`;
  return op.packedHalves ? `{ let e = ${index}; val = unpack2x16float(${op.buffer}[e >> 1u])[e & 1u]; }` : `val = ${op.buffer}[${index}];`;
}

function directShader(spec: GemmSpec): string {
  // For b, "row i" of the product's right operand is its column: B(kk, col) is stored at kk * ld + col
  // unless transposed; element() takes (i, kk) = (col, kk) and swaps accordingly.
  const b: GemmOperand = { ...spec.b, transposed: !spec.b.transposed };
  return `${STEP_STRUCT}
${spec.bindings.join('\n')}
${spec.helpers ?? ''}
@compute @workgroup_size(${DIRECT}, ${DIRECT})
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(global_invocation_id) gid: vec3u) {
  let M = ${spec.m};
  let NC = ${spec.n};
  let K = ${spec.k};
  let splits = ${spec.splits ?? '1u'};
  let row = gid.y;
  let col = gid.x;
  if (row >= M || col >= NC) { return; }
  let kChunk = (K + splits - 1u) / splits;
  let kBegin = min(K, wid.z * kChunk);
  let kEnd = min(K, kBegin + kChunk);
  var v = 0.0;
  for (var kk = kBegin; kk < kEnd; kk = kk + 1u) {
    var val = 0.0;
    ${element(spec.a, 'row', 'kk')}
    let av = val;
    ${element(b, 'col', 'kk')}
    v = fma(av, val, v);
  }
  ${spec.epilogue}
}
`;
}

function load(op: GemmOperand, tileRows: 'm' | 'n', into: string): string {
  // The tile is stored [BK][64]: element (kk, r) at kk * 64 + r.
  const off = op.offset ? `${op.offset} + ` : '';
  const outer = tileRows === 'm' ? 'row0' : 'col0';
  const limit = tileRows === 'm' ? 'M' : 'NC';
  // Coalesced reads: along K when K is the stored row's contiguous axis, else along the tile's rows.
  const kContiguous = tileRows === 'm' ? !op.transposed : op.transposed;
  const coords = kContiguous ? `let r = idx / ${BK}u; let kk = idx % ${BK}u;` : `let kk = idx / 64u; let r = idx % 64u;`;
  const index = kContiguous ? `${off}(${outer} + r) * (${op.ld}) + k0 + kk` : `${off}(k0 + kk) * (${op.ld}) + ${outer} + r`;
  // unpack2x16float is core WGSL: float16 storage needs no shader-f16 feature.
  const read = op.packedHalves ? `let e = ${index}; val = unpack2x16float(${op.buffer}[e >> 1u])[e & 1u];` : `val = ${op.buffer}[${index}];`;
  return `{
      ${coords}
      var val = 0.0;
      if (${outer} + r < ${limit} && k0 + kk < kEnd) { ${read} }
      ${into}[kk * 64u + r] = val;
    }`;
}

export function gemmShader(spec: GemmSpec): string {
  if (spec.kind === 'direct') return directShader(spec);
  const splits = spec.splits ?? '1u';
  return `${STEP_STRUCT}
${spec.bindings.join('\n')}
var<workgroup> As: array<f32, ${BK * 64}>;
var<workgroup> Bs: array<f32, ${BK * 64}>;
${spec.helpers ?? ''}
@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_index) t: u32) {
  let M = ${spec.m};
  let NC = ${spec.n};
  let K = ${spec.k};
  let splits = ${splits};
  let row0 = wid.y * 64u;
  let col0 = wid.x * 64u;
  let kChunk = ((K + splits - 1u) / splits + ${BK - 1}u) / ${BK}u * ${BK}u;
  let kBegin = min(K, wid.z * kChunk);
  let kEnd = min(K, kBegin + kChunk);
  let tx = t % 16u;
  let ty = t / 16u;
  var acc: array<f32, 16>;
  for (var k0 = kBegin; k0 < kEnd; k0 = k0 + ${BK}u) {
    for (var i = 0u; i < 4u; i = i + 1u) {
      let idx = t + i * 256u;
      ${load(spec.a, 'm', 'As')}
      ${load(spec.b, 'n', 'Bs')}
    }
    workgroupBarrier();
    for (var kk = 0u; kk < ${BK}u; kk = kk + 1u) {
      let a0 = As[kk * 64u + ty]; let a1 = As[kk * 64u + ty + 16u]; let a2 = As[kk * 64u + ty + 32u]; let a3 = As[kk * 64u + ty + 48u];
      let b0 = Bs[kk * 64u + tx]; let b1 = Bs[kk * 64u + tx + 16u]; let b2 = Bs[kk * 64u + tx + 32u]; let b3 = Bs[kk * 64u + tx + 48u];
      acc[0] = fma(a0, b0, acc[0]); acc[1] = fma(a0, b1, acc[1]); acc[2] = fma(a0, b2, acc[2]); acc[3] = fma(a0, b3, acc[3]);
      acc[4] = fma(a1, b0, acc[4]); acc[5] = fma(a1, b1, acc[5]); acc[6] = fma(a1, b2, acc[6]); acc[7] = fma(a1, b3, acc[7]);
      acc[8] = fma(a2, b0, acc[8]); acc[9] = fma(a2, b1, acc[9]); acc[10] = fma(a2, b2, acc[10]); acc[11] = fma(a2, b3, acc[11]);
      acc[12] = fma(a3, b0, acc[12]); acc[13] = fma(a3, b1, acc[13]); acc[14] = fma(a3, b2, acc[14]); acc[15] = fma(a3, b3, acc[15]);
    }
    workgroupBarrier();
  }
  for (var i = 0u; i < 4u; i = i + 1u) {
    for (var j = 0u; j < 4u; j = j + 1u) {
      let row = row0 + ty + 16u * i;
      let col = col0 + tx + 16u * j;
      if (row < M && col < NC) {
        let v = acc[i * 4u + j];
        ${spec.epilogue}
      }
    }
  }
}
`;
}

/** Workgroups of a product with m x n outputs and `splits` K slices. */
export function gemmGrid(m: number, n: number, splits = 1, kind: GemmKind = 'tiled'): [number, number, number] {
  const side = kind === 'direct' ? DIRECT : GEMM_TILE;
  return [ceilDiv(n, side), ceilDiv(m, side), splits];
}
