// One engine's training-step times, in a process of its own (a process holds one tfjs backend and one
// WebGPU device), for `npm run bench -- gpu`. Gated ABMIL + AEM entropy, D 1024 -> 512 -> attention 128,
// 2 classes, AdamW; each timed step is the engine's own TrainingRunner.step followed by reading the
// loss back to the host (as PyTorch's loss.item() does), so the time includes the GPU's work.
// Usage: node gpuStepProcess.js --engine=fused|tfjs-webgpu|wasm --sizes=500,2000 [--budget-s=10]
// Prints one JSON line per bag size: {"engine", "n", "medianMs", "minMs", "steps", "opsPerStep", "opsKind", "adapter"}.
import * as tf from '@tensorflow/tfjs-core';
import type { Bag } from '../../src/data/types.js';
import { selectBackend } from '../../src/trainer/backend.js';
import { openFusedDevice } from '../../src/trainer/gpu/dawn.js';
import { FusedRunner } from '../../src/trainer/gpu/fusedRunner.js';
import { GatedAbmil, initAbmilParams } from '../../src/trainer/models/abmil.js';
import type { TrainingRunner } from '../../src/trainer/runner.js';
import { TfjsRunner } from '../../src/trainer/tfjsRunner.js';
import { SeededRandom } from '../../src/util/seededRandom.js';
import { countingDevice, zeroCounts } from '../helpers/countingDevice.js';

export type StepEngine = 'fused' | 'tfjs-webgpu' | 'wasm';
const STEP_ENGINES: readonly StepEngine[] = ['fused', 'tfjs-webgpu', 'wasm'];

export interface SkippedSize {
  engine: StepEngine;
  n: number;
  skipped: string;
}

export interface StepResult {
  engine: StepEngine;
  n: number;
  medianMs: number;
  minMs: number;
  steps: number;
  /** Dispatches counted at the device (fused), or tfjs kernels run (tfjs paths, from tf.profile). */
  opsPerStep: number;
  opsKind: 'dispatches' | 'kernels';
  adapter: string;
}

const BENCH_SHAPE = { inputDim: 1024, hiddenDim: 512, attentionDim: 128, nClasses: 2, dropout: 0 };
const objective = { nClasses: 2, regulariser: 'entropy' as const, lambda: 0.1 };
const LR = 2e-4;

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] as number;
}

interface Prepared {
  runner: TrainingRunner;
  adapter: string;
  /** Runs one step and returns how many device operations it took. */
  countedStep: (bag: Bag) => Promise<number>;
  opsKind: StepResult['opsKind'];
}

async function prepare(engine: StepEngine): Promise<Prepared> {
  const initial = initAbmilParams(BENCH_SHAPE, SeededRandom.fromSeed(0));
  if (engine === 'fused') {
    const info = await selectBackend('webgpu', { path: 'fused' });
    const gpu = await openFusedDevice();
    const counts = zeroCounts();
    const device = countingDevice(gpu.device, counts);
    const runner = await FusedRunner.create({ device, maxBinding: gpu.maxBinding }, { shape: BENCH_SHAPE, initial, regulariser: 'entropy', weightDecay: 1e-5, residentBytes: 2 ** 40 });
    const countedStep = async (bag: Bag) => {
      const before = counts.dispatches;
      await runner.step(bag, undefined, 1, objective, LR);
      await runner.takeLosses();
      return counts.dispatches - before;
    };
    return { runner, adapter: info.adapter ?? '', countedStep, opsKind: 'dispatches' };
  }
  const info = await selectBackend(engine === 'wasm' ? 'wasm' : 'webgpu', { path: 'tfjs' });
  const runner = new TfjsRunner(new GatedAbmil(BENCH_SHAPE, initial), 1e-5);
  const countedStep = async (bag: Bag) => {
    const profile = await tf.profile(async () => {
      await runner.step(bag, undefined, 1, objective, LR);
    });
    return profile.kernels.length;
  };
  return { runner, adapter: info.adapter ?? (engine === 'wasm' ? 'SIMD, 1 thread' : ''), countedStep, opsKind: 'kernels' };
}

function benchBag(n: number, rng: SeededRandom): Bag {
  const features = new Float32Array(n * BENCH_SHAPE.inputDim);
  for (let i = 0; i < features.length; i++) features[i] = rng.float() * 2 - 1;
  return { slideId: `bench-${n}`, n, d: BENCH_SHAPE.inputDim, dtype: 'float32', features };
}

/**
 * Median step time after one counted warm-up step (which also compiles the kernels): at least 3 timed
 * steps, more while within the budget (at most 20). A size whose step exceeds the budget is timed once,
 * and the larger sizes are skipped (a software adapter would take minutes a step there).
 */
async function timeSteps(engine: StepEngine, sizes: number[], budgetMs: number, report: (r: StepResult | SkippedSize) => void): Promise<void> {
  const { runner, adapter, countedStep, opsKind } = await prepare(engine);
  const rng = SeededRandom.fromSeed(1);
  try {
    for (const [i, n] of sizes.entries()) {
      const bag = benchBag(n, rng);
      const opsPerStep = await countedStep(bag);
      const times: number[] = [];
      const started = performance.now();
      // One timed step always; more while they fit the budget (at least 3 unless one step exceeds it).
      while (times.length === 0 || (times.length < 20 && (performance.now() - started < budgetMs || (times.length < 3 && (times[0] as number) <= budgetMs)))) {
        const t0 = performance.now();
        await runner.step(bag, undefined, 1, objective, LR);
        await runner.takeLosses();
        times.push(performance.now() - t0);
      }
      const medianMs = median(times);
      report({ engine, n, medianMs, minMs: Math.min(...times), steps: times.length, opsPerStep, opsKind, adapter });
      if (medianMs > budgetMs) {
        for (const m of sizes.slice(i + 1)) report({ engine, n: m, skipped: `a step at N = ${n} took ${(medianMs / 1000).toFixed(1)} s, over the ${budgetMs / 1000} s budget` });
        return;
      }
    }
  } finally {
    runner.dispose();
  }
}

function argValue(name: string): string | undefined {
  return process.argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
}

{
  const engine = argValue('engine') as StepEngine;
  if (!STEP_ENGINES.includes(engine)) {
    console.error(`gpuStepProcess: --engine must be one of ${STEP_ENGINES.join(', ')}`);
    process.exit(2);
  }
  const sizes = (argValue('sizes') ?? '2000').split(',').map(Number);
  const budgetMs = Number(argValue('budget-s') ?? '10') * 1000;
  try {
    await timeSteps(engine, sizes, budgetMs, (r) => console.log(JSON.stringify(r)));
  } catch (err) {
    console.log(JSON.stringify({ engine, error: (err as Error).message.split('\n')[0] }));
    process.exitCode = 1;
  }
}
