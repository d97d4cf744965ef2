// CLAM's instance clustering in one workgroup: the kSample highest- and lowest-scored instances (the
// attention's order: softmax is monotone), each class's binary instance classifier on the rows of h
// it is trained on (the label's class: top rows positive, bottom rows negative; with subtyping every
// other class: its top rows negative), the per-class loss (CE, or topk's smooth top-1 SVM with its hard
// rows) as a mean over the class's rows, and the weighted instance loss into stats[3]. In training mode
// also the used classifiers' gradients (into the flat gradient buffer) and d loss / d h of the picked
// rows (instDh [2k, L], their instance ids in instIds), which the dh kernel adds to its rows.
import { STEP_STRUCT, WORKGROUP_REDUCE, WG, f32 } from '../wgsl.js';
import { TOPK_WORKGROUP, topkSelect } from './topk.js';

export type InstanceLossKind = 'ce' | 'svm';

export interface InstanceClusteringSpec {
  hidden: number;
  classes: number;
  kSample: number;
  loss: InstanceLossKind;
  subtyping: boolean;
  /** Weight of the bag CE; the instance loss is weighted 1 - bagWeight. */
  bagWeight: number;
  /** Offset of class 0's classifier in the parameter buffer; each is an [L, 2] weight then 2 biases. */
  offset: number;
}

/** Rows of instance logits at most (kSample = k): 2k for the label's class, k for each other class with subtyping. */
export const instanceRowsMax = (s: Pick<InstanceClusteringSpec, 'kSample' | 'classes' | 'subtyping'>): number => s.kSample * (2 + (s.subtyping ? s.classes - 1 : 0));

/** Workgroup floats the kernel needs (the device gives at least 4,096). */
export const instanceWorkgroupFloats = (s: Pick<InstanceClusteringSpec, 'kSample' | 'classes' | 'subtyping'>): number => 4 * instanceRowsMax(s) + 2 * s.kSample + 3 * WG;

/** smooth top-1 SVM's switch to the hard loss: the top score leads the second by log(1000) (topk's thresh, tau 1). */
const SVM_HARD_MARGIN = Math.log(1000);

function rowLoss(kind: InstanceLossKind): string {
  // x0, x1: the row's logits; y: its target. Sets loss, g0, g1 (d loss / d x, before the 1 / rows scale).
  if (kind === 'ce') {
    return `let m = max(x0, x1);
      let lse = m + log(exp(x0 - m) + exp(x1 - m));
      let loss = lse - select(x0, x1, y == 1u);
      let g0 = exp(x0 - lse) - select(1.0, 0.0, y == 1u);
      let g1 = exp(x1 - lse) - select(0.0, 1.0, y == 1u);`;
  }
  // z_y = 0 and z_o = x_o + 1 - x_y; d/dx = softmax(z) - onehot(y), or onehot(argmax z) - onehot(y) on a hard row.
  return `let xy = select(x0, x1, y == 1u);
      let z0 = select(x0 + 1.0 - xy, 0.0, y == 0u);
      let z1 = select(x1 + 1.0 - xy, 0.0, y == 1u);
      let hard = abs(x0 - x1) >= ${f32(SVM_HARD_MARGIN)};
      let m = max(z0, z1);
      let lse = m + log(exp(z0 - m) + exp(z1 - m));
      let loss = select(lse, m, hard);
      let first = z0 >= z1;
      let p0 = select(exp(z0 - lse), select(0.0, 1.0, first), hard);
      let p1 = select(exp(z1 - lse), select(1.0, 0.0, first), hard);
      let g0 = p0 - select(1.0, 0.0, y == 1u);
      let g1 = p1 - select(0.0, 1.0, y == 1u);`;
}

/**
 * Bindings: 1 scores, 2 h, 3 params (read), 4 stats, 5 grads, 6 instDh, 7 instIds (u32).
 * Row q of the instance logits: q < 2k the label's class on picked slot q (top k, then bottom k);
 * with subtyping, q = 2k + o k + r the o-th other class on top slot r.
 */
