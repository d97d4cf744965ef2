// Runs that are still training count in the notebooks (include: live, the default): a run whose engine
// heartbeat is fresh is read at its best epoch so far, its group says "(N training)", the notes name it
// with its epochs, curves draw the epochs it has, and the output says how many runs train (what a
// `live: true` cell re-runs on). A stale heartbeat is an interrupted run, left out unless include: all.
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import path from 'node:path';
import { loadRuns } from '../../src/notebook/collect.js';
import { runComparison } from '../../src/notebook/compare.js';
import { LiveReruns, wantsRerun } from '../../src/notebook/liveReruns.js';
import { parseQuery } from '../../src/notebook/query.js';
import { ComparisonOutputSchema, type ComparisonOutput } from '../../src/protocol/notebook.js';
import type { RunSummary } from '../../src/protocol/events.js';
import { HEARTBEAT_FILE, HEARTBEAT_STALE_MS } from '../../src/trainer/liveness.js';
import { writeRun, writeStore } from './fixture.js';

const root = writeStore();
after(() => rmSync(root, { recursive: true, force: true }));

/** A run of exp-cos, lambda 0.1, seed 7 that has trained 2 of its 5 epochs, best so far epoch 1 (0-based). */
function trainingRun(seed: number, heartbeatAgeMs: number): string {
  const dir = writeRun(root, { experiment: 'exp-cos', lambda: 0.1, schedule: 'cosine', seed, epochs: 2, bestEpoch: 1, status: 'running', auroc: (e) => 0.6 + 0.1 * e, entropy: 4 });
  const summaryFile = path.join(dir, 'summary.json');
  const summary = JSON.parse(readFileSync(summaryFile, 'utf8')) as RunSummary;
  writeFileSync(summaryFile, JSON.stringify({ ...summary, epochs: 5, epochsDone: 2 }));
  const at = new Date(Date.now() - heartbeatAgeMs).toISOString();
  writeFileSync(path.join(dir, HEARTBEAT_FILE), JSON.stringify({ pid: process.pid, host: hostname(), at, epoch: 2, iter: 3, status: 'running' }));
  return dir;
}
trainingRun(7, 0);
trainingRun(8, HEARTBEAT_STALE_MS + 5000);
const runs = loadRuns([root]);
const live = 'exp-cos/lambda0.1-s7-20260101-000000';
const stale = 'exp-cos/lambda0.1-s8-20260101-000000';

function run(text: string): ComparisonOutput {
  const out = runComparison(parseQuery(text), runs);
  assert.deepEqual(ComparisonOutputSchema.parse(JSON.parse(JSON.stringify(out))), out);
  return out;
}

