// compute.threads: wasm's threaded SIMD build in the engine's process. "auto" shares the cores out over
// the runs trained at once; a run on 2 threads records so and trains to the metrics of 1 thread, bit for bit.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ConfigError, parseExperiment } from '../../src/config/load.js';
import { parseCliArgs } from '../../src/trainer/cliArgs.js';
import { UsageError } from '../../src/trainer/invalidInput.js';
import { resolveParallel, resolveThreads } from '../../src/trainer/parallelRuns.js';
import { readMetrics, readRunConfig } from '../../src/trainer/runStore.js';
import { comparable } from '../helpers/syntheticRun.js';
import { runEngine } from '../helpers/engineProcess.js';

test('"auto" shares the cores out over the runs at once (1 to 8 threads); a number is taken as it is; other backends keep 1', () => {
  assert.equal(resolveThreads('auto', 1, 'wasm', { cores: 2 }).threads, 2);
  assert.equal(resolveThreads('auto', 2, 'wasm', { cores: 2 }).threads, 1);
  assert.equal(resolveThreads('auto', 3, 'wasm', { cores: 16 }).threads, 5);
  assert.equal(resolveThreads('auto', 1, 'wasm', { cores: 64 }).threads, 8, 'tfjs starts 8 pthread workers');
  assert.equal(resolveThreads('auto', 4, 'wasm', { cores: 2 }).threads, 1);
  assert.equal(resolveThreads(3, 1, 'wasm', { cores: 2 }).threads, 3);
  assert.equal(resolveThreads('auto', 1, 'cpu', { cores: 8 }).threads, 1);
  assert.equal(resolveThreads('auto', 1, 'auto:gpu-or-tensorflow', { cores: 8 }).threads, 1);
  assert.equal(resolveThreads('auto', 1, 'wasm', { cores: 4 }).reason, 'compute.threads "auto": 4 wasm threads per run (4 cores, 1 run at once)');
  // parallel "auto" leaves room for the threads a run takes.
  assert.equal(resolveParallel('auto', 'wasm', { cores: 8 }, 2).runs, 4);
  assert.equal(resolveParallel('auto', 'wasm', { cores: 8 }, 'auto').runs, 8);
});

test('the schema takes "auto" or 1 to 8, names the field otherwise, and defaults to 1', () => {
  const base = { name: 'x', data: { format: 'synthetic' } };
  assert.equal(parseExperiment(JSON.stringify(base), 'x.aem.json').compute.threads, 1);
  assert.equal(parseExperiment(JSON.stringify({ ...base, compute: { threads: 'auto' } }), 'x.aem.json').compute.threads, 'auto');
  assert.equal(parseExperiment(JSON.stringify({ ...base, compute: { threads: 4 } }), 'x.aem.json').compute.threads, 4);
  for (const bad of [0, 9, 1.5, 'all']) {
    assert.throws(
      () => parseExperiment(JSON.stringify({ ...base, compute: { threads: bad } }), 'x.aem.json'),
      (err: unknown) => err instanceof ConfigError && err.problems.some((p) => p.path === 'compute.threads'),
      `compute.threads ${JSON.stringify(bad)} is refused`,
    );
  }
  assert.deepEqual(parseCliArgs(['x.aem.json', '--threads', '2']), { command: 'train', file: 'x.aem.json', threads: 2, json: false });
  assert.deepEqual(parseCliArgs(['--resume', 'r', '--threads', 'auto']), { command: 'resume', runDirs: ['r'], threads: 'auto', breakLock: false, json: false });
  assert.throws(() => parseCliArgs(['x.aem.json', '--threads', '9']), (err: unknown) => err instanceof UsageError && /--threads takes 1 to 8 or "auto", got "9"/.test(err.message));
  assert.throws(() => parseCliArgs(['x.aem.json', '--threads', 'all']), (err: unknown) => err instanceof UsageError && /--threads takes a positive integer or "auto", got "all"/.test(err.message));
});

test('a run on 2 wasm threads says so in config.json and trains to the metrics of 1 thread, bit for bit', async () => {
  const work = mkdtempSync(path.join(os.tmpdir(), 'aem-wasm-threads-'));
  const dirs: Record<number, string> = {};
  for (const threads of [1, 2]) {
    const name = `threads${threads}`;
    const file = path.join(work, `${name}.aem.json`);
    writeFileSync(file, JSON.stringify({ name, data: { format: 'synthetic', synthetic: { preset: 'tiny' } }, train: { epochs: 2, topK: 10 }, seeds: [0], compute: { backend: 'wasm', parallel: 1, threads }, output: 'runs' }));
    const r = await runEngine([file], work, 300_000);
    assert.equal(r.code, 0, r.stderr);
    const [run] = readdirSync(path.join(work, 'runs', name));
    assert.ok(run);
    dirs[threads] = path.join(work, 'runs', name, run);
    const backend = readRunConfig(dirs[threads]).backend;
    assert.equal(backend?.name, 'wasm');
    assert.equal(backend?.adapter, threads === 1 ? 'SIMD, 1 thread' : 'SIMD, 2 threads');
    assert.match(r.stdout + r.stderr, new RegExp(`on wasm \\(tfjs wasm [0-9.]+, SIMD, ${threads} threads?\\)`));
  }
  const [one, two] = [readMetrics(dirs[1] as string), readMetrics(dirs[2] as string)];
  assert.equal(one.length, 6);
  assert.deepEqual(comparable(two), comparable(one));
});
