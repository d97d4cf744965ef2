// Softmax over the N instances of a bag with its regularisers in the same single-workgroup pass, and
// the backward pass through the softmax (the attention pooling's and the regulariser's gradients).
// stats: [0] sum a log a (negative entropy), [1] KL(U || a) = -log N - mean log a, [2] log Z.
import type { RegulariserKind } from '../../lossTerms.js';
import { STEP_STRUCT, WORKGROUP_REDUCE } from '../wgsl.js';

export function softmaxForwardShader(): string {
  return `${STEP_STRUCT}
@group(0) @binding(1) var<storage, read> scores: array<f32>;
@group(0) @binding(2) var<storage, read_write> attention: array<f32>;
@group(0) @binding(3) var<storage, read_write> stats: array<f32>;
${WORKGROUP_REDUCE}
@compute @workgroup_size(256)
fn main(@builtin(local_invocation_index) t: u32) {
  let n = u.n;
  var m = -3.0e38;
  for (var i = t; i < n; i = i + 256u) { m = max(m, scores[i]); }
  let mx = reduceMax(m, t);
  var se = 0.0;
  var sed = 0.0;
  for (var i = t; i < n; i = i + 256u) {
    let d = scores[i] - mx;
    let e = exp(d);
    se = se + e;
    sed = sed + e * d;
  }
  let sumExp = reduceSum(se, t);
  let sumExpD = reduceSum(sed, t);
  let logS = log(sumExp);
  let logZ = mx + logS;
  var sl = 0.0;
  for (var i = t; i < n; i = i + 256u) {
    let la = scores[i] - logZ;
    attention[i] = exp(la);
    sl = sl + la;
  }
  let sumLog = reduceSum(sl, t);
  if (t == 0u) {
    stats[0] = sumExpD / sumExp - logS;
    stats[1] = -log(f32(n)) - sumLog / f32(n);
    stats[2] = logZ;
  }
}
`;
}

/** The regulariser's gradient with respect to score i (before lambda), as WGSL. */
function regulariserGrad(kind: RegulariserKind): string {
  switch (kind) {
    case 'entropy':
      // d/ds_i sum_j a_j log a_j = a_i (log a_i - sum_j a_j log a_j)
      return 'a * (scores[i] - stats[2] - stats[0])';
    case 'kl':
      return 'a - 1.0 / f32(n)';
    case 'none':
      return '0.0';
  }
}

/** grad[i] holds d loss / d a_i on entry (from the pooling) and d loss / d s_i on exit. */
export function softmaxBackwardShader(kind: RegulariserKind): string {
  return `${STEP_STRUCT}
@group(0) @binding(1) var<storage, read> scores: array<f32>;
@group(0) @binding(2) var<storage, read> attention: array<f32>;
@group(0) @binding(3) var<storage, read> stats: array<f32>;
@group(0) @binding(4) var<storage, read_write> grad: array<f32>;
${WORKGROUP_REDUCE}
@compute @workgroup_size(256)
fn main(@builtin(local_invocation_index) t: u32) {
  let n = u.n;
  var s = 0.0;
  for (var i = t; i < n; i = i + 256u) { s = s + attention[i] * grad[i]; }
  let dot = reduceSum(s, t);
  for (var i = t; i < n; i = i + 256u) {
    let a = attention[i];
    grad[i] = a * (grad[i] - dot) + u.lambda * (${regulariserGrad(kind)});
  }
}
`;
}
