// Keeps a bag that cannot fit in the backend's memory from reaching a kernel: before each step and each
// evaluation on the tfjs path, the model's estimated peak for that bag is compared with the backend's
// hard limit, and a bag over it fails the run with what to change. A wasm fault that gets past the
// estimate (memory access out of bounds) is turned into the same kind of error, naming the bag.
import type { ModelConfig } from '../config/schema.js';
import { modelStepBytes, type ModelDims, type StepMode } from './models/registry.js';

/**
 * Hard memory limits by tfjs backend name. wasm: tfjs-backend-wasm is a 32-bit WebAssembly module, whose
 * heap (every tensor lives in it) cannot grow past 4 GiB. The other backends have no fixed limit here
 * (libtensorflow and the cpu backend use the machine's memory; the fused path has compute.gpuCacheMB).
 */
export const BACKEND_MEMORY_LIMITS: Readonly<Partial<Record<string, number>>> = { wasm: 4 * 2 ** 30 };

/** A bag too large for the backend's memory: the user's input to change (exit code 2). */
export class MemoryLimitError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'MemoryLimitError';
  }
}

export interface MemoryGuardOptions {
  model: ModelConfig;
  dims: ModelDims;
  /** tfjs's backend name ('wasm', 'cpu', ...), for the limit and the message. */
  backend: string;
  /** The limit in bytes; defaults to BACKEND_MEMORY_LIMITS[backend]. */
  limitBytes?: number;
}

const gib = (bytes: number): string => (bytes >= 2 ** 30 ? `${(bytes / 2 ** 30).toFixed(1)} GiB` : `${Math.ceil(bytes / 2 ** 20)} MiB`);

const WHAT: Record<StepMode, string> = { train: 'a training step on it', eval: 'evaluating it' };

export class MemoryGuard {
  private readonly limit: number | undefined;

  constructor(private readonly options: MemoryGuardOptions) {
    this.limit = options.limitBytes ?? BACKEND_MEMORY_LIMITS[options.backend];
  }

  /** The estimated peak bytes of `mode` on a bag of n instances, or undefined when the model has no estimate. */
  estimate(n: number, mode: StepMode): number | undefined {
    return modelStepBytes(this.options.model, this.options.dims, n, mode);
  }

  /** The largest bag whose estimate fits the limit (at most `n`); undefined without an estimate or a limit. */
  largestFitting(n: number, mode: StepMode): number | undefined {
    if (this.limit === undefined || this.estimate(1, mode) === undefined) return undefined;
    let lo = 0;
    let hi = n;
    while (lo < hi) {
      const mid = Math.ceil((lo + hi) / 2);
      if ((this.estimate(mid, mode) as number) <= this.limit) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  }

  /** Throws MemoryLimitError when the estimate for this bag exceeds the backend's limit. */
  check(slideId: string, n: number, mode: StepMode): void {
    if (this.limit === undefined) return;
    const bytes = this.estimate(n, mode);
    if (bytes === undefined || bytes <= this.limit) return;
    throw new MemoryLimitError(
      `slide ${slideId} has ${n} instances: ${WHAT[mode]} with model.arch "${this.options.model.arch}" needs about ${gib(bytes)}, ` +
        `more than the ${this.options.backend} backend's ${gib(this.limit)} limit; ${this.fixes(n, mode)}`,
    );
  }

  /** A wasm out-of-bounds fault as a MemoryLimitError naming the bag; undefined for any other error. */
  explainFault(err: unknown, slideId: string, n: number, mode: StepMode): MemoryLimitError | undefined {
    if (!isWasmMemoryFault(err)) return undefined;
    const bytes = this.estimate(n, mode);
    return new MemoryLimitError(
      `slide ${slideId} has ${n} instances: ${WHAT[mode]} ran out of the ${this.options.backend} backend's memory` +
        `${this.limit !== undefined ? ` (${gib(this.limit)})` : ''}${bytes !== undefined ? `, its estimate was ${gib(bytes)}` : ''} ` +
        `(${(err as Error).message}); ${this.fixes(n, mode)}`,
    );
  }

  private fixes(n: number, mode: StepMode): string {
    const fixes: string[] = [];
    // After a fault the estimate underrated, a "largest bag that fits" would be no smaller than this one.
    const largest = this.largestFitting(n, mode);
    const fitting = largest !== undefined && largest > 0 && largest < n ? largest : undefined;
    if (mode === 'train') {
      fixes.push(`set train.maxInstances${fitting !== undefined ? ` to at most ${fitting}` : ''} or train.subsample to draw fewer instances per step`);
    } else {
      fixes.push(`validation and test bags are never subsampled${fitting !== undefined ? `, and this one would have to be at most ${fitting} instances` : ''}`);
    }
    if (this.options.model.arch === 'transmil') fixes.push('lower model.landmarks or model.width (TransMIL\'s memory grows with N x landmarks x heads and N x width)');
    fixes.push('or set compute.backend to "tensorflow" or "tensorflow-gpu", which have no 4 GiB heap');
    return fixes.join('; ');
  }
}

/**
 * The RuntimeErrors a wasm module raises when its heap runs out: an access outside its memory, or
 * Emscripten's abort when malloc cannot grow the heap (what tfjs-backend-wasm 4.22 raises at 4 GiB:
 * "Aborted(). Build with -sASSERTIONS for more info.").
 */
export function isWasmMemoryFault(err: unknown): boolean {
  if (!(err instanceof Error)) return false;
  const isRuntimeError = typeof WebAssembly !== 'undefined' && err instanceof WebAssembly.RuntimeError;
  return (isRuntimeError || err.name === 'RuntimeError') && /memory access out of bounds|^Aborted\(|out of memory|Cannot enlarge memory/i.test(err.message);
}
