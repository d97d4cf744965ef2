// The run manager against a fake engine (fixtures/fakeEngine.mjs): a clean run, a crash, a hang that
// ignores stop, garbage on the IPC channel, an invalid experiment, the queue, locks, and letting go of
// an engine that goes on training when the window closes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ConfigError } from '../../src/config/load.js';
import { readMetrics } from '../../src/trainer/runStore.js';
import { RunManager, type EngineJob, type ManagerEvent, type RunManagerOptions } from '../../src/extension/core/runManager.js';
import { readRunRecord, readRunSummary } from '../../src/extension/core/runScan.js';
import { RunLockedError, readRunLock } from '../../src/trainer/runLock.js';
import { projectRoot } from '../helpers/paths.js';

const fakeEngine = path.join(projectRoot, 'test/extension/fixtures/fakeEngine.mjs');

function workspace(): { dir: string; file: string } {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'aem-manager-'));
  const file = path.join(dir, 'fake.aem.json');
  writeFileSync(file, JSON.stringify({ name: 'fake', data: { format: 'synthetic' }, output: 'runs' }));
  return { dir, file };
}

function manager(env: Record<string, string>, extra: Partial<RunManagerOptions> = {}): { m: RunManager; events: ManagerEvent[] } {
  const m = new RunManager({ enginePath: fakeEngine, execPath: process.execPath, env: { ...process.env, ...env }, concurrency: 1, owner: `test-${Math.random()}`, stopTimeoutMs: 2000, ...extra });
  const events: ManagerEvent[] = [];
  m.onEvent((e) => events.push(e));
  return { m, events };
}

function runDirOf(events: ManagerEvent[]): string {
  for (const e of events) if (e.type === 'engine' && e.event.type === 'run-started') return e.event.runDir;
  throw new Error('no run started');
}

async function until(condition: () => boolean, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 20));
  }
}

test('a clean run streams typed events, finishes done and releases its lock', async () => {
  const { file } = workspace();
  const { m, events } = manager({ AEM_FAKE: 'ok' });
  const job = m.enqueue({ kind: 'experiment', file, seeds: [4] });
  const done = await job.done;
  assert.equal(done.exitCode, 0);
  const types = events.filter((e) => e.type === 'engine').map((e) => (e.type === 'engine' ? e.event.type : ''));
  assert.deepEqual([...new Set(types)], ['run-started', 'progress', 'epoch', 'run-finished', 'experiment-finished']);
  const runDir = runDirOf(events);
  assert.match(path.basename(runDir), /^base-s4-/);
  assert.equal(readRunSummary(runDir)?.status, 'done');
  assert.equal(readRunLock(runDir), undefined);
  assert.equal(m.runs.length, 0);
  assert.ok(done.table?.includes('configuration'));
});

test('a crashed engine marks its run failed with the last lines of its log and keeps its metrics', async () => {
  const { file } = workspace();
  const { m, events } = manager({ AEM_FAKE: 'crash' });
  const done = await m.enqueue({ kind: 'experiment', file }).done;
  assert.equal(done.exitCode, 1);
  const runDir = runDirOf(events);
  const summary = readRunSummary(runDir);
  assert.equal(summary?.status, 'failed');
  assert.match(summary?.error ?? '', /exited with code 1/);
  assert.match(summary?.error ?? '', /TypeError: boom/);
  assert.match(summary?.error ?? '', /at step \(train\.js:7:3\)/);
  assert.equal(summary?.epochsDone, 1, 'the finished epoch is kept');
  assert.equal(readMetrics(runDir).length, 3, 'train, val and test lines of the finished epoch');
  const finished = events.find((e) => e.type === 'engine' && e.event.type === 'run-finished');
  assert.ok(finished && finished.type === 'engine' && finished.event.type === 'run-finished' && finished.event.status === 'failed');
  assert.equal(readRunRecord(runDir)?.state, 'failed');
});

test('garbage on the IPC channel is reported and ignored', async () => {
  const { file } = workspace();
  const { m, events } = manager({ AEM_FAKE: 'garbage' });
  const done = await m.enqueue({ kind: 'experiment', file }).done;
  assert.equal(done.exitCode, 0);
  const garbage = events.filter((e) => e.type === 'garbage');
  assert.equal(garbage.length, 3);
  assert.equal(readRunSummary(runDirOf(events))?.status, 'done');
});

