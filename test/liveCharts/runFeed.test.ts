// The host-side feed of the Live Charts panel, on a run store written from a recorded real run: a
// snapshot of every epoch so far when a run is shown (as after a reload), each later epoch sent once
// whether it comes from metrics.jsonl or from the engine's live event, and the end of the run noticed.
import assert from 'node:assert/strict';
import { appendFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import type { ManagerEvent, RunManager } from '../../src/extension/core/runManager.js';
import { readRunRecord, type RunRecord } from '../../src/extension/core/runScan.js';
import { RunFeed } from '../../src/extension/liveCharts/runFeed.js';
import { chartEpochOf } from '../../src/liveCharts/points.js';
import type { EngineEvent } from '../../src/protocol/events.js';
import type { HostMessage } from '../../src/protocol/liveCharts.js';
import { recordedEvents } from '../helpers/recordedRun.js';

type EpochEvent = Extract<EngineEvent, { type: 'epoch' }>;

const events = recordedEvents();
const firstStart = events.find((e): e is Extract<EngineEvent, { type: 'run-started' }> => e.type === 'run-started');
assert.ok(firstStart);
const started = firstStart;
const epochs = events.filter((e): e is EpochEvent => e.type === 'epoch' && e.runId === started.runId);
const root = mkdtempSync(path.join(os.tmpdir(), 'aem-live-feed-'));

function metricsLines(e: EpochEvent): string {
  return [e.train, e.val, e.test].map((m) => JSON.stringify(m)).join('\n') + '\n';
}

function writeRun(): string {
  const dir = path.join(root, started.experiment, started.runId);
  const summary = { runId: started.runId, experiment: started.experiment, configLabel: started.configLabel, seed: started.seed, sweepValues: { 'aem.lambda': 0 }, status: 'running', epochsDone: 2, epochs: 6, bestEpoch: 0, best: null, last: null, wallSeconds: 1, backend: started.backend, updatedAt: new Date().toISOString() };
  const config = { runId: started.runId, seed: started.seed, configLabel: started.configLabel, sweepValues: { 'aem.lambda': 0 }, createdAt: '2026-01-01T00:00:00.000Z', experiment: { name: started.experiment, train: { epochs: 6 } }, backend: started.backend };
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, 'config.json'), JSON.stringify(config));
  writeFileSync(path.join(dir, 'summary.json'), JSON.stringify(summary));
  writeFileSync(path.join(dir, 'heartbeat.json'), JSON.stringify({ pid: process.pid, at: new Date().toISOString(), epoch: 2, iter: 0, status: 'running' }));
  writeFileSync(path.join(dir, 'metrics.jsonl'), metricsLines(epochs[0] as EpochEvent) + metricsLines(epochs[1] as EpochEvent));
  return dir;
}

const noManager = { liveRun: () => undefined } as unknown as RunManager;

function engineEvent(event: EngineEvent): ManagerEvent {
  return { type: 'engine', job: {} as never, event };
}

