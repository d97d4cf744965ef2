// The memory guard: TransMIL's step estimate against the wasm heaps it was fitted to, a bag over the
// limit failing before any kernel runs (runner level and a whole run's summary.json), the demo preset
// fitting, and a wasm out-of-bounds fault turned into an error that names the bag and the fix.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { ModelSchema } from '../../src/config/schema.js';
import { PRESETS } from '../../src/data/syntheticPresets.js';
import type { Bag } from '../../src/data/types.js';
import { selectBackend } from '../../src/trainer/backend.js';
import { isInvalidInput } from '../../src/trainer/invalidInput.js';
import { BACKEND_MEMORY_LIMITS, isWasmMemoryFault, MemoryGuard, MemoryLimitError } from '../../src/trainer/memoryGuard.js';
import { createModel, initModelParams, type ModelDims } from '../../src/trainer/models/registry.js';
import type { MilModel } from '../../src/trainer/models/types.js';
import { TfjsRunner } from '../../src/trainer/tfjsRunner.js';
import { SeededRandom } from '../../src/util/seededRandom.js';
import { trainSynthetic } from '../helpers/syntheticRun.js';

const WASM_LIMIT = 4 * 2 ** 30;
const objective = { nClasses: 2, regulariser: 'entropy' as const, lambda: 0.1 };

function syntheticBag(slideId: string, n: number, d: number): Bag {
  const rng = SeededRandom.fromSeed(7);
  const features = new Float32Array(n * d);
  rng.fillNormal(features);
  return { slideId, n, d, dtype: 'float32', features };
}

function transmilGuard(options: Record<string, unknown>, dims: ModelDims, limitBytes?: number): MemoryGuard {
  return new MemoryGuard({ model: ModelSchema.parse({ arch: 'transmil', ...options }), dims, backend: 'wasm', ...(limitBytes !== undefined ? { limitBytes } : {}) });
}

test('TransMIL: the estimate is at or above every wasm heap it was fitted to, and within 10% of it', () => {
  // Wasm heap after one step, one process per bag, D = 1024 (docs/memory.md, "Measurements"); the fit is
  // to the rows without dropout, the authors' dropout 0.1 adds counted copies (DROPOUT_COPIES).
  const measured: { n: number; mode: 'train' | 'eval'; options: Record<string, unknown>; heapMB: number }[] = [
    { n: 1000, mode: 'train', options: { dropout: 0 }, heapMB: 1546 },
    { n: 2000, mode: 'train', options: { dropout: 0 }, heapMB: 2178 },
    { n: 3000, mode: 'train', options: { dropout: 0 }, heapMB: 2754 },
    { n: 4000, mode: 'train', options: { dropout: 0 }, heapMB: 3595 },
    { n: 4500, mode: 'train', options: { dropout: 0 }, heapMB: 3922 },
    { n: 2000, mode: 'train', options: { landmarks: 128, dropout: 0 }, heapMB: 1495 },
    { n: 3000, mode: 'train', options: { landmarks: 128, dropout: 0 }, heapMB: 1979 },
    { n: 2000, mode: 'train', options: { width: 256, dropout: 0 }, heapMB: 1602 },
    { n: 2000, mode: 'train', options: { heads: 4, dropout: 0 }, heapMB: 1709 },
    { n: 2000, mode: 'train', options: { dropout: 0.1 }, heapMB: 2207 },
    { n: 4500, mode: 'train', options: { dropout: 0.1 }, heapMB: 3993 },
    { n: 2000, mode: 'eval', options: {}, heapMB: 792 },
    { n: 4000, mode: 'eval', options: {}, heapMB: 1303 },
    { n: 8000, mode: 'eval', options: {}, heapMB: 2302 },
  ];
  for (const m of measured) {
    const estimateMB = (transmilGuard(m.options, { inputDim: 1024, hiddenDim: 512, nClasses: 2 }).estimate(m.n, m.mode) as number) / 2 ** 20;
    const label = `${m.mode} N=${m.n} ${JSON.stringify(m.options)}: estimate ${estimateMB.toFixed(0)} MB, heap ${m.heapMB} MB`;
    assert.ok(estimateMB >= m.heapMB, label);
    assert.ok(estimateMB <= m.heapMB * 1.1, label);
  }
});

