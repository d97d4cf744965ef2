// What the training loop needs of an execution path: one step on a bag, evaluation of a bag, the
// losses since the last read, and the weights with the optimiser state for checkpoints. The tfjs path
// (any tfjs backend) and the fused WebGPU path both implement it, so the loop, the run store and the
// metrics never depend on where the maths runs.
import type { Bag } from '../data/types.js';
import type { BagEvaluation, Objective } from './step.js';

export type ExecutionPath = 'tfjs' | 'fused';

export interface LossSums {
  loss: number;
  ce: number;
  regulariser: number;
  bags: number;
  /** Sums of the model's own loss terms by name (absent for models without any). */
  terms?: Record<string, number>;
}

export interface WeightsState {
  /** AdamW steps taken. */
  step: number;
  /** AdamW steps of the parameters that took fewer (steps without a gradient for them); absent: none. */
  paramSteps?: Map<string, number>;
  params: Map<string, Float32Array>;
  m: Map<string, Float32Array>;
  v: Map<string, Float32Array>;
}

export interface TrainingRunner {
  readonly arch: string;
  readonly path: ExecutionPath;
  /** Every parameter's shape, in checkpoint order. */
  readonly paramShapes: ReadonlyMap<string, number[]>;
  /** true: losses are on the host after every step; false: they stay on the device until takeLosses. */
  readonly lossesEachStep: boolean;
  /** One optimisation step on the bag (only `rows` of it when given). */
  step(bag: Bag, rows: Int32Array | undefined, label: number, objective: Objective, lr: number, random?: () => number): Promise<void>;
  /**
   * The normalised attention entropy H / log N of the last step's bag (mean over heads or classes, as the
   * regulariser), for aem.schedule "auto"; null for a bag of one instance.
   */
  lastEntropyNormalised(): number | null;
  /** Loss sums of the steps since the last call. */
  takeLosses(): Promise<LossSums>;
  /** Evaluates a bag; the promise may settle only at the next flush(). */
  evaluate(bag: Bag, label: number, objective: Objective): Promise<BagEvaluation>;
  /** Settles every pending evaluation. */
  flush(): Promise<void>;
  exportState(): Promise<WeightsState>;
  importState(state: WeightsState): void;
  dispose(): void;
}

export const emptyLosses = (): LossSums => ({ loss: 0, ce: 0, regulariser: 0, bags: 0 });

/** Each term's sum divided by the bag count. */
export function meanTerms(sums: Readonly<Record<string, number>>, bags: number): Record<string, number> {
  return Object.fromEntries(Object.entries(sums).map(([name, sum]) => [name, sum / bags]));
}

/** Adds each named term of `add` into `into` (a term missing there starts at 0). */
export function addTermSums(into: Record<string, number>, add: Readonly<Record<string, number>> | undefined): Record<string, number> {
  for (const [name, value] of Object.entries(add ?? {})) into[name] = (into[name] ?? 0) + value;
  return into;
}
