// `npm run bench -- ops`: what one ABMIL + AEM training step and one evaluation of a bag cost on a tfjs
// backend (wasm unless --backend=cpu): the tfjs kernels each runs, counted per kernel name (tf.profile;
// deterministic, the primary figure), the time tf.profile measured per kernel name, and the median wall
// time of steps and evaluations interleaved in this one process.
// Shapes: D 1024 -> 512 -> attention 128 at N = 2,000 (large bags, matMul-bound), and the small-bag shape
// D 192 -> 96 -> 128 at N = 840 (per-operation cost). Options: --backend=wasm|cpu, --reps=N (default 9),
// --baseline=DIR (another checkout with its out/ compiled, e.g. a worktree of main: its model, AdamW and
// step run side by side with ours, interleaved, and the kernels and median times of both are printed).
import path from 'node:path';
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

interface StepModules {
  GatedAbmil: typeof GatedAbmil;
  initAbmilParams: typeof initAbmilParams;
  AdamW: typeof AdamW;
  trainStep: typeof trainStep;
  evaluateBag: typeof evaluateBag;
}

async function loadBaseline(dir: string): Promise<StepModules> {
  const at = (m: string) => import(path.resolve(dir, 'out/src/trainer', m));
  const [abmil, adamw, step] = await Promise.all([at('models/abmil.js'), at('adamw.js'), at('step.js')]);
  return { ...(abmil as Pick<StepModules, 'GatedAbmil' | 'initAbmilParams'>), ...(adamw as Pick<StepModules, 'AdamW'>), ...(step as Pick<StepModules, 'trainStep' | 'evaluateBag'>) };
}

/** Ours and a baseline checkout's step and evaluation, interleaved in this process: kernels and median ms. */
async function compareWithBaseline(baselineDir: string, reps: number): Promise<void> {
  const base = await loadBaseline(baselineDir);
  const ours: StepModules = { GatedAbmil, initAbmilParams, AdamW, trainStep, evaluateBag };
  console.log(`\nside by side with ${baselineDir} (its out/), interleaved: each round a step of each, then an evaluation of each, the order alternating by round; ${reps} rounds`);
  console.log(['shape'.padEnd(40), 'kernels step/eval (base)'.padStart(25), '(ours)'.padStart(10), 'step ms base'.padStart(13), 'ours'.padStart(8), 'ratio'.padStart(6), 'eval ms base'.padStart(13), 'ours'.padStart(8), 'ratio'.padStart(6)].join(' '));
  for (const { label, n, shape } of OPS_SHAPES) {
    const setups = [base, ours].map((m) => {
      const rng = SeededRandom.fromSeed(0);
      const model = new m.GatedAbmil(shape, m.initAbmilParams(shape, rng));
      const opt = new m.AdamW(model.params, { weightDecay: 1e-5 });
      return { m, model, opt };
    });
    const x = randomBag(n, shape.inputDim, SeededRandom.fromSeed(1));
    const step = (s: (typeof setups)[number]) => s.m.trainStep(s.model, s.opt, x, 1, objective, LR);
    const evaluate = (s: (typeof setups)[number]) => s.m.evaluateBag(s.model, x, 1, objective);
    const counts: string[] = [];
    for (const s of setups) {
      await step(s);
      await evaluate(s);
      counts.push(`${(await countKernels(() => step(s))).total}/${(await countKernels(() => evaluate(s))).total}`);
    }
    const times = setups.map(() => ({ step: [] as number[], eval: [] as number[] }));
    for (let r = 0; r < reps; r++) {
      for (const kind of ['step', 'eval'] as const) {
        // Which of the two goes first alternates by round, so neither always follows the other.
        const order = r % 2 === 0 ? [0, 1] : [1, 0];
        for (const i of order) {
          const s = setups[i] as (typeof setups)[number];
          const t0 = performance.now();
          await (kind === 'step' ? step(s) : evaluate(s));
          times[i]?.[kind].push(performance.now() - t0);
        }
      }
    }
    const [b, o] = times.map((t) => ({ step: median(t.step), eval: median(t.eval) })) as [{ step: number; eval: number }, { step: number; eval: number }];
    console.log([label.padEnd(40), (counts[0] ?? '').padStart(25), (counts[1] ?? '').padStart(10), b.step.toFixed(1).padStart(13), o.step.toFixed(1).padStart(8), (b.step / o.step).toFixed(2).padStart(6), b.eval.toFixed(1).padStart(13), o.eval.toFixed(1).padStart(8), (b.eval / o.eval).toFixed(2).padStart(6)].join(' '));
    x.dispose();
    for (const s of setups) {
      s.opt.dispose();
      s.model.dispose();
    }
  }
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
  const baseline = args.find((a) => a.startsWith('--baseline='))?.split('=')[1];
  if (baseline) await compareWithBaseline(baseline, reps);
}
