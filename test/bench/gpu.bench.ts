// `npm run bench -- gpu`: the fused WebGPU path next to tfjs-backend-webgpu and wasm on whatever adapter
// this machine has, in one run.
//  1. step ms at N = 500 .. 100,000 instances (D 1024 -> 512 -> 128), with dispatches (fused) or tfjs
//     kernels (tfjs paths) per step; each engine in its own process (gpuStepProcess.ts);
//  2. whole runs of the tiny and demo presets through the engine CLI: train bags/s and wall time;
//  3. with --torch (or AEM_BENCH_TORCH=cpu|cuda): PyTorch's step of the same maths (torch_step.py) and
//     the ratios.
// Options: --sizes=500,2000 (step sizes), --engines=fused,wasm, --budget-s=S (per size and engine),
// --no-presets, --quick (N = 500 and 2,000, tiny preset only).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseMetricsLines } from '../../src/protocol/events.js';
import type { SkippedSize, StepResult } from './gpuStepProcess.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const repo = path.resolve(here, '../../..');
const ENGINES = ['fused', 'tfjs-webgpu', 'wasm'] as const;
type Engine = (typeof ENGINES)[number];

interface Failure {
  engine: Engine;
  error: string;
}

function option(args: string[], name: string): string | undefined {
  return args.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
}

function jsonLines<T>(text: string): T[] {
  return text
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as T);
}

function runSteps(engine: Engine, sizes: number[], budgetS: number): (StepResult | Failure | SkippedSize)[] {
  const child = spawnSync(process.execPath, [path.join(here, 'gpuStepProcess.js'), `--engine=${engine}`, `--sizes=${sizes.join(',')}`, `--budget-s=${budgetS}`], { encoding: 'utf8', maxBuffer: 1 << 24 });
  const lines = jsonLines<StepResult | Failure | SkippedSize>(child.stdout);
  if (lines.length === 0) lines.push({ engine, error: (child.stderr.trim().split('\n').pop() ?? '') || `exit ${child.status}` });
  return lines;
}

function torchSteps(device: string, sizes: number[]): Map<number, number> | string {
  const python = process.env.AEM_BENCH_PYTHON ?? '/usr/bin/python3';
  const child = spawnSync(python, [path.join(repo, 'test/bench/torch_step.py'), `--device=${device}`, `--sizes=${sizes.join(',')}`], { encoding: 'utf8' });
  const rows = jsonLines<{ n: number; medianMs: number }>(child.stdout);
  if (rows.length === 0) return `PyTorch step not run: ${(child.stderr.trim().split('\n').pop() ?? '') || `exit ${child.status}`}`;
  return new Map(rows.map((r) => [r.n, r.medianMs]));
}

const fmt = (ms: number | undefined) => (ms === undefined ? '-' : ms < 10 ? ms.toFixed(2) : ms.toFixed(1));
const ratio = (a: number | undefined, b: number | undefined) => (a === undefined || b === undefined ? '-' : `${(a / b).toFixed(2)}x`);

function stepTable(results: (StepResult | Failure | SkippedSize)[], sizes: number[], torch: Map<number, number> | undefined, torchLabel: string): void {
  const ok = results.filter((r): r is StepResult => 'medianMs' in r);
  for (const f of results.filter((r): r is Failure => 'error' in r)) console.log(`${f.engine}: not run: ${f.error}`);
  for (const s of results.filter((r): r is SkippedSize => 'skipped' in r)) console.log(`${s.engine} N = ${s.n}: skipped: ${s.skipped}`);
  const adapter = ok.find((r) => r.engine !== 'wasm')?.adapter;
  if (adapter) console.log(`adapter: ${adapter}`);
  const at = (engine: Engine, n: number) => ok.find((r) => r.engine === engine && r.n === n);
  const header = ['N', 'fused ms', 'disp', 'tfjs-webgpu ms', 'kernels', 'wasm ms', 'kernels', 'wasm/fused', 'tfjs-webgpu/fused'];
  if (torch) header.push(`${torchLabel} ms`, `fused/${torchLabel}`);
  console.log(header.join(' | '));
  for (const n of sizes) {
    const f = at('fused', n);
    const t = at('tfjs-webgpu', n);
    const w = at('wasm', n);
    const row = [String(n), fmt(f?.medianMs), String(f?.opsPerStep ?? '-'), fmt(t?.medianMs), String(t?.opsPerStep ?? '-'), fmt(w?.medianMs), String(w?.opsPerStep ?? '-'), ratio(w?.medianMs, f?.medianMs), ratio(t?.medianMs, f?.medianMs)];
    if (torch) row.push(fmt(torch.get(n)), ratio(f?.medianMs, torch.get(n)));
    console.log(row.join(' | '));
  }
}

interface PresetRun {
  label: string;
  bagsPerSecond: number;
  evalSeconds: number;
  wallSeconds: number;
  testAuroc: number | null;
  error?: string;
}

