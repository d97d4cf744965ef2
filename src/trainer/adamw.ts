// AdamW with decoupled weight decay, exactly as torch.optim.AdamW (amsgrad off):
// p *= 1 - lr * wd; m = b1 m + (1 - b1) g; v = b2 v + (1 - b2) g^2;
// p -= lr / (1 - b1^t) * m / (sqrt(v) / sqrt(1 - b2^t) + eps).
// A parameter without a gradient in a step (grad None in PyTorch: an unused instance classifier) is
// left as it is, no decay, and its own step count t does not advance, as torch's AdamW skips it.
import * as tf from '@tensorflow/tfjs-core';

export interface AdamWOptions {
  weightDecay: number;
  beta1?: number;
  beta2?: number;
  eps?: number;
}

export interface AdamWState {
  step: number;
  /** Steps each parameter has taken, where that differs from `step` (absent: every one took `step`). */
  paramSteps?: Map<string, number>;
  m: Map<string, Float32Array>;
  v: Map<string, Float32Array>;
}

export class AdamW {
  private step = 0;
  private readonly paramSteps = new Map<string, number>();
  private readonly m = new Map<string, tf.Variable>();
  private readonly v = new Map<string, tf.Variable>();
  private readonly beta1: number;
  private readonly beta2: number;
  private readonly eps: number;

  constructor(
    private readonly params: ReadonlyMap<string, tf.Variable>,
    private readonly options: AdamWOptions,
  ) {
    this.beta1 = options.beta1 ?? 0.9;
    this.beta2 = options.beta2 ?? 0.999;
    this.eps = options.eps ?? 1e-8;
    for (const [name, p] of params) {
      this.m.set(name, tf.variable(tf.zerosLike(p), false));
      this.v.set(name, tf.variable(tf.zerosLike(p), false));
      this.paramSteps.set(name, 0);
    }
  }

  get steps(): number {
    return this.step;
  }

  apply(grads: ReadonlyMap<string, tf.Tensor>, lr: number): void {
    for (const name of grads.keys()) if (!this.params.has(name)) throw new Error(`AdamW: a gradient for ${name}, which is not a parameter`);
    this.step += 1;
    tf.tidy(() => {
      for (const [name, p] of this.params) {
        const g = grads.get(name);
        if (!g) continue;
        const t = (this.paramSteps.get(name) ?? 0) + 1;
        this.paramSteps.set(name, t);
        const bc1 = 1 - this.beta1 ** t;
        const sqrtBc2 = Math.sqrt(1 - this.beta2 ** t);
        const m = this.m.get(name) as tf.Variable;
        const v = this.v.get(name) as tf.Variable;
        const mNew = tf.add(tf.mul(m, this.beta1), tf.mul(g, 1 - this.beta1));
        const vNew = tf.add(tf.mul(v, this.beta2), tf.mul(tf.square(g), 1 - this.beta2));
        m.assign(mNew);
        v.assign(vNew);
        const denom = tf.add(tf.div(tf.sqrt(vNew), sqrtBc2), this.eps);
        const decayed = tf.mul(p, 1 - lr * this.options.weightDecay);
        p.assign(tf.sub(decayed, tf.mul(tf.div(mNew, denom), lr / bc1)));
      }
    });
  }

  async state(): Promise<AdamWState> {
    const read = async (vars: Map<string, tf.Variable>) => new Map(await Promise.all([...vars].map(async ([k, t]) => [k, new Float32Array(await t.data())] as const)));
    const behind = [...this.paramSteps].filter(([, t]) => t !== this.step);
    return { step: this.step, ...(behind.length > 0 ? { paramSteps: new Map(behind) } : {}), m: await read(this.m), v: await read(this.v) };
  }

  restore(state: AdamWState): void {
    this.step = state.step;
    for (const name of this.paramSteps.keys()) this.paramSteps.set(name, state.paramSteps?.get(name) ?? state.step);
    for (const [vars, saved] of [
      [this.m, state.m],
      [this.v, state.v],
    ] as const) {
      for (const [name, t] of vars) {
        const values = saved.get(name);
        if (!values || values.length !== t.size) throw new Error(`checkpoint: optimiser state for ${name} is missing or has the wrong size`);
        t.assign(tf.tensor(values, t.shape, 'float32'));
      }
    }
  }

  dispose(): void {
    for (const t of [...this.m.values(), ...this.v.values()]) t.dispose();
  }
}
