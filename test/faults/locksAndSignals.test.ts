// One run is trained by one process at a time (run.lock, for the CLI as for the extension), and a CLI
// that is stopped by SIGTERM or SIGHUP, or killed outright, leaves runs that resume exactly.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { EngineEvent, RunSummary } from '../../src/protocol/events.js';
import { readMetrics } from '../../src/trainer/runStore.js';
import { EngineLocks, LOCK_FILE, readRunLock, RunLockedError } from '../../src/trainer/runLock.js';
import { readJson, runEngine, startEngine, tinyExperiment, waitUntil, type StartedEngine } from '../helpers/engineProcess.js';
import { comparable } from '../helpers/syntheticRun.js';

const work = mkdtempSync(path.join(os.tmpdir(), 'aem-locks-signals-'));
after(() => rmSync(work, { recursive: true, force: true }));

const EPOCHS = 4;
let file = '';
let reference: unknown[] = [];

before(async () => {
  file = tinyExperiment(work, 'sig', { epochs: EPOCHS });
  const r = await runEngine([file, '--json'], work, 120_000);
  assert.equal(r.code, 0, r.stderr);
  const dir = path.join(work, 'runs', 'sig', readdirSync(path.join(work, 'runs', 'sig'))[0] as string);
  reference = comparable(readMetrics(dir));
  assert.equal(reference.length, EPOCHS * 3);
});

const runDirOf = async (engine: StartedEngine): Promise<string> => {
  const started = await engine.waitForEvent((e) => e.type === 'run-started');
  assert.ok(started.type === 'run-started');
  return started.runDir;
};
const firstEpoch = (e: EngineEvent) => e.type === 'epoch' && e.epoch === 0;

/** Every (epoch, split) once, in order, and the same numbers as the uninterrupted run. */
function assertExact(dir: string): void {
  const lines = readMetrics(dir);
  const keys = lines.map((l) => `${l.epoch}/${l.split}`);
  assert.equal(new Set(keys).size, keys.length, `an epoch was written twice: ${keys.join(' ')}`);
  assert.deepEqual(comparable(lines), reference);
}

for (const [signal, code] of [
  ['SIGTERM', 143],
  ['SIGHUP', 129],
] as const) {
  test(`${signal} to the CLI: every run checkpoints and stops (exit ${code}), and resumes exactly`, async () => {
    const engine = startEngine([file, '--json'], work);
    const dir = await runDirOf(engine);
    await engine.waitForEvent(firstEpoch);
    engine.child.kill(signal);
    const r = await engine.exited;
    assert.equal(r.code, code, r.stderr);
    assert.ok(engine.events.some((e) => e.type === 'log' && e.message.includes(`stopping (${signal})`)), 'it says it is stopping');
    assert.equal(readJson<RunSummary>(path.join(dir, 'summary.json')).status, 'stopped');
    assert.equal(existsSync(path.join(dir, LOCK_FILE)), false);
    const resumed = await runEngine(['--resume', dir], work, 60_000);
    assert.equal(resumed.code, 0, resumed.stderr);
    assertExact(dir);
  });
}

test('kill -9 of the CLI: its worker saves a checkpoint and stops (summary "stopped"), and the run resumes exactly', async () => {
  const engine = startEngine([file, '--json'], work);
  const dir = await runDirOf(engine);
  await engine.waitForEvent(firstEpoch);
  engine.child.kill('SIGKILL');
  await engine.exited;
  await waitUntil(() => readJson<RunSummary>(path.join(dir, 'summary.json')).status !== 'running', 30_000, 'the orphaned worker to stop');
  assert.equal(readJson<RunSummary>(path.join(dir, 'summary.json')).status, 'stopped');
  const resumed = await runEngine(['--resume', dir], work, 60_000);
  assert.equal(resumed.code, 0, resumed.stderr);
  assertExact(dir);
});