describe('notebooks with runs still training', () => {
  it('reads the heartbeat: fresh is live, with its epochs so far; stale is not', () => {
    const s7 = runs.find((r) => r.name === live);
    const s8 = runs.find((r) => r.name === stale);
    assert.deepEqual([s7?.live, s7?.epochsDone, s7?.epochs, s7?.bestEpoch], [true, 2, 5, 1]);
    assert.equal(s8?.live, false);
    assert.ok(runs.filter((r) => r.status === 'done').every((r) => !r.live && r.epochsDone === 3 && r.epochs === 3));
  });

  it('table: counts the training run at its best epoch so far, labels its group and names it in the notes', () => {
    const out = run('runs: exp-cos/*\nmetrics: test.auroc');
    if (out.kind !== 'table') return assert.fail(out.kind);
    assert.deepEqual(out.rows.map((r) => [r.group, r.seeds]), [['aem.lambda=0', 5], ['aem.lambda=0.1 (1 training)', 6]]);
    const values = out.rows[1]?.cells[0]?.values ?? [];
    assert.ok(values.some((v) => Math.abs(v - 0.7) < 1e-12), `the best-so-far test AUROC (epoch 2) is used: ${values.join(', ')}`);
    assert.equal(out.training, 1);
    assert.ok(out.runNames?.includes(live) && !out.runNames.includes(stale));
    assert.equal(out.runNames?.length, 11);
    const notes = out.notes.join('\n');
    assert.match(notes, new RegExp(`1 run still training, at their best epoch so far: ${live} \\(epoch 2 of 5\\); run the cell again, or add "live: true", to follow them`));
    assert.match(notes, /2 unfinished runs left out \(add "include: all" to use them with the epochs they have\)/);
    assert.match(out.markdown, /aem\.lambda=0\.1 \(1 training\)/);
  });

  it('curves: the training run adds its epochs so far only', () => {
    const out = run('runs: exp-cos/*\nshow: curves\nmetrics: test.auroc\nlive: true');
    if (out.kind !== 'curves') return assert.fail(out.kind);
    const series = out.charts[0]?.series.find((s) => s.label === 'aem.lambda=0.1 (1 training)');
    assert.deepEqual(series?.x, [1, 2, 3]);
    assert.deepEqual(series?.n, [6, 6, 5]);
    assert.match(out.notes.join('\n'), /this cell runs again every 5 s while they train/);
  });

  it('include: done leaves it out; include: all uses the interrupted run too and says so', () => {
    const done = run('runs: exp-cos/*\ninclude: done');
    assert.equal(done.training, 0);
    assert.equal(done.runNames?.length, 10);
    assert.match(done.notes.join('\n'), /3 unfinished runs left out \(run the cell again once they finish, or add "include: live"/);
    const all = run('runs: exp-cos/*\ninclude: all\nmetrics: test.auroc');
    if (all.kind !== 'table') return assert.fail(all.kind);
    assert.equal(all.runNames?.length, 13);
    assert.match(all.notes.join('\n'), new RegExp(`2 unfinished runs used with the epochs they have: exp-cos/lambda0-s9-\\S+ \\(interrupted, epoch 3 of 3\\), ${stale} \\(interrupted, epoch 2 of 5\\)`));
  });

  it('a glob that only matches the training run works without include', () => {
    const out = run(`runs: ${live}\nmetrics: test.auroc`);
    if (out.kind !== 'table') return assert.fail(out.kind);
    assert.deepEqual(out.rows.map((r) => r.group), ['aem.lambda=0.1 (1 training)']);
    assert.equal(out.runsUsed, 1);
  });
});

describe('live: true cells run again while their runs train', () => {
  it('re-runs only a live cell whose output has training runs, one pending re-run per cell', () => {
    const timers: { fn: () => void; ms: number; cleared: boolean }[] = [];
    const reruns = new LiveReruns(5000, {
      set: (fn, ms) => timers.push({ fn, ms, cleared: false }) - 1,
      clear: (i) => {
        const t = timers[i as number];
        if (t) t.cleared = true;
      },
    });
    const liveQuery = parseQuery('runs: exp-cos/*\nlive: true').query;
    const table = run('runs: exp-cos/*\nlive: true');
    assert.equal(wantsRerun(liveQuery, table), true);
    assert.equal(wantsRerun(parseQuery('runs: exp-cos/*').query, table), false, 'not without live: true');
    assert.equal(wantsRerun(liveQuery, run('runs: exp-cos/*\ninclude: done')), false, 'not once no run trains');
    assert.equal(wantsRerun(liveQuery, { training: undefined }), false, 'not for an output saved before training existed');
    let ran = 0;
    reruns.schedule('cell-1', () => ran++);
    reruns.schedule('cell-1', () => ran++);
    assert.deepEqual(timers.map((t) => [t.ms, t.cleared]), [[5000, true], [5000, false]]);
    timers[1]?.fn();
    assert.equal(ran, 1);
    assert.equal(reruns.has('cell-1'), false);
    reruns.schedule('cell-2', () => ran++);
    reruns.cancel('cell-2');
    assert.equal(timers[2]?.cleared, true);
    reruns.schedule('cell-3', () => ran++);
    reruns.dispose();
    assert.equal(timers[3]?.cleared, true);
    assert.equal(reruns.has('cell-3'), false);
  });
});