export function instanceClusteringShader(spec: InstanceClusteringSpec): string {
  const { hidden: L, classes: C, kSample: K, subtyping } = spec;
  const stride = 2 * L + 2;
  const rowsMax = instanceRowsMax(spec);
  const scale = (1 - spec.bagWeight) / (subtyping ? C : 1);
  const others = subtyping ? C - 1 : 0;
  return `${STEP_STRUCT}
@group(0) @binding(1) var<storage, read> scores: array<f32>;
@group(0) @binding(2) var<storage, read> h: array<f32>;
@group(0) @binding(3) var<storage, read> params: array<f32>;
@group(0) @binding(4) var<storage, read_write> stats: array<f32>;
@group(0) @binding(5) var<storage, read_write> grads: array<f32>;
@group(0) @binding(6) var<storage, read_write> instDh: array<f32>;
@group(0) @binding(7) var<storage, read_write> instIds: array<u32>;
${WORKGROUP_REDUCE}
${TOPK_WORKGROUP}
var<workgroup> picked: array<u32, ${2 * K}>;
var<workgroup> logit: array<f32, ${2 * rowsMax}>;
var<workgroup> dlog: array<f32, ${2 * rowsMax}>;

/** The class of instance-logit row q. */
fn classOf(q: u32, k: u32) -> u32 {
  if (q < 2u * k) { return u.label; }
  let o = (q - 2u * k) / k;
  return select(o + 1u, o, o < u.label);
}
/** The picked slot (0..2k) of row q. */
fn slotOf(q: u32, k: u32) -> u32 {
  if (q < 2u * k) { return q; }
  return (q - 2u * k) % k;
}
/** The first row of class c's rows and their count. */
fn rowsOf(c: u32, k: u32) -> vec2u {
  if (c == u.label) { return vec2u(0u, 2u * k); }
  let o = select(c - 1u, c, c < u.label);
  return vec2u(2u * k + o * k, k);
}

@compute @workgroup_size(${WG})
fn main(@builtin(local_invocation_index) t: u32) {
  let k = min(${K}u, u.n);
  ${topkSelect({ values: 'scores', n: 'u.n', k: 'k', highest: true, store: 'picked[j] = choice;' })}
  ${topkSelect({ values: 'scores', n: 'u.n', k: 'k', highest: false, store: 'picked[k + j] = choice;' })}
  let rows = 2u * k + ${others}u * k;
  for (var p = t; p < 2u * rows; p = p + ${WG}u) {
    let q = p / 2u;
    let j = p % 2u;
    let base = ${spec.offset}u + classOf(q, k) * ${stride}u;
    let id = picked[slotOf(q, k)];
    var s = params[base + ${2 * L}u + j];
    for (var l = 0u; l < ${L}u; l = l + 1u) { s = s + h[id * ${L}u + l] * params[base + l * 2u + j]; }
    logit[p] = s;
  }
  workgroupBarrier();
  var part = 0.0;
  for (var q = t; q < rows; q = q + ${WG}u) {
    let x0 = logit[2u * q];
    let x1 = logit[2u * q + 1u];
    let y = select(0u, 1u, q < k);
    ${rowLoss(spec.loss)}
    let count = f32(select(k, 2u * k, q < 2u * k));
    part = part + loss / count;
    dlog[2u * q] = ${f32(scale)} * g0 / count;
    dlog[2u * q + 1u] = ${f32(scale)} * g1 / count;
  }
  let classMeans = reduceSum(part, t);
  if (t == 0u) { stats[3] = ${f32(scale)} * classMeans; }
  if (u.train == 1u) {
    for (var e = t; e < ${subtyping ? C : 1}u * ${stride}u; e = e + ${WG}u) {
      let c = ${subtyping ? `e / ${stride}u` : 'u.label'};
      let w = e % ${stride}u;
      let span = rowsOf(c, k);
      var s = 0.0;
      if (w < ${2 * L}u) {
        let l = w / 2u;
        let j = w % 2u;
        for (var q = span.x; q < span.x + span.y; q = q + 1u) { s = s + h[picked[slotOf(q, k)] * ${L}u + l] * dlog[2u * q + j]; }
      } else {
        for (var q = span.x; q < span.x + span.y; q = q + 1u) { s = s + dlog[2u * q + w - ${2 * L}u]; }
      }
      grads[${spec.offset}u + c * ${stride}u + w] = s;
    }
    for (var e = t; e < 2u * k * ${L}u; e = e + ${WG}u) {
      let r = e / ${L}u;
      let l = e % ${L}u;
      let own = ${spec.offset}u + u.label * ${stride}u;
      var s = dlog[2u * r] * params[own + 2u * l] + dlog[2u * r + 1u] * params[own + 2u * l + 1u];
      if (r < k) {
        for (var o = 0u; o < ${others}u; o = o + 1u) {
          let c = select(o + 1u, o, o < u.label);
          let q = 2u * k + o * k + r;
          let base = ${spec.offset}u + c * ${stride}u;
          s = s + dlog[2u * q] * params[base + 2u * l] + dlog[2u * q + 1u] * params[base + 2u * l + 1u];
        }
      }
      instDh[e] = s;
    }
    if (t < 2u * k) { instIds[t] = picked[t]; }
  }
}
`;
}
