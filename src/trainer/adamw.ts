// AdamW with decoupled weight decay, exactly as torch.optim.AdamW (amsgrad off):
// p *= 1 - lr * wd; m = b1 m + (1 - b1) g; v = b2 v + (1 - b2) g^2;
// p -= lr / (1 - b1^t) * m / (sqrt(v) / sqrt(1 - b2^t) + eps).
//
// One pass over one flat buffer: the gradients are concatenated once, m and v live in one flat tensor
// each (parameters in model order), the update runs a dozen elementwise kernels on the flat tensors,
// and the new parameters are split back once. Per element the kernels are the same as a per-parameter
// update, so the values are too. A parameter without a gradient in a step is not stepped at all
// (p, m, v unchanged, its own step count not advanced), as torch.optim.AdamW skips a param whose grad
// is None; t in the bias corrections is each parameter's own step count, as in torch.
import * as tf from '@tensorflow/tfjs-core';

export interface AdamWOptions {
  weightDecay: number;
  beta1?: number;
  beta2?: number;
  eps?: number;
}

export interface AdamWState {
  /** apply() calls so far. */
  step: number;
  /** Steps of the parameters that took fewer than `step` (they had no gradient in some steps); absent: none. */
  paramSteps?: Map<string, number>;
  m: Map<string, Float32Array>;
  v: Map<string, Float32Array>;
}

interface Slot {
  name: string;
  variable: tf.Variable;
  offset: number;
  size: number;
  steps: number;
}

export class AdamW {
  private step = 0;
  private readonly slots: Slot[] = [];
  private readonly m: tf.Variable<tf.Rank.R1>;
  private readonly v: tf.Variable<tf.Rank.R1>;
  private readonly beta1: number;
  private readonly beta2: number;
  private readonly eps: number;

  constructor(
    params: ReadonlyMap<string, tf.Variable>,
    private readonly options: AdamWOptions,
  ) {
    this.beta1 = options.beta1 ?? 0.9;
    this.beta2 = options.beta2 ?? 0.999;
    this.eps = options.eps ?? 1e-8;
    let offset = 0;
    for (const [name, variable] of params) {
      this.slots.push({ name, variable, offset, size: variable.size, steps: 0 });
      offset += variable.size;
    }
    this.m = tf.variable(tf.zeros([offset]), false);
    this.v = tf.variable(tf.zeros([offset]), false);
  }

  get steps(): number {
    return this.step;
  }

  apply(grads: ReadonlyMap<string, tf.Tensor>, lr: number): void {
    this.step += 1;
    for (const name of grads.keys()) {
      if (!this.slots.some((s) => s.name === name)) throw new Error(`AdamW: a gradient for ${name}, which is not a parameter`);
    }
    const present = this.slots.filter((s) => grads.has(s.name));
    if (present.length === 0) return;
    for (const s of present) s.steps += 1;
    // Parameters stepped the same number of times share their bias corrections: one pass per group
    // (one group unless some parameter missed a gradient in an earlier step).
    const groups = new Map<number, Slot[]>();
    for (const s of present) groups.set(s.steps, [...(groups.get(s.steps) ?? []), s]);
    tf.tidy(() => {
      let m: tf.Tensor1D = this.m;
      let v: tf.Tensor1D = this.v;
      for (const [t, group] of groups) {
        const g = concatFlat(group.map((s) => grads.get(s.name) as tf.Tensor));
        const p = concatFlat(group.map((s) => s.variable));
        const whole = group.length === this.slots.length;
        const mOld = whole ? m : gather(m, this.slots, group);
        const vOld = whole ? v : gather(v, this.slots, group);
        const next = this.update(p, g, mOld, vOld, t, lr);
        m = whole ? next.m : scatter(m, this.slots, group, next.m);
        v = whole ? next.v : scatter(v, this.slots, group, next.v);
        const pieces = group.length === 1 ? [next.p] : tf.split(next.p, group.map((s) => s.size));
        group.forEach((s, i) => {
          const piece = pieces[i] as tf.Tensor;
          s.variable.assign(s.variable.rank === 1 ? piece : tf.reshape(piece, s.variable.shape));
        });
      }
      this.m.assign(m);
      this.v.assign(v);
    });
  }

