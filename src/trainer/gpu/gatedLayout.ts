// Where each parameter of a gated-attention MIL model (gated ABMIL, CLAM-SB) lives in the fused path's
// one flat buffer (shared by the parameters, their gradients and both AdamW moments). V and U are
// interleaved into one [L, 2A] matrix so the two attention branches are one product; the mapping to
// the named parameters of checkpoints is exact both ways. CLAM-SB adds the first layer's bias and one
// binary instance classifier ([L, 2] weight, then its 2 biases) per class after the bag classifier.
import { ABMIL_PARAM_NAMES } from '../models/abmil.js';
import { clamParamNames } from '../models/clam.js';
import type { ModelShape } from '../models/types.js';

export interface GatedDims {
  /** Feature size D, hidden width L, attention width A, classes C. */
  d: number;
  l: number;
  a: number;
  c: number;
}

export const dimsOf = (s: ModelShape): GatedDims => ({ d: s.inputDim, l: s.hiddenDim, a: s.attentionDim, c: s.nClasses });

/** The checkpoint names of the shared parts (the first layer's bias only where the model has one). */
interface GatedNames {
  w1: string;
  b1?: string;
  vW: string;
  vB: string;
  uW: string;
  uB: string;
  wW: string;
  wB: string;
  clsW: string;
  clsB: string;
  /** Names of class c's instance classifier weight and bias (CLAM-SB). */
  instance?: (c: number) => [string, string];
  /** Every name, in checkpoint order. */
  order: readonly string[];
}

const ABMIL_NAMES: GatedNames = {
  w1: 'reduce.weight',
  vW: 'V.weight',
  vB: 'V.bias',
  uW: 'U.weight',
  uB: 'U.bias',
  wW: 'w.weight',
  wB: 'w.bias',
  clsW: 'cls.weight',
  clsB: 'cls.bias',
  order: ABMIL_PARAM_NAMES,
};

const clamNames = (classes: number): GatedNames => ({
  w1: 'fc.w',
  b1: 'fc.b',
  vW: 'attn_a.w',
  vB: 'attn_a.b',
  uW: 'attn_b.w',
  uB: 'attn_b.b',
  wW: 'attn_c.w',
  wB: 'attn_c.b',
  clsW: 'bag_cls.w',
  clsB: 'bag_cls.b',
  instance: (c) => [`inst_cls.${c}.w`, `inst_cls.${c}.b`],
  order: clamParamNames(classes),
});

/** A run of the flat buffer that AdamW steps as one (its own step count; skipped in a step without its gradient). */
export interface ParamGroup {
  start: number;
  end: number;
  /** The checkpoint names of the parameters in it. */
  names: string[];
}

export class GatedLayout {
  readonly w1: number;
  /** Offset of the first layer's bias, or undefined for a model without one (ABMIL's reduce). */
  readonly b1: number | undefined;
  readonly vu: number;
  readonly vuBias: number;
  readonly w: number;
  readonly wBias: number;
  readonly cls: number;
  readonly clsBias: number;
  /** Offset of the instance classifiers (each 2L + 2 values), or undefined without any. */
  readonly instance: number | undefined;
  readonly instanceClasses: number;
  readonly size: number;

  private constructor(
    readonly dims: GatedDims,
    private readonly names: GatedNames,
  ) {
    const { d, l, a, c } = dims;
    let at = 0;
    const take = (count: number) => {
      const start = at;
      at += count;
      return start;
    };
    this.w1 = take(d * l);
    this.b1 = names.b1 ? take(l) : undefined;
    this.vu = take(l * 2 * a);
    this.vuBias = take(2 * a);
    this.w = take(a);
    this.wBias = take(1);
    this.cls = take(l * c);
    this.clsBias = take(c);
    this.instanceClasses = names.instance ? c : 0;
    this.instance = names.instance ? take(c * this.instanceStride) : undefined;
    this.size = at;
  }

  static abmil(dims: GatedDims): GatedLayout {
    return new GatedLayout(dims, ABMIL_NAMES);
  }

  static clam(dims: GatedDims): GatedLayout {
    return new GatedLayout(dims, clamNames(dims.c));
  }