describe('live charts run feed', () => {
  after(() => rmSync(root, { recursive: true, force: true }));

  it('snapshots a run trained elsewhere, then sends each new epoch once, from whichever source has it first', () => {
    const dir = writeRun();
    const sent: HostMessage[] = [];
    const feed = new RunFeed(noManager, (m) => sent.push(m));
    const record = readRunRecord(dir);
    assert.ok(record);
    assert.equal(record.state, 'running');
    assert.equal(feed.setAvailable([record]), true);
    assert.equal(feed.setAvailable([record]), false, 'an unchanged list is not sent again');
    assert.deepEqual(sent.map((m) => m.type), ['runs']);
    assert.deepEqual(feed.defaultSelection(), [started.runId]);

    sent.length = 0;
    feed.select([started.runId]);
    const snapshot = sent[0];
    assert.ok(snapshot?.type === 'snapshot');
    assert.equal(snapshot.run.backend, 'wasm');
    assert.equal(snapshot.run.state, 'running');
    assert.deepEqual(snapshot.epochs, epochs.slice(0, 2).map((e) => chartEpochOf(e.train, e.val, e.test)));
    assert.equal(snapshot.bestEpoch, (epochs[1] as EpochEvent).bestEpoch);
    const meanSeconds = snapshot.epochs.reduce((s, e) => s + e.seconds, 0) / 2;
    assert.ok(Math.abs((snapshot.progress?.etaSeconds ?? NaN) - 4 * meanSeconds) < 1e-9, 'ETA from the mean epoch time');

    // A torn line (the engine is mid-write) sends nothing; the completed epoch is sent once.
    sent.length = 0;
    const third = epochs[2] as EpochEvent;
    const text = metricsLines(third);
    appendFileSync(path.join(dir, 'metrics.jsonl'), text.slice(0, text.length - 40));
    feed.poll();
    assert.equal(sent.length, 0);
    appendFileSync(path.join(dir, 'metrics.jsonl'), text.slice(text.length - 40));
    feed.poll();
    assert.deepEqual(sent.map((m) => m.type), ['epoch', 'progress']);
    assert.deepEqual(sent[0], { type: 'epoch', runId: started.runId, point: chartEpochOf(third.train, third.val, third.test), bestEpoch: third.bestEpoch });
    feed.poll();
    assert.equal(sent.length, 2);

    // The live event of an epoch already read is not sent again; a live event ahead of the file is,
    // and the file's copy of it later is not.
    feed.onManagerEvent(engineEvent(third));
    assert.equal(sent.length, 2);
    const fourth = epochs[3] as EpochEvent;
    feed.onManagerEvent(engineEvent(fourth));
    assert.deepEqual(sent[2], { type: 'epoch', runId: started.runId, point: chartEpochOf(fourth.train, fourth.val, fourth.test), bestEpoch: fourth.bestEpoch });
    appendFileSync(path.join(dir, 'metrics.jsonl'), metricsLines(fourth));
    feed.poll();
    assert.equal(sent.length, 3);
    assert.deepEqual(feed.describe(), [{ runId: started.runId, state: 'running', epochs: 4, bestEpoch: fourth.bestEpoch }]);

    // The run ends (its summary says done): the panel is told once.
    const summary = JSON.parse(readFileSync(path.join(dir, 'summary.json'), 'utf8')) as Record<string, unknown>;
    writeFileSync(path.join(dir, 'summary.json'), JSON.stringify({ ...summary, status: 'done' }));
    feed.poll();
    feed.poll();
    assert.deepEqual(sent.slice(3), [{ type: 'finished', runId: started.runId, state: 'done' }]);
  });

  it('on an experiment picks one seed (the running run\'s) and the newest run of each configuration', () => {
    const feed = new RunFeed(noManager, () => undefined);
    const record = (runId: string, configLabel: string, seed: number, createdAt: string, state: RunRecord['state']): RunRecord => ({
      runId,
      dir: path.join(root, 'none', runId),
      experiment: 'demo',
      configLabel,
      seed,
      sweepValues: {},
      state,
      epochsDone: 0,
      epochs: 4,
      bestEpoch: null,
      bestTestAuroc: null,
      createdAt,
    });
    feed.setAvailable([
      record('l0-s0-old', 'lambda0', 0, '2026-01-01T00:00:00Z', 'done'),
      record('l0-s0-new', 'lambda0', 0, '2026-01-02T00:00:00Z', 'done'),
      record('l01-s0', 'lambda0.1', 0, '2026-01-02T00:00:01Z', 'done'),
      record('l0-s1', 'lambda0', 1, '2026-01-03T00:00:00Z', 'running'),
      record('l01-s1', 'lambda0.1', 1, '2026-01-03T00:00:01Z', 'pending'),
      record('other', 'lambda0', 1, '2026-01-04T00:00:00Z', 'done'),
    ].map((r, i) => (i === 5 ? { ...r, experiment: 'other' } : r)));
    assert.deepEqual(feed.experimentSelection('demo'), ['l0-s1', 'l01-s1']);
    assert.deepEqual(feed.defaultSelection(), ['l0-s1']);
    feed.setAvailable([record('l0-s0-old', 'lambda0', 0, '2026-01-01T00:00:00Z', 'done'), record('l0-s0-new', 'lambda0', 0, '2026-01-02T00:00:00Z', 'done'), record('l01-s0', 'lambda0.1', 0, '2026-01-02T00:00:01Z', 'done')]);
    assert.deepEqual(feed.experimentSelection('demo'), ['l0-s0-new', 'l01-s0']);
    assert.deepEqual(feed.defaultSelection(), ['l01-s0']);
  });
});
