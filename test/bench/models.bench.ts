// `npm run bench -- models`: the training step of every arch in the model registry (src/trainer/models/
// registry.ts, so a new arch is timed without touching this file) at N = 2,000 and 8,000 instances of
// D = 1024 on wasm, each with its ratio to ABMIL's step in the same run. Default options of each arch
// (its schema defaults), width 512, 2 classes, entropy regulariser, lambda 0.1. Median of 3 after a
// warm-up. Target (issue 12): each within 3x of ABMIL except TransMIL, whose ratio is quoted.
// An arch whose step would not fit the backend's memory (the memory guard's estimate) is skipped, with the estimate.
// Flags: --quick (N = 2,000 only), --backend=cpu|wasm, --arch=a,b (a subset; abmil is always timed).
import * as tf from '@tensorflow/tfjs-core';
import { ModelSchema } from '../../src/config/schema.js';
import { selectBackend } from '../../src/trainer/backend.js';
import { AdamW } from '../../src/trainer/adamw.js';
import { MemoryGuard, MemoryLimitError } from '../../src/trainer/memoryGuard.js';
import { createModel, initModelParams, registeredArchs } from '../../src/trainer/models/registry.js';
import { trainStep } from '../../src/trainer/step.js';
import { SeededRandom } from '../../src/util/seededRandom.js';

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] as number;
}

async function timeIt(reps: number, fn: () => Promise<unknown>): Promise<number> {
  await fn(); // warm-up (kernel set-up, first allocations)
  const times: number[] = [];
  for (let i = 0; i < reps; i++) {
    const t0 = performance.now();
    await fn();
    times.push(performance.now() - t0);
  }
  return median(times);
}

/** Step ms of one arch at one N; the model, its optimiser and the bag are freed afterwards. */
async function stepMs(arch: string, x: tf.Tensor2D, D: number, seed: number): Promise<number> {
  const config = ModelSchema.parse({ arch });
  const dims = { inputDim: D, hiddenDim: 512, nClasses: 2 };
  const rng = SeededRandom.fromSeed(seed);
  const model = createModel(config, dims, initModelParams(config, dims, rng));
  const opt = new AdamW(model.params, { weightDecay: 1e-5 });
  const objective = { nClasses: 2, regulariser: 'entropy' as const, lambda: 0.1 };
  try {
    return await timeIt(3, () => trainStep(model, opt, x, 1, objective, 2e-4, () => rng.float()));
  } finally {
    opt.dispose();
    model.dispose();
  }
}

export async function run(args: string[]): Promise<void> {
  const backendArg = (args.find((a) => a.startsWith('--backend='))?.split('=')[1] ?? 'wasm') as 'wasm' | 'cpu';
  const info = await selectBackend(backendArg);
  const only = args.find((a) => a.startsWith('--arch='))?.split('=')[1]?.split(',');
  const archs = registeredArchs().filter((a) => a === 'abmil' || !only || only.includes(a));
  const sizes = args.includes('--quick') ? [2000] : [2000, 8000];
  const D = 1024;
  console.log(`backend ${info.name} ${info.version}; D ${D}, width 512, 2 classes, each arch's default options; median of 3 steps after a warm-up`);
  console.log(`archs in the registry: ${registeredArchs().join(', ')}`);
  console.log('arch'.padEnd(10), 'N'.padStart(6), 'step ms'.padStart(9), 'x ABMIL'.padStart(8), 'ms per 1k inst'.padStart(15));
  for (const N of sizes) {
    const x = tf.randomNormal([N, D], 0, 1, 'float32', 1) as tf.Tensor2D;
    let abmil: number | undefined;
    for (const arch of ['abmil', ...archs.filter((a) => a !== 'abmil')]) {
      try {
        new MemoryGuard({ model: ModelSchema.parse({ arch }), dims: { inputDim: D, hiddenDim: 512, nClasses: 2 }, backend: info.tfName }).check('bench', N, 'train');
      } catch (err) {
        if (!(err instanceof MemoryLimitError)) throw err;
        console.log(arch.padEnd(10), String(N).padStart(6), `skipped: ${err.message.split(';')[0]}`);
        continue;
      }
      const ms = await stepMs(arch, x, D, 0);
      abmil ??= ms;
      console.log(arch.padEnd(10), String(N).padStart(6), ms.toFixed(0).padStart(9), (ms / abmil).toFixed(2).padStart(8), ((ms / N) * 1000).toFixed(1).padStart(15));
    }
    x.dispose();
  }
}
