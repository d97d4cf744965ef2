// AdamW over one flat parameter buffer, one thread a parameter, exactly as torch.optim.AdamW
// (amsgrad off): p *= 1 - lr wd; m = b1 m + (1 - b1) g; v = b2 v + (1 - b2) g^2;
// p -= lr / (1 - b1^t) * m / (sqrt(v) / sqrt(1 - b2^t) + eps). The scalars come per step in `u`.
import { FLAT_GROUP, STEP_STRUCT, ceilDiv, grid1d } from '../wgsl.js';

export function adamwShader(count: number): string {
  return `${STEP_STRUCT}
@group(0) @binding(1) var<storage, read_write> params: array<f32>;
@group(0) @binding(2) var<storage, read> grads: array<f32>;
@group(0) @binding(3) var<storage, read_write> m1: array<f32>;
@group(0) @binding(4) var<storage, read_write> m2: array<f32>;
@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_index) t: u32) {
  ${FLAT_GROUP}
  let i = wg * 256u + t;
  if (i >= ${count}u) { return; }
  let g = grads[i];
  let m = u.beta1 * m1[i] + (1.0 - u.beta1) * g;
  let v = u.beta2 * m2[i] + (1.0 - u.beta2) * g * g;
  m1[i] = m;
  m2[i] = v;
  params[i] = params[i] * u.decay - u.stepSize * (m / (sqrt(v) / u.sqrtBc2 + u.eps));
}
`;
}

export const adamwGrid = (count: number): [number, number] => grid1d(ceilDiv(count, 256));
