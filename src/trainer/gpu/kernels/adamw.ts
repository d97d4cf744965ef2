// AdamW over one flat parameter buffer, one thread a parameter, exactly as torch.optim.AdamW
// (amsgrad off): p *= 1 - lr wd; m = b1 m + (1 - b1) g; v = b2 v + (1 - b2) g^2;
// p -= lr / (1 - b1^t) * m / (sqrt(v) / sqrt(1 - b2^t) + eps). The scalars come per step in `u`.
// With groups (runs of the buffer a step may leave without a gradient, as CLAM's unused instance
// classifiers), each group's own scalars come from a small storage buffer instead, 4 floats a group
// (stepped 0 / 1, decay, step size, sqrt(1 - b2^t)) with t the group's own step count, and a group not
// stepped is left as it is, as torch skips a parameter whose grad is None.
import { FLAT_GROUP, STEP_STRUCT, ceilDiv, grid1d } from '../wgsl.js';

/** Floats of one group's per-step scalars. */
export const ADAMW_GROUP_FLOATS = 4;

export function adamwShader(count: number, groups?: readonly { start: number; end: number }[]): string {
  const grouped = groups !== undefined && groups.length > 1;
  const scalars = grouped
    ? `var g0 = 0u;
  ${groups.slice(1).map((g, k) => `if (i >= ${g.start}u) { g0 = ${k + 1}u; }`).join('\n  ')}
  let o = g0 * ${ADAMW_GROUP_FLOATS}u;
  if (groupSteps[o] == 0.0) { return; }
  let decay = groupSteps[o + 1u];
  let stepSize = groupSteps[o + 2u];
  let sqrtBc2 = groupSteps[o + 3u];`
    : `let decay = u.decay;
  let stepSize = u.stepSize;
  let sqrtBc2 = u.sqrtBc2;`;
  if (grouped) groups.forEach((g, k) => {
    if (k > 0 && g.start < (groups[k - 1] as { end: number }).end) throw new Error('AdamW groups must be in buffer order');
  });
  return `${STEP_STRUCT}
@group(0) @binding(1) var<storage, read_write> params: array<f32>;
@group(0) @binding(2) var<storage, read> grads: array<f32>;
@group(0) @binding(3) var<storage, read_write> m1: array<f32>;
@group(0) @binding(4) var<storage, read_write> m2: array<f32>;
${grouped ? '@group(0) @binding(5) var<storage, read> groupSteps: array<f32>;' : ''}
@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_index) t: u32) {
  ${FLAT_GROUP}
  let i = wg * 256u + t;
  if (i >= ${count}u) { return; }
  ${scalars}
  let g = grads[i];
  let m = u.beta1 * m1[i] + (1.0 - u.beta1) * g;
  let v = u.beta2 * m2[i] + (1.0 - u.beta2) * g * g;
  m1[i] = m;
  m2[i] = v;
  params[i] = params[i] * decay - stepSize * (m / (sqrt(v) / sqrtBc2 + u.eps));
}
`;
}

export const adamwGrid = (count: number): [number, number] => grid1d(ceilDiv(count, 256));
