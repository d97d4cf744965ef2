// The tree's SLURM overlay: the engine's `queue --json` answer (built here from SLURM 22.05 outputs
// recorded on the one-node cluster, test/fixtures/slurm/) read back by run folder, the words the tree
// shows for pending, running, requeued and failed tasks, and when a poll reports a change.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { projectRoot } from '../helpers/paths.js';
import { mergeTaskStates, parseScontrolShowJob, parseSqueue, type SlurmTaskState } from '../../src/trainer/cluster/slurmParse.js';
import { ClusterWatch, parseQueueAnswer, slurmIsLive, type SlurmView } from '../../src/extension/core/clusterWatch.js';
import type { ClusterCliAnswer } from '../../src/extension/core/clusterCli.js';
import { runDescription, runTooltip } from '../../src/extension/core/runFormat.js';
import type { RunRecord } from '../../src/extension/core/runScan.js';

const recorded = (name: string) => readFileSync(path.join(projectRoot, 'test', 'fixtures', 'slurm', name), 'utf8');

/** The answer `aem-train queue --json` writes (clusterStatus), through JSON as it travels. */
function queueAnswer(tasks: SlurmTaskState[], tails: Record<string, string[]> = {}): unknown {
  const runs = tasks.map((slurm) => ({ runId: `run-${slurm.jobId}`, runDir: `/runs/exp/${slurm.jobId}`, cluster: { jobId: slurm.arrayJobId }, store: null, slurm, outputTail: tails[slurm.jobId] ?? [] }));
  return JSON.parse(JSON.stringify({ runs, accounting: false })) as unknown;
}

const arrayTasks = [...mergeTaskStates(parseSqueue(recorded('squeue-array.txt')), parseScontrolShowJob(recorded('scontrol-array.txt')), []).values()];

function record(state: RunRecord['state'], extra: Partial<RunRecord> = {}): RunRecord {
  return { runId: 'lambda0-s0-x', dir: '/runs/exp/x', experiment: 'exp', configLabel: 'lambda0', seed: 0, sweepValues: { 'aem.lambda': 0 }, state, epochsDone: 0, epochs: 12, bestEpoch: null, bestTestAuroc: null, createdAt: '', cluster: { jobId: '1', arrayIndex: 0 }, ...extra };
}

test('the queue answer of real squeue + scontrol output reads back by run folder: pending with its reason, running on its node', () => {
  const views = parseQueueAnswer(queueAnswer(arrayTasks));
  const pending = views.get('/runs/exp/1_2');
  assert.deepEqual([pending?.state, pending?.reason, pending?.node], ['PENDING', 'JobArrayTaskLimit', null]);
  const running = views.get('/runs/exp/1_1');
  assert.deepEqual([running?.state, running?.node, running?.task], ['RUNNING', 'vm', '1_1']);
  assert.ok(slurmIsLive(pending) && slurmIsLive(running));
});

test('a malformed queue answer is an error, not an empty queue', () => {
  assert.throws(() => parseQueueAnswer({ runs: [{ runDir: 3 }], accounting: false }), /queue answer is malformed/);
  assert.throws(() => parseQueueAnswer(null), /queue answer is malformed/);
});

test('the tree says queued with SLURM\'s reason, where a run trains, and a failed task\'s exit code and output tail', () => {
  const views = parseQueueAnswer(queueAnswer(arrayTasks));
  assert.equal(runDescription(record('pending'), undefined, views.get('/runs/exp/1_2')), 'queued · SLURM pending (JobArrayTaskLimit)');
  assert.equal(runDescription(record('pending'), undefined, views.get('/runs/exp/1_1')), 'starting · on vm');
  assert.equal(runDescription(record('running', { epochsDone: 2, heartbeat: { pid: 7, host: 'vm', at: new Date().toISOString(), epoch: 2, iter: 5, status: 'running' } }), undefined, views.get('/runs/exp/1_1')), 'running · epoch 3/12 · on vm');

  const [failedTask] = parseScontrolShowJob(recorded('scontrol-failed.txt'));
  assert.ok(failedTask);
  const failed = parseQueueAnswer(queueAnswer([failedTask], { [failedTask.jobId]: ['aem-train: the run folder /x is not visible on node7'] })).get(`/runs/exp/${failedTask.jobId}`);
  assert.ok(failed && !slurmIsLive(failed));
  assert.equal(runDescription(record('failed', { epochsDone: 0 }), undefined, failed), 'failed · 0/12 epochs · SLURM FAILED exit 3');
  const tooltip = runTooltip(record('failed'), failed);
  assert.match(tooltip, /SLURM task \S+: FAILED \(NonZeroExitCode\)/);
  assert.match(tooltip, /exit code: 3/);
  assert.match(tooltip, /SLURM output, last lines[^\n]*\n {2}aem-train: the run folder \/x is not visible on node7/);

  const [requeued] = parseScontrolShowJob(recorded('scontrol-requeued.txt'));
  assert.ok(requeued);
  const view = parseQueueAnswer(queueAnswer([requeued])).get(`/runs/exp/${requeued.jobId}`) as SlurmView;
  assert.equal(runDescription(record('stopped', { epochsDone: 3 }), undefined, view), 'stopped · 3/12 epochs · SLURM pending (BeginTime)');
  assert.match(runTooltip(record('stopped'), view), /restarts: 1/);
  // Done or failed while the task is still RUNNING (it is exiting): the node is not added.
  const exiting = views.get('/runs/exp/1_1');
  assert.equal(exiting?.state, 'RUNNING');
  assert.equal(runDescription(record('done', { bestTestAuroc: 0.514 }), undefined, exiting), 'done · test AUROC 0.514');
  assert.equal(runDescription(record('failed', { epochsDone: 4 }), undefined, exiting), 'failed · 4/12 epochs');
  // Done and COMPLETED: nothing to add.
  assert.equal(runDescription(record('done', { bestTestAuroc: 0.9 }), undefined, { ...view, state: 'COMPLETED', reason: null }), 'done · test AUROC 0.900');
});

test('a poll reports a change only when SLURM\'s answer changed, and keeps the engine\'s error for the experiment', async () => {
  let answer: ClusterCliAnswer = { ok: true, messages: [], queue: queueAnswer(arrayTasks) };
  const asked: string[] = [];
  const watch = new ClusterWatch((file) => {
    asked.push(file);
    return Promise.resolve(answer);
  });
  assert.equal(await watch.poll([]), false, 'nothing to ask: no query');
  assert.deepEqual(asked, []);
  assert.equal(await watch.poll(['/w/exp.aem.json']), true);
  assert.equal(watch.viewOf('/runs/exp/1_2')?.state, 'PENDING');
  assert.equal(await watch.poll(['/w/exp.aem.json']), false, 'the same answer again');
  const started = arrayTasks.map((t) => (t.jobId === '1_2' ? { ...t, state: 'RUNNING', reason: null, node: 'vm' } : t));
  answer = { ok: true, messages: [], queue: queueAnswer(started) };
  assert.equal(await watch.poll(['/w/exp.aem.json']), true);
  assert.equal(watch.viewOf('/runs/exp/1_2')?.node, 'vm');
  answer = { ok: false, messages: [], error: 'squeue is not on PATH: run this on a SLURM login node' };
  assert.equal(await watch.poll(['/w/exp.aem.json']), true);
  assert.match(watch.problemOf('/w/exp.aem.json') ?? '', /squeue is not on PATH/);
  assert.equal(watch.viewOf('/runs/exp/1_2')?.node, 'vm', 'the last known view stays');
  assert.deepEqual(asked, Array(4).fill('/w/exp.aem.json'));
});