test('an engine that ignores stop is killed after the timeout and its run marked failed', async () => {
  const { file } = workspace();
  const { m, events } = manager({ AEM_FAKE: 'hang' }, { stopTimeoutMs: 300 });
  const job = m.enqueue({ kind: 'experiment', file });
  await until(() => m.runs.length === 1);
  m.stopJob(job.id);
  assert.equal(job.status, 'stopping');
  const done = await job.done;
  assert.equal(done.signal, 'SIGKILL');
  assert.match(done.note ?? '', /did not stop within/);
  const summary = readRunSummary(runDirOf(events));
  assert.equal(summary?.status, 'failed');
  assert.match(summary?.error ?? '', /did not stop within/);
});

test('stop checkpoints the run, and resume continues it to the end', async () => {
  const { file } = workspace();
  const slow = { AEM_FAKE: 'slow', AEM_FAKE_EPOCHS: '20', AEM_FAKE_EPOCH_MS: '100' };
  const { m, events } = manager(slow);
  const job = m.enqueue({ kind: 'experiment', file });
  await until(() => (m.runs[0]?.epoch ?? 0) >= 2);
  m.stopJob(job.id);
  const stopped = await job.done;
  assert.equal(stopped.exitCode, 130);
  const runDir = runDirOf(events);
  assert.equal(readRunSummary(runDir)?.status, 'stopped');
  assert.ok(existsSync(path.join(runDir, 'checkpoint-last.pack')));
  assert.equal(readRunRecord(runDir)?.state, 'stopped');

  const second = manager({ ...slow, AEM_FAKE_EPOCH_MS: '5' });
  const resumed = await second.m.enqueue({ kind: 'resume', runDir }).done;
  assert.equal(resumed.exitCode, 0);
  const started = second.events.find((e) => e.type === 'engine' && e.event.type === 'run-started');
  assert.ok(started && started.type === 'engine' && started.event.type === 'run-started' && (started.event.resumedAt?.epoch ?? 0) >= 2);
  assert.equal(readRunSummary(runDir)?.status, 'done');
  assert.equal(readRunSummary(runDir)?.epochsDone, 20);
  assert.equal(readRunLock(runDir), undefined);
  assert.throws(() => second.m.enqueue({ kind: 'resume', runDir }), /is done/);
});

test('stopping one run signals its worker', async () => {
  const { file } = workspace();
  const { m, events } = manager({ AEM_FAKE: 'slow', AEM_FAKE_EPOCHS: '50', AEM_FAKE_EPOCH_MS: '50' });
  const job = m.enqueue({ kind: 'experiment', file });
  await until(() => (m.runs[0]?.epoch ?? 0) >= 1);
  assert.equal(m.stopRun(runDirOf(events)), true);
  const done = await job.done;
  assert.equal(done.exitCode, 130);
  assert.equal(readRunSummary(runDirOf(events))?.status, 'stopped');
});

test('an invalid experiment file never spawns a process', async () => {
  const { dir } = workspace();
  const marker = path.join(dir, 'spawned.txt');
  const bad = path.join(dir, 'bad.aem.json');
  writeFileSync(bad, '{\n  "name": "bad name",\n  "data": { "format": "synthetic" },\n  "seeds": [-1]\n}\n');
  const { m, events } = manager({ AEM_FAKE: 'ok', AEM_FAKE_MARKER: marker });
  assert.throws(
    () => m.enqueue({ kind: 'experiment', file: bad }),
    (err: unknown) => err instanceof ConfigError && err.problems.length === 2 && err.problems.every((p) => p.line !== undefined),
  );
  await new Promise((r) => setTimeout(r, 200));
  assert.equal(existsSync(marker), false);
  assert.equal(events.length, 0);
  assert.equal(m.allJobs.length, 0);
});

test('an engine that rejects its input exits 2 and the job keeps its message', async () => {
  const { file } = workspace();
  const { m } = manager({ AEM_FAKE: 'invalid' });
  const done = await m.enqueue({ kind: 'experiment', file }).done;
  assert.equal(done.exitCode, 2);
  assert.ok(done.tail.some((l) => l.includes('slide s1 has no features')));
  assert.equal(done.runIds.length, 0);
});

