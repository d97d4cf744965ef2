// `npm run bench -- ops`: what one ABMIL + AEM training step and one evaluation of a bag cost on a tfjs
// backend (wasm unless --backend=cpu): the tfjs kernels each runs, counted per kernel name (tf.profile;
// deterministic, the primary figure), the time tf.profile measured per kernel name, and the median wall
// time of steps and evaluations interleaved in this one process.
// Shapes: D 1024 -> 512 -> attention 128 at N = 2,000 (large bags, matMul-bound), and the small-bag shape
// D 192 -> 96 -> 128 at N = 840 (per-operation cost). Options: --backend=wasm|cpu, --reps=N (default 9),
// --by-name (print every kernel name; default prints the ones with count > 0 in either column).
import * as tf from '@tensorflow/tfjs-core';
import { selectBackend } from '../../src/trainer/backend.js';
import { GatedAbmil, initAbmilParams } from '../../src/trainer/models/abmil.js';
import { AdamW } from '../../src/trainer/adamw.js';
import { SeededRandom } from '../../src/util/seededRandom.js';
import { evaluateBag, trainStep, type Objective } from '../../src/trainer/step.js';
import type { ModelShape } from '../../src/trainer/models/types.js';

interface BenchShape {
  label: string;
  n: number;
  shape: ModelShape;
}

export const OPS_SHAPES: readonly BenchShape[] = [
  { label: 'D 1024 -> 512 -> 128, N 2,000', n: 2000, shape: { inputDim: 1024, hiddenDim: 512, attentionDim: 128, nClasses: 2, dropout: 0 } },
  { label: 'D 192 -> 96 -> 128, N 840 (small bags)', n: 840, shape: { inputDim: 192, hiddenDim: 96, attentionDim: 128, nClasses: 2, dropout: 0 } },
];

const objective: Objective = { nClasses: 2, regulariser: 'entropy', lambda: 0.1 };
const LR = 2e-4;

export interface KernelCounts {
  total: number;
  byName: Map<string, { count: number; ms: number }>;
}

export async function countKernels(fn: () => Promise<unknown>): Promise<KernelCounts> {
  const profile = await tf.profile(async () => {
    await fn();
  });
  const byName = new Map<string, { count: number; ms: number }>();
  for (const k of profile.kernels) {
    const entry = byName.get(k.name) ?? { count: 0, ms: 0 };
    entry.count += 1;
    entry.ms += typeof k.kernelTimeMs === 'number' ? k.kernelTimeMs : 0;
    byName.set(k.name, entry);
  }
  return { total: profile.kernels.length, byName };
}

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] as number;
}

function randomBag(n: number, d: number, rng: SeededRandom): tf.Tensor2D {
  const values = new Float32Array(n * d);
  for (let i = 0; i < values.length; i++) values[i] = rng.float() * 2 - 1;
  return tf.tensor2d(values, [n, d]);
}

export async function run(args: string[]): Promise<void> {
  const backend = (args.find((a) => a.startsWith('--backend='))?.split('=')[1] ?? 'wasm') as 'wasm' | 'cpu';
  const reps = Number(args.find((a) => a.startsWith('--reps='))?.split('=')[1] ?? '9');
  const info = await selectBackend(backend);
  console.log(`backend ${info.name} ${info.version} (${info.adapter ?? ''}); ABMIL + AEM entropy (lambda 0.1), AdamW, 2 classes`);
  console.log(`kernels counted with tf.profile on one step / one evaluation after a warm-up; ms per kernel name as tf.profile measured it; wall time: median of ${reps} steps and ${reps} evaluations, interleaved`);
  for (const { label, n, shape } of OPS_SHAPES) {
    const rng = SeededRandom.fromSeed(0);
    const model = new GatedAbmil(shape, initAbmilParams(shape, rng));
    const opt = new AdamW(model.params, { weightDecay: 1e-5 });
    const x = randomBag(n, shape.inputDim, rng);
    const step = () => trainStep(model, opt, x, 1, objective, LR);
    const evaluate = () => evaluateBag(model, x, 1, objective);
    await step();
    await evaluate();
    const stepKernels = await countKernels(step);
    const evalKernels = await countKernels(evaluate);
    const stepMs: number[] = [];
    const evalMs: number[] = [];
    for (let i = 0; i < reps; i++) {
      let t0 = performance.now();
      await step();
      stepMs.push(performance.now() - t0);
      t0 = performance.now();
      await evaluate();
      evalMs.push(performance.now() - t0);
    }
    console.log(`\n${label}`);
    const names = [...new Set([...stepKernels.byName.keys(), ...evalKernels.byName.keys()])].sort();
    console.log(['kernel'.padEnd(22), 'step n'.padStart(7), 'step ms'.padStart(8), 'eval n'.padStart(7), 'eval ms'.padStart(8)].join(' '));
    for (const name of names) {
      const s = stepKernels.byName.get(name);
      const e = evalKernels.byName.get(name);
      console.log([name.padEnd(22), String(s?.count ?? 0).padStart(7), (s?.ms ?? 0).toFixed(2).padStart(8), String(e?.count ?? 0).padStart(7), (e?.ms ?? 0).toFixed(2).padStart(8)].join(' '));
    }
    const sumMs = (k: KernelCounts) => [...k.byName.values()].reduce((a, b) => a + b.ms, 0);
    // tf.profile also lists the wrapper of each custom-gradient op (fusedMatMul__op, ...) around its kernel.
    const leaves = (k: KernelCounts) => k.total - [...k.byName].filter(([name]) => name.endsWith('__op')).reduce((a, [, e]) => a + e.count, 0);
    console.log(['total'.padEnd(22), String(stepKernels.total).padStart(7), sumMs(stepKernels).toFixed(2).padStart(8), String(evalKernels.total).padStart(7), sumMs(evalKernels).toFixed(2).padStart(8)].join(' '));
    console.log(['  without *__op'.padEnd(22), String(leaves(stepKernels)).padStart(7), ''.padStart(8), String(leaves(evalKernels)).padStart(7)].join(' '));
    console.log(`wall ms (median of ${reps}): step ${median(stepMs).toFixed(2)}, evaluation ${median(evalMs).toFixed(2)}`);
    console.log(`JSON ${JSON.stringify({ shape: label, n, stepKernels: stepKernels.total, evalKernels: evalKernels.total, stepLeafKernels: leaves(stepKernels), evalLeafKernels: leaves(evalKernels), stepMs: median(stepMs), evalMs: median(evalMs) })}`);
    x.dispose();
    opt.dispose();
    model.dispose();
  }
}
