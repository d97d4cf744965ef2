// The parsers of squeue / scontrol show job / sacct, on outputs recorded from SLURM 22.05 (Debian
// bookworm, one-node cluster, test/fixtures/slurm/).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { projectRoot } from '../helpers/paths.js';
import { expandTaskIds, mergeTaskStates, parseSacct, parseScontrolShowJob, parseSqueue, scontrolFields } from '../../src/trainer/cluster/slurmParse.js';

const recorded = (name: string) => readFileSync(path.join(projectRoot, 'test', 'fixtures', 'slurm', name), 'utf8');

test('squeue -r: each array task with its state, pending reason and node; a plain job has no index', () => {
  const tasks = parseSqueue(recorded('squeue-mixed.txt'));
  assert.equal(tasks.length, 5);
  const byId = new Map(tasks.map((t) => [t.jobId, t]));
  assert.deepEqual(
    [byId.get('1_2')?.state, byId.get('1_2')?.reason, byId.get('1_2')?.node, byId.get('1_2')?.arrayIndex],
    ['PENDING', 'JobArrayTaskLimit', null, 2],
  );
  assert.deepEqual([byId.get('1_0')?.state, byId.get('1_0')?.reason, byId.get('1_0')?.node], ['RUNNING', null, 'vm']);
  const plain = byId.get('4');
  assert.equal(plain?.arrayIndex, null);
  assert.equal(plain?.reason, 'Resources');
  assert.equal(plain?.timeLimit, 'UNLIMITED');
});

test('scontrol show job of an array: the pending remainder 2-3%2 stands for tasks 2 and 3; running tasks have node and output file', () => {
  const tasks = parseScontrolShowJob(recorded('scontrol-array.txt'));
  const ids = tasks.map((t) => t.jobId).sort();
  assert.deepEqual(ids, ['1_0', '1_1', '1_2', '1_3']);
  const pending = tasks.find((t) => t.jobId === '1_2');
  assert.equal(pending?.state, 'PENDING');
  assert.equal(pending?.reason, 'JobArrayTaskLimit');
  assert.equal(pending?.outputFile, null, 'the remainder names the NO_VAL file 1_4294967294.out, not a real one');
  const running = tasks.find((t) => t.jobId === '1_1');
  assert.equal(running?.node, 'vm');
  assert.equal(running?.outputFile, '/tmp/rec/1_1.out');
  assert.equal(running?.exitCode, 0);
  assert.equal(running?.restarts, 0);
});

test('scontrol show job of a failed job: the exit code of the script and NonZeroExitCode', () => {
  const [task] = parseScontrolShowJob(recorded('scontrol-failed.txt'));
  assert.equal(task?.state, 'FAILED');
  assert.equal(task?.reason, 'NonZeroExitCode');
  assert.equal(task?.exitCode, 3);
  assert.equal(task?.exitSignal, 0);
});

test('scontrol show job of a requeued job: pending on BeginTime, one restart', () => {
  const [task] = parseScontrolShowJob(recorded('scontrol-requeued.txt'));
  assert.equal(task?.state, 'PENDING');
  assert.equal(task?.reason, 'BeginTime');
  assert.equal(task?.restarts, 1);
  assert.equal(task?.node, null);
});

test('scontrol fields keep a value with spaces whole', () => {
  const f = scontrolFields('JobId=9 JobName=my job Partition=debug');
  assert.equal(f.get('JobName'), 'my job');
  assert.equal(f.get('Partition'), 'debug');
});

test('array task id lists: ranges, steps, commas and a throttle', () => {
  assert.deepEqual(expandTaskIds('2-3%2'), [2, 3]);
  assert.deepEqual(expandTaskIds('1,4-5'), [1, 4, 5]);
  assert.deepEqual(expandTaskIds('0-6:3'), [0, 3, 6]);
  assert.deepEqual(expandTaskIds('7'), [7]);
});

test('sacct on a cluster without accounting: recognised as unavailable, with SLURM\'s message', () => {
  const r = parseSacct(recorded('sacct-disabled.txt'), 1);
  assert.equal(r.available, false);
  assert.match(r.available ? '' : r.message, /accounting storage is disabled/);
});

test('sacct --parsable2: allocation lines only (steps skipped), "CANCELLED by 0" read as CANCELLED', () => {
  // The shape of `sacct -n -P -o JobID,State,ExitCode,NodeList,Reason,Elapsed,Timelimit` (22.05 man page):
  // this cluster has no accounting to record it from.
  const text = ['12_0|COMPLETED|0:0|vm|None|00:00:05|00:10:00', '12_0.batch|COMPLETED|0:0|vm||00:00:05|', '12_1|CANCELLED by 0|0:15|vm|None|00:00:02|00:10:00', '12_2|PENDING|0:0|None assigned|Priority|00:00:00|00:10:00', ''].join('\n');
  const r = parseSacct(text);
  assert.ok(r.available);
  if (!r.available) return;
  assert.deepEqual(
    r.tasks.map((t) => [t.jobId, t.state, t.exitCode, t.exitSignal, t.node, t.reason]),
    [
      ['12_0', 'COMPLETED', 0, 0, 'vm', null],
      ['12_1', 'CANCELLED', 0, 15, 'vm', null],
      ['12_2', 'PENDING', 0, 0, null, 'Priority'],
    ],
  );
});

test('merging: squeue\'s live state wins, scontrol fills the exit code and output file', () => {
  const live = parseSqueue(recorded('squeue-array.txt'));
  const shown = parseScontrolShowJob(recorded('scontrol-array.txt'));
  const merged = mergeTaskStates(live, shown);
  const t = merged.get('1_0');
  assert.equal(t?.state, 'RUNNING');
  assert.equal(t?.outputFile, '/tmp/rec/1_0.out');
  assert.equal(t?.restarts, 0);
  assert.equal(merged.size, 4);
});
