// The tfjs execution path: a MilModel and AdamW on whichever tfjs backend is active.
import * as tf from '@tensorflow/tfjs-core';
import type { Bag } from '../data/types.js';
import { AdamW } from './adamw.js';
import { bagToTensor } from './bagTensor.js';
import type { MilModel } from './models/types.js';
import type { MemoryGuard } from './memoryGuard.js';
import type { StepMode } from './models/registry.js';
import { addTermSums, emptyLosses, type LossSums, type TrainingRunner, type WeightsState } from './runner.js';
import { evaluateBag, trainStep, type BagEvaluation, type Objective } from './step.js';

export class TfjsRunner implements TrainingRunner {
  readonly path = 'tfjs' as const;
  readonly lossesEachStep = true;
  readonly paramShapes: ReadonlyMap<string, number[]>;
  private readonly optimizer: AdamW;
  private sums: LossSums = emptyLosses();
  private entropyNormalised: number | null = null;
  /** Set after a wasm memory fault: the module's heap can no longer be trusted, so dispose touches nothing. */
  private faulted = false;

  constructor(
    private readonly model: MilModel,
    weightDecay: number,
    private readonly memory?: MemoryGuard,
  ) {
    this.optimizer = new AdamW(model.params, { weightDecay });
    this.paramShapes = new Map([...model.params].map(([name, v]) => [name, v.shape]));
  }

  get arch(): string {
    return this.model.arch;
  }

  async step(bag: Bag, rows: Int32Array | undefined, label: number, objective: Objective, lr: number, random?: () => number): Promise<void> {
    const n = rows?.length ?? bag.n;
    this.memory?.check(bag.slideId, n, 'train');
    const x = bagToTensor(bag, rows);
    try {
      const losses = await this.guarded(bag.slideId, n, 'train', () => trainStep(this.model, this.optimizer, x, label, objective, lr, random));
      this.sums.loss += losses.total;
      this.sums.ce += losses.ce;
      this.sums.regulariser += losses.regulariser;
      this.sums.bags += 1;
      if (Object.keys(losses.terms).length > 0) this.sums.terms = addTermSums(this.sums.terms ?? {}, losses.terms);
      this.entropyNormalised = losses.entropyNormalised;
    } finally {
      if (!this.faulted) x.dispose();
    }
  }

  lastEntropyNormalised(): number | null {
    return this.entropyNormalised;
  }

  async takeLosses(): Promise<LossSums> {
    const sums = this.sums;
    this.sums = emptyLosses();
    return sums;
  }

  async evaluate(bag: Bag, label: number, objective: Objective): Promise<BagEvaluation> {
    this.memory?.check(bag.slideId, bag.n, 'eval');
    const x = bagToTensor(bag);
    try {
      return await this.guarded(bag.slideId, bag.n, 'eval', () => evaluateBag(this.model, x, label, objective));
    } finally {
      if (!this.faulted) x.dispose();
    }
  }

  /** Runs a step or an evaluation; a wasm memory fault becomes a MemoryLimitError naming the bag. */
  private async guarded<T>(slideId: string, n: number, mode: StepMode, work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (err) {
      const explained = this.memory?.explainFault(err, slideId, n, mode);
      if (!explained) throw err;
      this.faulted = true;
      throw explained;
    }
  }

  async flush(): Promise<void> {}

  async exportState(): Promise<WeightsState> {
    const opt = await this.optimizer.state();
    const params = new Map<string, Float32Array>();
    for (const [name, v] of this.model.params) params.set(name, new Float32Array(await v.data()));
    return { step: opt.step, ...(opt.paramSteps ? { paramSteps: opt.paramSteps } : {}), params, m: opt.m, v: opt.v };
  }

  importState(state: WeightsState): void {
    for (const [name, variable] of this.model.params) {
      const values = state.params.get(name);
      if (!values || values.length !== variable.size) throw new Error(`checkpoint: parameter ${name} is missing or has the wrong size`);
      variable.assign(tf.tensor(values, variable.shape, 'float32'));
    }
    this.optimizer.restore({ step: state.step, ...(state.paramSteps ? { paramSteps: state.paramSteps } : {}), m: state.m, v: state.v });
  }

  dispose(): void {
    if (this.faulted) return;
    this.optimizer.dispose();
    this.model.dispose();
  }
}
