// The bag-level end of a step in one workgroup: z from the pooling partials, logits, softmax,
// cross-entropy, the total loss with lambda times the regulariser; in training mode the step's losses
// go to its slot of the device-side loss log and the classifier's gradients and dL/dz are written; in
// evaluation mode the class probabilities and losses go to the bag's output slot. A model with a weighted
// bag loss and a loss term of its own (CLAM-SB: bagWeight * CE + its instance loss, computed by an
// earlier kernel) gives the weight and the term's WGSL expression; the term goes into the loss log's
// fourth value and after the losses of the evaluation slot.
import type { RegulariserKind } from '../../lossTerms.js';
import { STEP_STRUCT, WORKGROUP_REDUCE, f32 } from '../wgsl.js';

export interface HeadSpec {
  hidden: number;
  classes: number;
  regulariser: RegulariserKind;
  /** Element offsets of the classifier weight [hidden, classes] and bias in the parameter (and gradient) buffer. */
  weightOffset: number;
  biasOffset: number;
  /** Weight of the bag cross-entropy in the loss (default 1). */
  lossWeight?: number;
  /** WGSL f32 expression of the model's own (already weighted) loss term, added to the total. */
  extraLoss?: string;
}

/** Per-bag evaluation output: probabilities, logits, then total, cross-entropy, regulariser (and the model's own term). */
export const evalStride = (classes: number, terms = 0): number => 2 * classes + 3 + terms;

export function headShader(spec: HeadSpec): string {
  const { hidden: L, classes: C } = spec;
  const reg = spec.regulariser === 'entropy' ? 'stats[0]' : spec.regulariser === 'kl' ? 'stats[1]' : '0.0';
  const weight = f32(spec.lossWeight ?? 1);
  const extra = spec.extraLoss ?? '0.0';
  const stride = evalStride(C, spec.extraLoss ? 1 : 0);
  return `${STEP_STRUCT}
@group(0) @binding(1) var<storage, read> zpart: array<f32>;
@group(0) @binding(2) var<storage, read> params: array<f32>;
@group(0) @binding(3) var<storage, read> stats: array<f32>;
@group(0) @binding(4) var<storage, read_write> losses: array<f32>;
@group(0) @binding(5) var<storage, read_write> grads: array<f32>;
@group(0) @binding(6) var<storage, read_write> dz: array<f32>;
@group(0) @binding(7) var<storage, read_write> evalOut: array<f32>;
${WORKGROUP_REDUCE}
var<workgroup> z: array<f32, ${L}>;
var<workgroup> dLogits: array<f32, ${C}>;
@compute @workgroup_size(256)
fn main(@builtin(local_invocation_index) t: u32) {
  for (var l = t; l < ${L}u; l = l + 256u) {
    var s = 0.0;
    for (var c = 0u; c < u.chunks; c = c + 1u) { s = s + zpart[c * ${L}u + l]; }
    z[l] = s;
  }
  workgroupBarrier();
  var logits: array<f32, ${C}>;
  for (var k = 0u; k < ${C}u; k = k + 1u) {
    var s = 0.0;
    for (var l = t; l < ${L}u; l = l + 256u) { s = s + z[l] * params[${spec.weightOffset}u + l * ${C}u + k]; }
    logits[k] = reduceSum(s, t) + params[${spec.biasOffset}u + k];
  }
  var mx = logits[0];
  for (var k = 1u; k < ${C}u; k = k + 1u) { mx = max(mx, logits[k]); }
  var se = 0.0;
  for (var k = 0u; k < ${C}u; k = k + 1u) { se = se + exp(logits[k] - mx); }
  let lse = mx + log(se);
  let ce = ${weight} * (lse - logits[u.label]);
  let reg = ${reg};
  let extra = ${extra};
  let total = ce + u.lambda * reg + extra;
  if (u.train == 1u) {
    if (t == 0u) {
      let o = u.slot * 4u;
      losses[o] = total;
      losses[o + 1u] = ce;
      losses[o + 2u] = reg;
      losses[o + 3u] = extra;
      for (var k = 0u; k < ${C}u; k = k + 1u) {
        var g = exp(logits[k] - lse);
        if (k == u.label) { g = g - 1.0; }
        g = ${weight} * g;
        dLogits[k] = g;
        grads[${spec.biasOffset}u + k] = g;
      }
    }
    workgroupBarrier();
    for (var l = t; l < ${L}u; l = l + 256u) {
      var s = 0.0;
      for (var k = 0u; k < ${C}u; k = k + 1u) {
        let w = params[${spec.weightOffset}u + l * ${C}u + k];
        grads[${spec.weightOffset}u + l * ${C}u + k] = z[l] * dLogits[k];
        s = s + dLogits[k] * w;
      }
      dz[l] = s;
    }
  } else if (t == 0u) {
    let o = u.slot * ${stride}u;
    for (var k = 0u; k < ${C}u; k = k + 1u) {
      evalOut[o + k] = exp(logits[k] - lse);
      evalOut[o + ${C}u + k] = logits[k];
    }
    evalOut[o + ${2 * C}u] = total;
    evalOut[o + ${2 * C + 1}u] = ce;
    evalOut[o + ${2 * C + 2}u] = reg;
    ${spec.extraLoss ? `evalOut[o + ${2 * C + 3}u] = extra;` : ''}
  }
}
`;
}
