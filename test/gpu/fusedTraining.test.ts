// Whole runs on the fused WebGPU path (gated ABMIL and CLAM-SB) against the same runs on wasm (every
// metric within 1e-3), exact resume on the fused path, and what the run store records about the path.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { MetricsLine } from '../../src/protocol/events.js';
import { readMetrics, runPaths } from '../../src/trainer/runStore.js';
import { comparable, resumeRun, trainSynthetic, type SyntheticRunOptions } from '../helpers/syntheticRun.js';
import { webgpuForTests } from '../helpers/webgpu.js';

const gpu = await webgpuForTests();
const skip = gpu.skip ?? false;
const workspace = mkdtempSync(path.join(os.tmpdir(), 'aem-fused-test-'));

/** Numbers within tol, arrays and objects (a model's loss terms) element by element, anything else equal. */
function assertClose(value: unknown, want: unknown, tol: number, where: string): void {
  if (typeof value === 'number' && typeof want === 'number') {
    assert.ok(Math.abs(value - want) <= tol, `${where}: fused ${value} vs wasm ${want}`);
  } else if (Array.isArray(value) && Array.isArray(want)) {
    assert.equal(value.length, want.length, where);
    value.forEach((v, j) => assertClose(v, want[j], tol, `${where}[${j}]`));
  } else if (value !== null && want !== null && typeof value === 'object' && typeof want === 'object' && !Array.isArray(value)) {
    const v = value as Record<string, unknown>;
    const w = want as Record<string, unknown>;
    assert.deepEqual(Object.keys(v).sort(), Object.keys(w).sort(), where);
    for (const key of Object.keys(v)) assertClose(v[key], w[key], tol, `${where}.${key}`);
  } else {
    assert.deepEqual(value, want, where);
  }
}

/** Every number of every metric line (timings aside) within tol of the other run's. */
function assertMetricsClose(actual: MetricsLine[], expected: MetricsLine[], tol: number): void {
  assert.equal(actual.length, expected.length, 'as many metric lines');
  const a = comparable(actual) as Record<string, unknown>[];
  const e = comparable(expected) as Record<string, unknown>[];
  a.forEach((line, i) => assertClose(line, e[i], tol, `${line.split} epoch ${line.epoch}`));
}

async function compareWithWasm(o: Omit<SyntheticRunOptions, 'backend'>): Promise<void> {
  const wasm = await trainSynthetic(workspace, { ...o, backend: 'wasm' });
  const fused = await trainSynthetic(workspace, { ...o, backend: 'webgpu', gpuPath: 'fused' });
  assert.equal(fused.summary.status, 'done');
  assert.equal(fused.summary.backend?.path, 'fused');
  assertMetricsClose(readMetrics(fused.dir), readMetrics(wasm.dir), 1e-3);
}

test('tiny preset: the fused path trains to the metrics of wasm (within 1e-3)', { skip }, async () => {
  await compareWithWasm({ lambda: 0.1, epochs: 3, seed: 1 });
});

test('tiny preset, KL regulariser and sampled instances (maxInstances), bags not resident: as wasm', { skip }, async () => {
  await compareWithWasm({ lambda: 0.5, epochs: 2, seed: 2, regulariser: 'kl', maxInstances: 40, gpuCacheMB: 0 });
});

test('demo preset: the fused path trains to the metrics of wasm (within 1e-3)', { skip }, async () => {
  await compareWithWasm({ lambda: 0.1, epochs: 2, seed: 0, preset: 'demo' });
});

test('tiny preset, clam_sb (CE instance loss): the fused path trains to the metrics of wasm (within 1e-3)', { skip }, async () => {
  await compareWithWasm({ lambda: 0.1, epochs: 3, seed: 1, model: { arch: 'clam_sb', dropout: 0, hidden: 16, attention: 8 } });
});

test('tiny preset, clam_sb with SVM instance loss and subtyping, KL, sampled instances, bags not resident: as wasm', { skip }, async () => {
  await compareWithWasm({ lambda: 0.5, epochs: 2, seed: 2, regulariser: 'kl', maxInstances: 40, gpuCacheMB: 0, model: { arch: 'clam_sb', dropout: 0, kSample: 4, instanceLoss: 'svm', subtyping: true } });
});

test('fused clam_sb: a run stopped mid-epoch resumes exactly (the instance classifiers\' own AdamW step counts kept)', { skip }, async () => {
  const o = { lambda: 0.1, epochs: 3, seed: 4, backend: 'webgpu' as const, gpuPath: 'fused' as const, model: { arch: 'clam_sb', dropout: 0 } };
  const straight = await trainSynthetic(workspace, o);
  assert.equal(straight.summary.backend?.path, 'fused');
  const stopped = await trainSynthetic(workspace, { ...o, stopAfterSteps: 40 });
  assert.equal(stopped.summary.status, 'stopped');
  const resumed = await resumeRun(stopped.dir);
  assert.equal(resumed.summary.status, 'done');
  assert.deepEqual(comparable(readMetrics(stopped.dir)), comparable(readMetrics(straight.dir)));
});

test('fused path: a run stopped mid-epoch resumes exactly; config.json and summary.json record the path', { skip }, async () => {
  const o = { lambda: 0.1, epochs: 3, seed: 4, backend: 'webgpu' as const, gpuPath: 'fused' as const };
  const straight = await trainSynthetic(workspace, o);
  const stopped = await trainSynthetic(workspace, { ...o, stopAfterSteps: 40 });
  assert.equal(stopped.summary.status, 'stopped');
  const resumed = await resumeRun(stopped.dir);
  assert.equal(resumed.summary.status, 'done');
  assert.deepEqual(comparable(readMetrics(stopped.dir)), comparable(readMetrics(straight.dir)));
  const config = JSON.parse(readFileSync(runPaths(straight.dir).config, 'utf8')) as { backend: { name: string; path: string; adapter: string } };
  assert.equal(config.backend.name, 'webgpu');
  assert.equal(config.backend.path, 'fused');
  assert.ok(config.backend.adapter.length > 0);
  const started = straight.events.find((e) => e.type === 'run-started');
  assert.ok(started && started.type === 'run-started' && started.backend.path === 'fused');
});