test('a resume while the run trains, and a second resume of a resuming run, exit 2 naming the holder; epochs are written once', async () => {
  const engine = startEngine([file, '--json'], work);
  const dir = await runDirOf(engine);
  const whileTraining = await runEngine(['--resume', dir], work, 20_000);
  assert.equal(whileTraining.code, 2, whileTraining.stderr);
  assert.match(whileTraining.stderr, new RegExp(`already being trained \\(run\\.lock held by pid ${engine.child.pid} on host ${os.hostname()}`));
  assert.match(whileTraining.stderr, /--break-lock/);
  await engine.waitForEvent(firstEpoch);
  engine.child.kill('SIGINT');
  assert.equal((await engine.exited).code, 130);

  const first = startEngine(['--resume', dir, '--json'], work);
  await first.waitForEvent((e) => e.type === 'run-started');
  const second = await runEngine(['--resume', dir], work, 20_000);
  assert.equal(second.code, 2, second.stderr);
  assert.match(second.stderr, /already being trained/);
  const r = await first.exited;
  assert.equal(r.code, 0, r.stderr);
  assertExact(dir);
});

test('Ctrl-C before every run started: the table marks partial rows, lists unstarted runs and prints the resume command', async () => {
  const two = tinyExperiment(path.join(work, 'two'), 'two', { epochs: 2, seeds: [0, 1] });
  const engine = startEngine([two, '--json'], path.join(work, 'two'));
  await engine.waitForEvent(firstEpoch);
  engine.child.kill('SIGINT');
  const r = await engine.exited;
  assert.equal(r.code, 130, r.stderr);
  const finished = engine.events.find((e) => e.type === 'experiment-finished');
  assert.ok(finished?.type === 'experiment-finished');
  const table = finished.table;
  assert.match(table, /^base \*/m);
  assert.match(table, /\* includes 1 run that did not finish/);
  assert.match(table, /not started: 1 run \(base-s1-/);
  const command = /resume with: aem-train (.+)$/m.exec(table)?.[1];
  assert.ok(command, table);
  const args = command.split(' ');
  assert.equal(args.filter((a) => a === '--resume').length, 2);
  const resumed = await runEngine(args, path.join(work, 'two'), 120_000);
  assert.equal(resumed.code, 0, resumed.stderr);
  assert.doesNotMatch(resumed.stdout, /\*|resume with/);
});

test('run.lock: a dead holder is replaced, another host is refused until --break-lock, a lock the parent took is ours', () => {
  const dir = path.join(work, 'lockdir');
  mkdirSync(dir, { recursive: true });
  const lockFile = path.join(dir, LOCK_FILE);
  const locks = new EngineLocks();

  writeFileSync(lockFile, JSON.stringify({ owner: 'aem-train-1', hostPid: 999_999_999, enginePid: 999_999_999, host: os.hostname(), at: '2026-01-01T00:00:00Z' }));
  locks.take(dir);
  assert.equal(readRunLock(dir)?.enginePid, process.pid);
  locks.release(dir);
  assert.equal(existsSync(lockFile), false);

  writeFileSync(lockFile, JSON.stringify({ owner: 'aem-train-7', hostPid: 7, enginePid: 7, host: 'elsewhere', at: '2026-01-01T00:00:00Z' }));
  assert.throws(() => locks.take(dir), (err: unknown) => err instanceof RunLockedError && /pid 7 on host elsewhere/.test(err.message) && /--break-lock/.test(err.message));
  const broken = locks.take(dir, { breakLock: true });
  assert.equal(broken?.host, 'elsewhere');
  assert.equal(readRunLock(dir)?.enginePid, process.pid);
  locks.release(dir);

  writeFileSync(lockFile, JSON.stringify({ owner: 'window-1', hostPid: process.ppid, enginePid: process.pid, host: os.hostname(), at: new Date().toISOString() }));
  assert.equal(locks.take(dir), undefined);
  assert.equal(readRunLock(dir)?.owner, 'window-1', 'the parent keeps its lock');
});