  /** Values of one instance classifier: its [L, 2] weight, then its 2 biases. */
  get instanceStride(): number {
    return 2 * this.dims.l + 2;
  }

  /** Offset of class c's instance classifier. */
  instanceAt(c: number): number {
    if (this.instance === undefined) throw new Error('this model has no instance classifiers');
    return this.instance + c * this.instanceStride;
  }

  /** AdamW's groups: the shared parameters, then each instance classifier on its own (used only in some steps). */
  get groups(): ParamGroup[] {
    const shared = this.names.order.filter((n) => !n.startsWith('inst_cls.'));
    const end = this.instance ?? this.size;
    const groups: ParamGroup[] = [{ start: 0, end, names: shared }];
    const instance = this.names.instance;
    if (instance) for (let c = 0; c < this.instanceClasses; c++) groups.push({ start: this.instanceAt(c), end: this.instanceAt(c) + this.instanceStride, names: instance(c) });
    return groups;
  }

  /** Named parameters (dense weights [in, out]) into the flat layout. */
  pack(named: ReadonlyMap<string, Float32Array>): Float32Array<ArrayBuffer> {
    const { l, a, c } = this.dims;
    const n = this.names;
    const get = (name: string, size: number) => {
      const v = named.get(name);
      if (!v || v.length !== size) throw new Error(`fused path: parameter ${name} is missing or has ${v?.length ?? 0} values instead of ${size}`);
      return v;
    };
    const flat = new Float32Array(this.size);
    flat.set(get(n.w1, this.dims.d * l), this.w1);
    if (n.b1 && this.b1 !== undefined) flat.set(get(n.b1, l), this.b1);
    const v = get(n.vW, l * a);
    const u = get(n.uW, l * a);
    for (let r = 0; r < l; r++) {
      flat.set(v.subarray(r * a, (r + 1) * a), this.vu + r * 2 * a);
      flat.set(u.subarray(r * a, (r + 1) * a), this.vu + r * 2 * a + a);
    }
    flat.set(get(n.vB, a), this.vuBias);
    flat.set(get(n.uB, a), this.vuBias + a);
    flat.set(get(n.wW, a), this.w);
    flat.set(get(n.wB, 1), this.wBias);
    flat.set(get(n.clsW, l * c), this.cls);
    flat.set(get(n.clsB, c), this.clsBias);
    if (n.instance) {
      for (let k = 0; k < this.instanceClasses; k++) {
        const [wName, bName] = n.instance(k);
        flat.set(get(wName, 2 * l), this.instanceAt(k));
        flat.set(get(bName, 2), this.instanceAt(k) + 2 * l);
      }
    }
    return flat;
  }

  /** The flat layout back into named parameters, in checkpoint order. */
  unpack(flat: Float32Array): Map<string, Float32Array> {
    const { d, l, a, c } = this.dims;
    const n = this.names;
    const v = new Float32Array(l * a);
    const u = new Float32Array(l * a);
    for (let r = 0; r < l; r++) {
      v.set(flat.subarray(this.vu + r * 2 * a, this.vu + r * 2 * a + a), r * a);
      u.set(flat.subarray(this.vu + r * 2 * a + a, this.vu + (r + 1) * 2 * a), r * a);
    }
    const slice = (from: number, count: number) => flat.slice(from, from + count);
    const byName = new Map<string, Float32Array>([
      [n.w1, slice(this.w1, d * l)],
      [n.vW, v],
      [n.vB, slice(this.vuBias, a)],
      [n.uW, u],
      [n.uB, slice(this.vuBias + a, a)],
      [n.wW, slice(this.w, a)],
      [n.wB, slice(this.wBias, 1)],
      [n.clsW, slice(this.cls, l * c)],
      [n.clsB, slice(this.clsBias, c)],
    ]);
    if (n.b1 && this.b1 !== undefined) byName.set(n.b1, slice(this.b1, l));
    if (n.instance) {
      for (let k = 0; k < this.instanceClasses; k++) {
        const [wName, bName] = n.instance(k);
        byName.set(wName, slice(this.instanceAt(k), 2 * l));
        byName.set(bName, slice(this.instanceAt(k) + 2 * l, 2));
      }
    }
    return new Map(n.order.map((name) => [name, byName.get(name) as Float32Array]));
  }
}
