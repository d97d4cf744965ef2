// compute.parallel "auto": the cores over the threads each run computes on, at least 1, one run on a
// device backend; accepted by the schema and the CLI, and the engine says what it resolved to.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ConfigError, parseExperiment } from '../../src/config/load.js';
import { parseCliArgs } from '../../src/trainer/cliArgs.js';
import { UsageError } from '../../src/trainer/invalidInput.js';
import { parallelBackendOf, resolveComputeParallel, resolveParallel } from '../../src/trainer/parallelRuns.js';
import { runEngine } from '../helpers/engineProcess.js';

test('"auto" fills the cores with one-thread runs on wasm and cpu, one run at a time on tensorflow and GPU backends', () => {
  assert.equal(resolveParallel('auto', 'wasm', { cores: 2 }).runs, 2);
  assert.equal(resolveParallel('auto', 'wasm', { cores: 16 }).runs, 16);
  assert.equal(resolveParallel('auto', 'cpu', { cores: 6 }).runs, 6);
  assert.equal(resolveParallel('auto', 'wasm', { cores: 1 }).runs, 1);
  assert.equal(resolveParallel('auto', 'tensorflow', { cores: 8 }).runs, 1, 'tfjs-node computes on every core');
  assert.equal(resolveParallel('auto', 'webgpu', { cores: 8 }).runs, 1);
  assert.equal(resolveParallel('auto', 'tensorflow-gpu', { cores: 8 }).runs, 1);
  assert.equal(resolveParallel('auto', 'auto:gpu-or-tensorflow', { cores: 8 }).runs, 1);
  assert.equal(resolveParallel(3, 'wasm', { cores: 1 }).runs, 3, 'a number is taken as given');
  assert.match(resolveParallel('auto', 'wasm', { cores: 2 }).reason, /^compute\.parallel "auto": 2 runs at once \(2 cores, 1 thread per run on wasm\)$/);
  assert.match(resolveParallel('auto', 'tensorflow', { cores: 8 }).reason, /1 run at once \(8 cores, every core per run on tensorflow\)/);
  assert.match(resolveParallel('auto', 'webgpu', { cores: 8 }).reason, /1 run at a time \(backend webgpu: the runs would share one device\)/);
});

test('backend auto counts as wasm unless a GPU or tfjs-node package is installed', () => {
  assert.equal(parallelBackendOf('auto', () => false), 'wasm');
  assert.equal(parallelBackendOf('auto', (pkg) => pkg === '@tensorflow/tfjs-node'), 'auto:gpu-or-tensorflow');
  assert.equal(parallelBackendOf('auto', (pkg) => pkg === 'webgpu'), 'auto:gpu-or-tensorflow');
  assert.equal(parallelBackendOf('cpu', () => true), 'cpu');
  assert.equal(resolveComputeParallel({ parallel: 'auto', backend: 'auto' }, { cores: 4 }, () => false).runs, 4);
  assert.equal(resolveComputeParallel({ parallel: 'auto', backend: 'auto' }, { cores: 4 }, () => true).runs, 1);
  assert.equal(resolveComputeParallel({ parallel: 2, backend: 'webgpu' }, { cores: 4 }).runs, 2);
});

test('the schema and the CLI take "auto"; other words are refused naming the field', () => {
  const base = { name: 'x', data: { format: 'synthetic' } };
  assert.equal(parseExperiment(JSON.stringify({ ...base, compute: { parallel: 'auto' } }), 'x.aem.json').compute.parallel, 'auto');
  assert.equal(parseExperiment(JSON.stringify(base), 'x.aem.json').compute.parallel, 1);
  for (const bad of ['two', 0]) {
    assert.throws(
      () => parseExperiment(JSON.stringify({ ...base, compute: { parallel: bad } }), 'x.aem.json'),
      (err: unknown) => err instanceof ConfigError && err.problems.some((p) => p.path === 'compute.parallel'),
      `compute.parallel ${JSON.stringify(bad)} is refused`,
    );
  }
  assert.deepEqual(parseCliArgs(['x.aem.json', '--parallel', 'auto']), { command: 'train', file: 'x.aem.json', parallel: 'auto', json: false });
  assert.deepEqual(parseCliArgs(['--resume', 'r', '--parallel', 'auto']), { command: 'resume', runDirs: ['r'], parallel: 'auto', breakLock: false, json: false });
  assert.throws(() => parseCliArgs(['x.aem.json', '--parallel', 'all']), (err: unknown) => err instanceof UsageError && /--parallel takes a positive integer or "auto", got "all"/.test(err.message));
});

test('the engine logs what "auto" resolved to and trains that many runs at once', async () => {
  const work = mkdtempSync(path.join(os.tmpdir(), 'aem-parallel-auto-'));
  const file = path.join(work, 'auto.aem.json');
  writeFileSync(file, JSON.stringify({ name: 'auto', data: { format: 'synthetic', synthetic: { preset: 'tiny' } }, train: { epochs: 1, topK: 10 }, compute: { backend: 'wasm', parallel: 'auto' }, output: 'runs' }));
  const r = await runEngine([file, '--seeds', '0,1', '--json'], work, 300_000);
  assert.equal(r.code, 0, r.stderr);
  const expected = resolveComputeParallel({ parallel: 'auto', backend: 'wasm' });
  const events = r.stdout.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as { type: string; message?: string; status?: string });
  const logs = events.filter((e) => e.type === 'log' && e.message?.includes('compute.parallel'));
  assert.deepEqual(logs.map((e) => e.message), [expected.reason], 'one log line says what auto resolved to');
  assert.equal(events.filter((e) => e.type === 'run-finished' && e.status === 'done').length, 2);
  if (expected.runs >= 2) {
    const secondStart = events.map((e) => e.type).indexOf('run-started', events.findIndex((e) => e.type === 'run-started') + 1);
    assert.ok(secondStart >= 0 && secondStart < events.findIndex((e) => e.type === 'run-finished'), 'both runs started before the first finished');
  }
});