  private update(p: tf.Tensor1D, g: tf.Tensor1D, m: tf.Tensor1D, v: tf.Tensor1D, t: number, lr: number): { p: tf.Tensor1D; m: tf.Tensor1D; v: tf.Tensor1D } {
    const bc1 = 1 - this.beta1 ** t;
    const sqrtBc2 = Math.sqrt(1 - this.beta2 ** t);
    const mNew = tf.add(tf.mul(m, this.beta1), tf.mul(g, 1 - this.beta1)) as tf.Tensor1D;
    const vNew = tf.add(tf.mul(v, this.beta2), tf.mul(tf.square(g), 1 - this.beta2)) as tf.Tensor1D;
    const denom = tf.add(tf.div(tf.sqrt(vNew), sqrtBc2), this.eps);
    const decayed = tf.mul(p, 1 - lr * this.options.weightDecay);
    return { p: tf.sub(decayed, tf.mul(tf.div(mNew, denom), lr / bc1)) as tf.Tensor1D, m: mNew, v: vNew };
  }

  async state(): Promise<AdamWState> {
    const [m, v] = [new Float32Array(await this.m.data()), new Float32Array(await this.v.data())];
    const per = (flat: Float32Array) => new Map(this.slots.map((s) => [s.name, flat.slice(s.offset, s.offset + s.size)] as const));
    const lagging = this.slots.filter((s) => s.steps !== this.step);
    return { step: this.step, ...(lagging.length > 0 ? { paramSteps: new Map(lagging.map((s) => [s.name, s.steps])) } : {}), m: per(m), v: per(v) };
  }

  restore(state: AdamWState): void {
    const flat = (saved: Map<string, Float32Array>) => {
      const out = new Float32Array(this.m.size);
      for (const s of this.slots) {
        const values = saved.get(s.name);
        if (!values || values.length !== s.size) throw new Error(`checkpoint: optimiser state for ${s.name} is missing or has the wrong size`);
        out.set(values, s.offset);
      }
      return out;
    };
    const m = flat(state.m);
    const v = flat(state.v);
    this.step = state.step;
    for (const s of this.slots) s.steps = state.paramSteps?.get(s.name) ?? state.step;
    this.m.assign(tf.tensor1d(m, 'float32'));
    this.v.assign(tf.tensor1d(v, 'float32'));
  }

  dispose(): void {
    this.m.dispose();
    this.v.dispose();
  }
}

function concatFlat(tensors: tf.Tensor[]): tf.Tensor1D {
  const flat = tensors.map((t) => (t.rank === 1 ? (t as tf.Tensor1D) : tf.reshape(t, [-1])));
  return (flat.length === 1 ? flat[0] : tf.concat(flat)) as tf.Tensor1D;
}

/** The group's pieces of a flat state tensor, concatenated in order. */
function gather(flat: tf.Tensor1D, slots: Slot[], group: Slot[]): tf.Tensor1D {
  const pieces = tf.split(flat, slots.map((s) => s.size));
  return concatFlat(group.map((s) => pieces[slots.indexOf(s)] as tf.Tensor));
}

/** The flat state tensor with the group's pieces replaced by `values` (the group's pieces concatenated). */
function scatter(flat: tf.Tensor1D, slots: Slot[], group: Slot[], values: tf.Tensor1D): tf.Tensor1D {
  const pieces = tf.split(flat, slots.map((s) => s.size));
  const updated = group.length === 1 ? [values] : tf.split(values, group.map((s) => s.size));
  return tf.concat(slots.map((s, i) => (group.includes(s) ? (updated[group.indexOf(s)] as tf.Tensor) : (pieces[i] as tf.Tensor)))) as tf.Tensor1D;
}
