// `aem-train --resume` on run folders that cannot be resumed: each case exits within 10 s with code 2
// and a message naming the file (it used to print the error and then hang on an open reader thread).
// A finished run says so and exits 0; a project folder that moved is found again from the run folder.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { RunSummary } from '../../src/protocol/events.js';
import { readTensorPack, writeTensorPack } from '../../src/trainer/tensorPack.js';
import { readJson, runEngine, tinyExperiment } from '../helpers/engineProcess.js';

const work = mkdtempSync(path.join(os.tmpdir(), 'aem-resume-faults-'));
after(() => rmSync(work, { recursive: true, force: true }));

const DEADLINE_MS = 10_000;
let finishedRun = '';

/** A copy of the finished run that claims to be stopped: resumable, until something in it is broken. */
function stoppedCopy(name: string): string {
  const dir = path.join(work, 'runs', 'resume', name);
  cpSync(finishedRun, dir, { recursive: true });
  const summary = readJson<RunSummary>(path.join(dir, 'summary.json'));
  writeFileSync(path.join(dir, 'summary.json'), JSON.stringify({ ...summary, status: 'stopped' }));
  return dir;
}

before(async () => {
  const file = tinyExperiment(work, 'resume', { epochs: 1 });
  const r = await runEngine([file], work, 120_000);
  assert.equal(r.code, 0, r.stderr);
  const runs = readdirSync(path.join(work, 'runs', 'resume'));
  assert.equal(runs.length, 1);
  finishedRun = path.join(work, 'runs', 'resume', runs[0] as string);
});

async function assertRefused(dir: string, message: RegExp): Promise<void> {
  const r = await runEngine(['--resume', dir], work, DEADLINE_MS);
  assert.equal(r.timedOut, false, `the CLI was still running after ${DEADLINE_MS} ms (it hangs); stderr:\n${r.stderr}`);
  assert.equal(r.code, 2, r.stderr);
  assert.match(r.stderr, message);
  assert.doesNotMatch(r.stderr, /\n\s+at .+:\d+:\d+/, 'no stack trace');
  assert.equal(existsSync(path.join(dir, 'run.lock')), false, 'the lock is released');
}

test('a truncated checkpoint-last.pack: exit 2 within 10 s, naming the file', async () => {
  const dir = stoppedCopy('truncated-checkpoint');
  const pack = path.join(dir, 'checkpoint-last.pack');
  // Cut the file in its header.
  writeFileSync(pack, readFileSync(pack).subarray(0, 200));
  await assertRefused(dir, /checkpoint-last\.pack: truncated/);
  assert.equal(readJson<RunSummary>(path.join(dir, 'summary.json')).status, 'stopped', 'a refused resume leaves the run as it was');
});

test('a checkpoint whose arrays have another shape than the model: exit 2 within 10 s', async () => {
  const dir = stoppedCopy('other-shape');
  const pack = path.join(dir, 'checkpoint-last.pack');
  const { meta, arrays } = readTensorPack<unknown>(pack);
  const reshaped = [...arrays].map(([name, a], i) => (i === 0 ? { name, shape: [1], data: a.data.subarray(0, 1) } : { name, shape: a.shape, data: a.data }));
  writeTensorPack(pack, meta, reshaped);
  await assertRefused(dir, /another shape than the model/);
});

test('a summary.json cut short: exit 2 within 10 s, naming the file and the fix', async () => {
  const dir = stoppedCopy('short-summary');
  writeFileSync(path.join(dir, 'summary.json'), '{"runId": "x", "stat');
  await assertRefused(dir, /summary\.json is cut short or corrupt.*delete it/);
});

test('a corrupt or incomplete config.json and a missing folder: exit 2 with a plain message', async () => {
  const dir = stoppedCopy('bad-config');
  writeFileSync(path.join(dir, 'config.json'), '{"runId": "x"');
  await assertRefused(dir, /config\.json is cut short or corrupt/);
  writeFileSync(path.join(dir, 'config.json'), '{}');
  await assertRefused(dir, /config\.json is not a run config \(missing or invalid: runId, baseDir/);
  await assertRefused(path.join(work, 'runs', 'nope'), /no such run folder: .*nope/);
});

test('resuming a finished run says it is finished and exits 0, training nothing', async () => {
  const before = readJson<RunSummary>(path.join(finishedRun, 'summary.json'));
  const r = await runEngine(['--resume', finishedRun], work, DEADLINE_MS);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /is finished \(1 of 1 epochs, best epoch 1\): nothing to resume/);
  assert.doesNotMatch(r.stderr, /resuming at epoch/);
  assert.deepEqual(readJson<RunSummary>(path.join(finishedRun, 'summary.json')), before);
});

test('after the project folder moved, resume finds the data next to the run folder and says so', async () => {
  const original = path.join(work, 'project-before');
  const file = tinyExperiment(original, 'moving', { epochs: 1 });
  const first = await runEngine([file], original, 120_000);
  assert.equal(first.code, 0, first.stderr);
  const moved = path.join(work, 'project-after');
  cpSync(original, moved, { recursive: true });
  rmSync(original, { recursive: true, force: true });
  const runDir = path.join(moved, 'runs', 'moving', readdirSync(path.join(moved, 'runs', 'moving'))[0] as string);
  const summary = readJson<RunSummary>(path.join(runDir, 'summary.json'));
  writeFileSync(path.join(runDir, 'summary.json'), JSON.stringify({ ...summary, status: 'stopped' }));
  const r = await runEngine(['--resume', runDir], moved, 60_000);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /project-before no longer exists: the project seems to have moved, so data paths of .* resolve against .*project-after/);
  assert.equal(readJson<{ baseDir: string }>(path.join(runDir, 'config.json')).baseDir, moved);
  assert.equal(existsSync(original), false, 'nothing is written at the old place');
});
