// WGSL pieces every fused kernel shares: the per-step uniform block, workgroup reductions and the
// mapping of a flat workgroup index onto a 2-D dispatch (one dimension holds at most 65,535 groups).

/** Fields of the per-step uniform, in buffer order (all 4 bytes). */
export const STEP_FIELDS = [
  ['n', 'u32'],
  ['label', 'u32'],
  ['chunks', 'u32'],
  ['splitsX', 'u32'],
  ['splitsH', 'u32'],
  ['train', 'u32'],
  ['slot', 'u32'],
  ['pad0', 'u32'],
  ['lambda', 'f32'],
  ['lr', 'f32'],
  ['decay', 'f32'],
  ['stepSize', 'f32'],
  ['sqrtBc2', 'f32'],
  ['beta1', 'f32'],
  ['beta2', 'f32'],
  ['eps', 'f32'],
] as const;
export type StepField = (typeof STEP_FIELDS)[number][0];
export const STEP_BYTES = STEP_FIELDS.length * 4;

export const STEP_STRUCT = `struct Step {\n${STEP_FIELDS.map(([name, type]) => `  ${name}: ${type},`).join('\n')}\n}\n@group(0) @binding(0) var<uniform> u: Step;\n`;

/** Threads of every 1-D workgroup. */
export const WG = 256;

/** A 256-wide workgroup sum and max (call from uniform control flow: they hold barriers). */
export const WORKGROUP_REDUCE = `
var<workgroup> red: array<f32, ${WG}>;
fn reduceSum(v: f32, t: u32) -> f32 {
  red[t] = v;
  workgroupBarrier();
  for (var off = ${WG / 2}u; off > 0u; off = off >> 1u) {
    if (t < off) { red[t] = red[t] + red[t + off]; }
    workgroupBarrier();
  }
  let r = red[0];
  workgroupBarrier();
  return r;
}
fn reduceMax(v: f32, t: u32) -> f32 {
  red[t] = v;
  workgroupBarrier();
  for (var off = ${WG / 2}u; off > 0u; off = off >> 1u) {
    if (t < off) { red[t] = max(red[t], red[t + off]); }
    workgroupBarrier();
  }
  let r = red[0];
  workgroupBarrier();
  return r;
}
`;

export const MAX_GROUPS_PER_DIM = 65535;

/** Workgroups for `groups` flat indices, laid over x and y. */
export function grid1d(groups: number): [number, number] {
  const g = Math.max(1, groups);
  if (g <= MAX_GROUPS_PER_DIM) return [g, 1];
  const y = Math.ceil(g / MAX_GROUPS_PER_DIM);
  return [Math.ceil(g / y), y];
}

/** The flat workgroup index inside a kernel dispatched with grid1d. */
export const FLAT_GROUP = 'let wg = wid.x + wid.y * nwg.x;';

export const ceilDiv = (a: number, b: number): number => Math.floor((a + b - 1) / b);

/** A WGSL float literal (always with a decimal point). */
export function f32(x: number): string {
  if (!Number.isFinite(x)) throw new Error(`WGSL literal must be finite, got ${x}`);
  const s = String(x);
  return /[.eE]/.test(s) ? s : `${s}.0`;
}
