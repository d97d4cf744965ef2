// A training worker or a bag reader thread that dies: the run store says failed with the reason (never
// "running"), and a reader thread that exits with reads pending is started again once, its reads retried.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { BagReaderPool } from '../../src/data/bagReaderPool.js';
import { writeFeatureH5 } from '../../src/data/syntheticH5.js';
import type { RunSummary } from '../../src/protocol/events.js';
import { readJson, startEngine, tinyExperiment } from '../helpers/engineProcess.js';

const work = mkdtempSync(path.join(os.tmpdir(), 'aem-worker-faults-'));
after(() => rmSync(work, { recursive: true, force: true }));

const exitingWorker = new URL('../helpers/exitingBagReaderWorker.js', import.meta.url);

async function oneBag(): Promise<{ file: string; features: Float32Array }> {
  const file = path.join(work, 'slide.h5');
  const features = Float32Array.from({ length: 4 * 3 }, (_, i) => i / 10);
  await writeFeatureH5(file, { n: 4, d: 3, dtype: 'float32', features, coords: new Int32Array(8), coordAttrs: { patch_size: 256, patch_level: 0 } });
  return { file, features };
}

function readerThatDies(deaths: number, restarts: string[]): BagReaderPool {
  const counter = path.join(work, `deaths-${deaths}-${Date.now()}`);
  writeFileSync(counter, String(deaths));
  // Threads copy the environment when they start: it stays set for the restarted one.
  process.env.AEM_TEST_READER_DEATHS = counter;
  return new BagReaderPool({ workerUrl: exitingWorker, onRestart: (reason, retried) => restarts.push(`${reason}; ${retried}`) });
}

test('a bag reader thread that exits (code 0) with a read pending is started again and the read retried', async () => {
  const { file, features } = await oneBag();
  const restarts: string[] = [];
  const pool = readerThatDies(1, restarts);
  try {
    const { bag } = await pool.read({ kind: 'h5', path: file }, 'slide');
    assert.deepEqual(Array.from(bag.features as Float32Array), Array.from(features));
    assert.deepEqual(restarts, ['exited (code 0); 1']);
    const again = await pool.read({ kind: 'h5', path: file }, 'slide');
    assert.equal(again.bag.n, 4);
  } finally {
    delete process.env.AEM_TEST_READER_DEATHS;
    await pool.close();
  }
});

test('a reader thread that dies again fails its reads, saying so', async () => {
  const { file } = await oneBag();
  const restarts: string[] = [];
  const pool = readerThatDies(2, restarts);
  try {
    await assert.rejects(pool.read({ kind: 'h5', path: file }, 'slide'), /the bag reader thread exited \(code 0\) with 1 read\(s\) pending, after it had been restarted/);
    assert.equal(restarts.length, 1);
  } finally {
    delete process.env.AEM_TEST_READER_DEATHS;
    await pool.close();
  }
});

test('kill -9 of a training worker: summary.json says failed with the reason, the lock is gone, no tfjs banner quoted', async () => {
  const file = tinyExperiment(work, 'killed', { epochs: 3 });
  const engine = startEngine([file, '--json'], work);
  const started = await engine.waitForEvent((e) => e.type === 'run-started');
  assert.ok(started.type === 'run-started');
  await engine.waitForEvent((e) => e.type === 'epoch');
  const heartbeat = JSON.parse(readFileSync(path.join(started.runDir, 'heartbeat.json'), 'utf8')) as { pid: number };
  assert.notEqual(heartbeat.pid, engine.child.pid);
  process.kill(heartbeat.pid, 'SIGKILL');
  const r = await engine.exited;
  assert.equal(r.code, 1, r.stderr);
  const summary = readJson<RunSummary>(path.join(started.runDir, 'summary.json'));
  assert.equal(summary.status, 'failed');
  assert.match(summary.error ?? '', /the training process was killed by SIGKILL/);
  assert.doesNotMatch(summary.error ?? '', /Hi, looks like|={10}/);
  assert.ok(!engine.events.some((e) => e.type === 'log' && /Hi, looks like you are running TensorFlow/.test(e.message)), 'the tfjs banner is filtered');
  assert.equal(existsSync(path.join(started.runDir, 'run.lock')), false);
});
