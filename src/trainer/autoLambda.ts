// Automatic lambda (aem.schedule "auto"): lambda is a non-negative dual variable that holds the
// normalised attention entropy of the training bags at a target, the way soft actor-critic tunes its
// temperature. After each step on a bag with normalised entropy h:
//   lambda <- max(0, lambda + lambdaLr * (target - h))
// so lambda grows while the attention is more peaked than the target and shrinks (to 0 at most) while
// it is flatter. The target is constant or falls along a half cosine per iteration, like CWA.
import type { AemConfig } from '../config/schema.js';
import { halfCosine } from './schedules.js';

export interface AutoLambdaSettings {
  /** lambda's starting value (aem.lambda). */
  lambda0: number;
  lambdaLr: number;
  targetEntropy: number;
  targetSchedule: 'constant' | 'cosine';
  /** Target at the end of training when targetSchedule is cosine. */
  targetEnd: number;
}

/** What a checkpoint holds so that a resumed run continues with the very same lambda sequence. */
export interface AutoLambdaState {
  /** lambda for the next step. */
  lambda: number;
  /** Sum of the lambdas used by this epoch's steps so far, and their count (for the epoch mean). */
  epochLambdaSum: number;
  epochSteps: number;
}

export function autoLambdaSettings(aem: AemConfig): AutoLambdaSettings {
  return {
    lambda0: aem.lambda,
    lambdaLr: aem.lambdaLr,
    targetEntropy: aem.targetEntropy,
    targetSchedule: aem.targetSchedule,
    targetEnd: aem.targetEnd ?? aem.targetEntropy,
  };
}

/** The target at iteration `iter` of epoch `epoch` (t = epoch + iter / itersPerEpoch over T = epochs). */
export function targetEntropyAt(settings: AutoLambdaSettings, epoch: number, iter: number, itersPerEpoch: number, epochs: number): number {
  if (settings.targetSchedule === 'constant') return settings.targetEntropy;
  if (!(itersPerEpoch > 0)) throw new RangeError(`itersPerEpoch must be > 0, got ${itersPerEpoch}`);
  return halfCosine(settings.targetEntropy, settings.targetEnd, epoch + iter / itersPerEpoch, epochs);
}

/** One dual step; `entropyNormalised` null (a bag of one instance, log N = 0: no entropy to hold) leaves lambda as it is. */
export function nextLambda(lambda: number, lambdaLr: number, target: number, entropyNormalised: number | null): number {
  if (entropyNormalised === null) return lambda;
  if (!Number.isFinite(entropyNormalised)) throw new RangeError(`auto lambda: the bag's normalised entropy is ${entropyNormalised}`);
  return Math.max(0, lambda + lambdaLr * (target - entropyNormalised));
}

export class AutoLambdaController {
  private current: AutoLambdaState;

  constructor(
    readonly settings: AutoLambdaSettings,
    state?: AutoLambdaState,
  ) {
    this.current = state ? { ...state } : { lambda: settings.lambda0, epochLambdaSum: 0, epochSteps: 0 };
  }

  /** lambda for the next step (and for evaluation between epochs). */
  get lambda(): number {
    return this.current.lambda;
  }

  /** Records that a step used the current lambda, then updates it from that step's bag entropy. */
  afterStep(entropyNormalised: number | null, target: number): number {
    this.current.epochLambdaSum += this.current.lambda;
    this.current.epochSteps += 1;
    this.current.lambda = nextLambda(this.current.lambda, this.settings.lambdaLr, target, entropyNormalised);
    return this.current.lambda;
  }

  /** Mean lambda of this epoch's steps (the current lambda when none was taken yet). */
  epochMean(): number {
    return this.current.epochSteps > 0 ? this.current.epochLambdaSum / this.current.epochSteps : this.current.lambda;
  }

  startEpoch(): void {
    this.current.epochLambdaSum = 0;
    this.current.epochSteps = 0;
  }

  state(): AutoLambdaState {
    return { ...this.current };
  }
}