test('the guard passes every bag of the demo preset at TransMIL defaults on wasm, and stops a c16-like bag with the fix', () => {
  const demo = transmilGuard({}, { inputDim: PRESETS.demo.dim, hiddenDim: PRESETS.demo.dim / 2, nClasses: 2 });
  for (const mode of ['train', 'eval'] as const) {
    assert.ok((demo.estimate(PRESETS.demo.bag.max, mode) as number) < WASM_LIMIT, mode);
    demo.check('demo-largest', PRESETS.demo.bag.max, mode);
  }
  const c16 = transmilGuard({}, { inputDim: 1024, hiddenDim: 512, nClasses: 2 });
  const fitting = c16.largestFitting(8000, 'train') as number;
  assert.ok(fitting > 1000 && fitting < 8000, `largest fitting bag ${fitting}`);
  assert.ok((c16.estimate(fitting, 'train') as number) <= WASM_LIMIT);
  assert.ok((c16.estimate(fitting + 1, 'train') as number) > WASM_LIMIT);
  assert.throws(
    () => c16.check('tumor_042', 8000, 'train'),
    (err: unknown) => {
      assert.ok(err instanceof MemoryLimitError);
      assert.match(err.message, /^slide tumor_042 has 8000 instances: a training step on it with model\.arch "transmil" needs about \d+\.\d GiB, more than the wasm backend's 4\.0 GiB limit/);
      assert.match(err.message, new RegExp(`train\\.maxInstances to at most ${fitting}`));
      assert.match(err.message, /model\.landmarks or model\.width/);
      assert.match(err.message, /compute\.backend to "tensorflow"/);
      assert.ok(isInvalidInput(err));
      return true;
    },
  );
  // Evaluation needs no backward pass: the same bag fits there.
  c16.check('tumor_042', 8000, 'eval');
});

test('the tfjs runner refuses a bag over the limit before any kernel runs, and trains one under it', async () => {
  await selectBackend('cpu');
  const config = ModelSchema.parse({ arch: 'transmil', width: 16, heads: 2, landmarks: 8 });
  const dims = { inputDim: 8, hiddenDim: 4, nClasses: 2 };
  const model = createModel(config, dims, initModelParams(config, dims, SeededRandom.fromSeed(1)));
  // A limit between the real estimates of a 100- and a 3,000-instance bag.
  const probe = new MemoryGuard({ model: config, dims, backend: 'cpu' });
  const limitBytes = probe.estimate(100, 'train') as number;
  assert.ok((probe.estimate(3000, 'train') as number) > limitBytes);
  const runner = new TfjsRunner(model, 1e-5, new MemoryGuard({ model: config, dims, backend: 'cpu', limitBytes }));
  const before = await runner.exportState();
  const tensorsBefore = tf.memory().numTensors;
  await assert.rejects(runner.step(syntheticBag('big-slide', 3000, 8), undefined, 1, objective, 1e-3), (err: unknown) => {
    assert.ok(err instanceof MemoryLimitError);
    assert.match(err.message, /^slide big-slide has 3000 instances: a training step on it .* more than the cpu backend's \d+ MiB limit; set train\.maxInstances to at most \d+/);
    return true;
  });
  await assert.rejects(runner.evaluate(syntheticBag('big-slide', 3000, 8), 1, objective), /slide big-slide has 3000 instances: evaluating it/);
  assert.equal(tf.memory().numTensors, tensorsBefore, 'nothing was allocated for the refused bag');
  assert.equal((await runner.exportState()).step, before.step);
  // Subsampled to fewer rows, the same bag trains.
  const rows = Int32Array.from({ length: 90 }, (_, i) => i * 30);
  const rng = SeededRandom.fromSeed(2);
  await runner.step(syntheticBag('big-slide', 3000, 8), rows, 1, objective, 1e-3, () => rng.float());
  assert.equal((await runner.exportState()).step, before.step + 1);
  runner.dispose();
});

test('a wasm out-of-bounds fault in a step fails with the slide, N and the fix; other errors pass through', async () => {
  await selectBackend('cpu');
  let failWith: Error = new WebAssembly.RuntimeError('memory access out of bounds');
  const stub: MilModel = {
    arch: 'transmil',
    params: new Map([['w', tf.variable(tf.zeros([2]))]]),
    forward: () => {
      throw failWith;
    },
    backward: () => new Map(),
    dispose: () => {},
  };
  const config = ModelSchema.parse({ arch: 'transmil' });
  const runner = new TfjsRunner(stub, 0, new MemoryGuard({ model: config, dims: { inputDim: 4, hiddenDim: 2, nClasses: 2 }, backend: 'wasm' }));
  await assert.rejects(runner.step(syntheticBag('slide-7', 50, 4), undefined, 0, objective, 1e-3), (err: unknown) => {
    assert.ok(err instanceof MemoryLimitError);
    assert.match(err.message, /^slide slide-7 has 50 instances: a training step on it ran out of the wasm backend's memory \(4\.0 GiB\), its estimate was .* \(memory access out of bounds\); set train\.maxInstances or train\.subsample to draw fewer/);
    return true;
  });
  runner.dispose(); // after a fault it touches nothing in the heap
  failWith = new Error('something else');
  const other = new TfjsRunner(stub, 0, new MemoryGuard({ model: config, dims: { inputDim: 4, hiddenDim: 2, nClasses: 2 }, backend: 'wasm' }));
  await assert.rejects(other.evaluate(syntheticBag('slide-7', 50, 4), 0, objective), /^Error: something else$/);
  assert.equal(isWasmMemoryFault(new WebAssembly.RuntimeError('memory access out of bounds')), true);
  assert.equal(isWasmMemoryFault(new WebAssembly.RuntimeError('Aborted(). Build with -sASSERTIONS for more info.')), true);
  assert.equal(isWasmMemoryFault(new WebAssembly.RuntimeError('unreachable')), false);
  assert.equal(isWasmMemoryFault(new Error('memory access out of bounds')), false);
});

test('a run whose bag is over the limit ends failed, with the reason in summary.json', { timeout: 120_000 }, async () => {
  // In this process nothing else holds the event loop while the failed run closes its unref'd bag reader
  // (an engine worker has its IPC channel); without a handle node's runner cancels the test mid-await.
  const keepAlive = setInterval(() => undefined, 1000);
  const limits = BACKEND_MEMORY_LIMITS as Record<string, number>;
  const saved = limits.wasm as number;
  const model = { arch: 'transmil', width: 16, heads: 2, landmarks: 8 };
  // The tiny preset's smallest bag has 20 instances: a limit under a 10-instance bag's estimate stops the first step.
  const dims = { inputDim: PRESETS.tiny.dim, hiddenDim: PRESETS.tiny.dim / 2, nClasses: 2 };
  limits.wasm = new MemoryGuard({ model: ModelSchema.parse(model), dims, backend: 'wasm' }).estimate(10, 'train') as number;
  const workspace = mkdtempSync(path.join(os.tmpdir(), 'aem-memory-guard-'));
  try {
    let dir = '';
    await assert.rejects(
      trainSynthetic(workspace, { lambda: 0.1, epochs: 1, seed: 1, model, backend: 'wasm' }).then((r) => (dir = r.dir)),
      (err: unknown) => err instanceof MemoryLimitError,
    );
    assert.equal(dir, '');
    const runs = path.join(workspace, 'runs');
    const summaryFile = readdirSync(runs, { recursive: true, encoding: 'utf8' }).find((f) => path.basename(f) === 'summary.json');
    assert.ok(summaryFile, 'the run wrote summary.json');
    const summary = JSON.parse(readFileSync(path.join(runs, summaryFile), 'utf8')) as { status: string; error: string };
    assert.equal(summary.status, 'failed');
    assert.match(summary.error, /^slide \S+ has \d+ instances: a training step on it with model\.arch "transmil" needs about .* limit; set train\.maxInstances to at most \d+/);
  } finally {
    limits.wasm = saved;
    clearInterval(keepAlive);
  }
});