/** One whole engine process on a preset: median train bags/s over epochs 2.. (epoch 1 warms up), eval s/epoch, wall s. */
function runPreset(preset: 'tiny' | 'demo', epochs: number, backend: string, gpuPath: string): PresetRun {
  const label = backend === 'webgpu' ? `webgpu ${gpuPath}` : backend;
  const dir = mkdtempSync(path.join(tmpdir(), 'aem-gpu-bench-'));
  try {
    const file = path.join(dir, 'bench.aem.json');
    const experiment = { name: 'bench', data: { format: 'synthetic', synthetic: { preset, seed: 3 } }, aem: { lambda: 0.1 }, train: { epochs }, compute: { backend, gpuPath }, output: 'runs' };
    writeFileSync(file, JSON.stringify(experiment));
    const t0 = performance.now();
    const child = spawnSync(process.execPath, [path.join(repo, 'dist/engine.mjs'), file, '--seeds', '0'], { encoding: 'utf8', maxBuffer: 1 << 24 });
    const wallSeconds = (performance.now() - t0) / 1000;
    if (child.status !== 0) return { label, bagsPerSecond: NaN, evalSeconds: NaN, wallSeconds, testAuroc: null, error: (child.stderr.trim().split('\n').pop() ?? '') || `exit ${child.status}` };
    const runsDir = path.join(dir, 'runs', 'bench');
    const [run] = readdirSync(runsDir);
    const lines = parseMetricsLines(readFileSync(path.join(runsDir, run ?? '', 'metrics.jsonl'), 'utf8'));
    const from = epochs > 1 ? 1 : 0;
    const train = lines.filter((l) => l.split === 'train' && l.epoch >= from);
    const evals = lines.filter((l) => l.split !== 'train' && l.epoch >= from);
    const med = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;
    const lastTest = lines.filter((l) => l.split === 'test').at(-1);
    return {
      label,
      bagsPerSecond: med(train.map((l) => (l.split === 'train' ? l.bagsPerSecond : NaN))),
      evalSeconds: (evals.reduce((sum, l) => sum + l.seconds, 0) / Math.max(train.length, 1)),
      wallSeconds,
      testAuroc: lastTest && lastTest.split !== 'train' ? lastTest.auroc : null,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function presetTable(preset: 'tiny' | 'demo', epochs: number, engines: readonly Engine[]): void {
  console.log(`\n${preset} preset, ${epochs} epochs, seed 0, one engine process each (median over epochs 2..):`);
  const configs: [string, string][] = [];
  if (engines.includes('fused')) configs.push(['webgpu', 'fused']);
  if (engines.includes('tfjs-webgpu')) configs.push(['webgpu', 'tfjs']);
  if (engines.includes('wasm')) configs.push(['wasm', 'auto']);
  const runs = configs.map(([b, p]) => runPreset(preset, epochs, b, p));
  console.log('path | train bags/s | val+test s/epoch | wall s | last test AUROC');
  for (const r of runs) {
    if (r.error) console.log(`${r.label} | not run: ${r.error}`);
    else console.log(`${r.label} | ${r.bagsPerSecond.toFixed(1)} | ${r.evalSeconds.toFixed(2)} | ${r.wallSeconds.toFixed(1)} | ${r.testAuroc?.toFixed(4) ?? 'n/a'}`);
  }
  const fused = runs.find((r) => r.label === 'webgpu fused' && !r.error);
  for (const other of runs.filter((r) => r !== fused && !r.error)) {
    if (fused) console.log(`fused / ${other.label}: ${(fused.bagsPerSecond / other.bagsPerSecond).toFixed(1)}x the train bags/s`);
  }
}

export async function run(args: string[]): Promise<void> {
  const quick = args.includes('--quick');
  const sizes = (option(args, 'sizes') ?? (quick ? '500,2000' : '500,2000,8000,20000,100000')).split(',').map(Number);
  const engines = (option(args, 'engines')?.split(',') ?? [...ENGINES]).filter((e): e is Engine => (ENGINES as readonly string[]).includes(e));
  const budgetS = Number(option(args, 'budget-s') ?? '10');
  const torchDevice = option(args, 'torch') ?? (args.includes('--torch') ? 'cpu' : process.env.AEM_BENCH_TORCH);

  console.log(`one ABMIL + AEM training step (D 1024 -> 512 -> attention 128, 2 classes, AdamW, loss read back each step); median ms over >= 3 steps after a warm-up, up to ${budgetS} s per cell`);
  const results = engines.flatMap((e) => {
    process.stderr.write(`  timing ${e} at N = ${sizes.join(', ')} ...\n`);
    return runSteps(e, sizes, budgetS);
  });
  const torch = torchDevice ? torchSteps(torchDevice, sizes) : undefined;
  if (typeof torch === 'string') console.log(torch);
  stepTable(results, sizes, torch instanceof Map ? torch : undefined, `torch-${torchDevice}`);

  if (args.includes('--no-presets')) return;
  presetTable('tiny', 3, engines);
  if (!quick) presetTable('demo', 3, engines);
}