test('launches wait in the queue beyond the concurrency', async () => {
  const { file } = workspace();
  const { m } = manager({ AEM_FAKE: 'slow', AEM_FAKE_EPOCHS: '3', AEM_FAKE_EPOCH_MS: '100' });
  const order: string[] = [];
  m.onEvent((e) => {
    if (e.type === 'job') order.push(`${e.job.id}:${e.job.status}`);
  });
  const first = m.enqueue({ kind: 'experiment', file, seeds: [0] });
  const second = m.enqueue({ kind: 'experiment', file, seeds: [1] });
  assert.equal(first.status, 'running');
  assert.equal(second.status, 'queued');
  await first.done;
  await until(() => second.status !== 'queued');
  await second.done;
  assert.equal(second.exitCode, 0);
  assert.ok(order.indexOf(`${first.id}:exited`) < order.indexOf(`${second.id}:running`));
  const cancelled = m.enqueue({ kind: 'experiment', file });
  const blocker = m.enqueue({ kind: 'experiment', file });
  m.stopJob(blocker.id);
  assert.equal((await blocker.done).note, 'removed from the queue before it started');
  await cancelled.done;
});

test('two managers never resume the same run at once', async () => {
  const { file } = workspace();
  const first = manager({ AEM_FAKE: 'slow', AEM_FAKE_EPOCHS: '40', AEM_FAKE_EPOCH_MS: '50' });
  const job = first.m.enqueue({ kind: 'experiment', file });
  await until(() => (first.m.runs[0]?.epoch ?? 0) >= 1);
  first.m.stopJob(job.id);
  await job.done;
  const runDir = runDirOf(first.events);

  const a = manager({ AEM_FAKE: 'slow', AEM_FAKE_EPOCHS: '40', AEM_FAKE_EPOCH_MS: '50' });
  const b = manager({ AEM_FAKE: 'slow', AEM_FAKE_EPOCHS: '40', AEM_FAKE_EPOCH_MS: '50' });
  const resumed = a.m.enqueue({ kind: 'resume', runDir });
  await until(() => a.m.runs.length === 1);
  assert.equal(readRunLock(runDir)?.enginePid, resumed.pid);
  assert.throws(() => b.m.enqueue({ kind: 'resume', runDir }), (err: unknown) => err instanceof Error && /is running|already being trained/.test(err.message));
  a.m.stopJob(resumed.id);
  await resumed.done;
  assert.equal(readRunLock(runDir), undefined);
});

test('a stale lock does not block a resume', async () => {
  const { file } = workspace();
  const first = manager({ AEM_FAKE: 'crash' });
  await first.m.enqueue({ kind: 'experiment', file }).done;
  const runDir = runDirOf(first.events);
  writeFileSync(path.join(runDir, 'run.lock'), JSON.stringify({ owner: 'gone', hostPid: 999999, enginePid: 999998, at: new Date().toISOString() }));
  const { m } = manager({ AEM_FAKE: 'ok' });
  const done = await m.enqueue({ kind: 'resume', runDir }).done;
  assert.equal(done.exitCode, 0);
  assert.equal(readRunSummary(runDir)?.status, 'done');
  assert.throws(() => new RunManager({ enginePath: fakeEngine, execPath: process.execPath, concurrency: 1, owner: 'x' }).enqueue({ kind: 'resume', runDir: path.join(runDir, 'nope') }), /not a run folder/);
  assert.ok(RunLockedError);
});

test('dispose lets the engine train on, and the run store shows it running, then done', async () => {
  const { file, dir } = workspace();
  const { m, events } = manager({ AEM_FAKE: 'slow', AEM_FAKE_EPOCHS: '12', AEM_FAKE_EPOCH_MS: '100' });
  const job: EngineJob = m.enqueue({ kind: 'experiment', file });
  await until(() => (m.runs[0]?.epoch ?? 0) >= 1);
  const runDir = runDirOf(events);
  m.dispose();
  assert.equal(readRunRecord(runDir)?.state, 'running');
  assert.ok(job.pid !== undefined && readRunLock(runDir)?.enginePid === job.pid);
  await until(() => readRunSummary(runDir)?.status === 'done', 10_000);
  assert.equal(readMetrics(runDir).filter((l) => l.split === 'test').length, 12);
  mkdirSync(path.join(dir, 'unrelated'), { recursive: true });
  assert.equal(readFileSync(path.join(runDir, 'config.json'), 'utf8').includes('"runId"'), true);
});
