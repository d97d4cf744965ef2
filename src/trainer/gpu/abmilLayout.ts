// Where each gated-ABMIL parameter lives in the fused path's one flat buffer (shared by the
// parameters, their gradients and both AdamW moments). V and U are interleaved into one [L, 2A]
// matrix so the two attention branches are one product; the mapping to the named parameters of
// checkpoints is exact both ways.
import { ABMIL_PARAM_NAMES } from '../models/abmil.js';
import type { ModelShape } from '../models/types.js';

export interface AbmilDims {
  /** Feature size D, hidden width L, attention width A, classes C. */
  d: number;
  l: number;
  a: number;
  c: number;
}

export const dimsOf = (s: ModelShape): AbmilDims => ({ d: s.inputDim, l: s.hiddenDim, a: s.attentionDim, c: s.nClasses });

export class AbmilLayout {
  readonly w1: number;
  readonly vu: number;
  readonly vuBias: number;
  readonly w: number;
  readonly wBias: number;
  readonly cls: number;
  readonly clsBias: number;
  readonly size: number;

  constructor(readonly dims: AbmilDims) {
    const { d, l, a, c } = dims;
    let at = 0;
    const take = (count: number) => {
      const start = at;
      at += count;
      return start;
    };
    this.w1 = take(d * l);
    this.vu = take(l * 2 * a);
    this.vuBias = take(2 * a);
    this.w = take(a);
    this.wBias = take(1);
    this.cls = take(l * c);
    this.clsBias = take(c);
    this.size = at;
  }

  /** Named parameters (dense weights [in, out]) into the flat layout. */
  pack(named: ReadonlyMap<string, Float32Array>): Float32Array<ArrayBuffer> {
    const { l, a } = this.dims;
    const get = (name: string, size: number) => {
      const v = named.get(name);
      if (!v || v.length !== size) throw new Error(`fused ABMIL: parameter ${name} is missing or has ${v?.length ?? 0} values instead of ${size}`);
      return v;
    };
    const flat = new Float32Array(this.size);
    flat.set(get('reduce.weight', this.vu - this.w1), this.w1);
    const v = get('V.weight', l * a);
    const u = get('U.weight', l * a);
    for (let r = 0; r < l; r++) {
      flat.set(v.subarray(r * a, (r + 1) * a), this.vu + r * 2 * a);
      flat.set(u.subarray(r * a, (r + 1) * a), this.vu + r * 2 * a + a);
    }
    flat.set(get('V.bias', a), this.vuBias);
    flat.set(get('U.bias', a), this.vuBias + a);
    flat.set(get('w.weight', a), this.w);
    flat.set(get('w.bias', 1), this.wBias);
    flat.set(get('cls.weight', this.clsBias - this.cls), this.cls);
    flat.set(get('cls.bias', this.size - this.clsBias), this.clsBias);
    return flat;
  }

  /** The flat layout back into named parameters, in ABMIL_PARAM_NAMES order. */
  unpack(flat: Float32Array): Map<string, Float32Array> {
    const { l, a } = this.dims;
    const v = new Float32Array(l * a);
    const u = new Float32Array(l * a);
    for (let r = 0; r < l; r++) {
      v.set(flat.subarray(this.vu + r * 2 * a, this.vu + r * 2 * a + a), r * a);
      u.set(flat.subarray(this.vu + r * 2 * a + a, this.vu + (r + 1) * 2 * a), r * a);
    }
    const slice = (from: number, to: number) => flat.slice(from, to);
    const byName: Record<(typeof ABMIL_PARAM_NAMES)[number], Float32Array> = {
      'reduce.weight': slice(this.w1, this.vu),
      'V.weight': v,
      'V.bias': slice(this.vuBias, this.vuBias + a),
      'U.weight': u,
      'U.bias': slice(this.vuBias + a, this.w),
      'w.weight': slice(this.w, this.wBias),
      'w.bias': slice(this.wBias, this.cls),
      'cls.weight': slice(this.cls, this.clsBias),
      'cls.bias': slice(this.clsBias, this.size),
    };
    return new Map(ABMIL_PARAM_NAMES.map((name) => [name, byName[name]]));
  }
}
