// Pure helpers of the live charts: log-spaced top-k points, run colours, epoch assembly and the best
// epoch (checked against what the engine itself reported in a recorded real run).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { RunColours } from '../../src/liveCharts/colours.js';
import { bestEpochOf, chartEpochOf, EpochAssembler, etaFromEpochs, upsertEpoch } from '../../src/liveCharts/points.js';
import { logSpacedIndices } from '../../src/liveCharts/topk.js';
import type { ChartEpoch } from '../../src/protocol/liveCharts.js';
import { recordedEvents } from '../helpers/recordedRun.js';


describe('live charts helpers', () => {
  it('keeps short top-k curves whole and spreads long ones evenly in log k, ends included', () => {
    assert.deepEqual(logSpacedIndices(20, 160), Array.from({ length: 20 }, (_, i) => i));
    const kept = logSpacedIndices(1000, 160);
    assert.ok(kept.length <= 161 && kept.length >= 150, `${kept.length} points`);
    assert.equal(kept[0], 0);
    assert.equal(kept[kept.length - 1], 999);
    for (let i = 1; i < kept.length; i++) assert.ok((kept[i] as number) > (kept[i - 1] as number));
    // Dense at small k (every k up to ~50 is kept), sparse at large k.
    assert.deepEqual(kept.slice(0, 10), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    assert.ok((kept[kept.length - 1] as number) - (kept[kept.length - 2] as number) > 20);
  });

  it('gives each run its own colour slot, kept while it stays selected', () => {
    const colours = new RunColours();
    const palette = ['blue', 'red', 'green'];
    colours.assign(['a', 'b']);
    assert.deepEqual([colours.colour('a', palette), colours.colour('b', palette)], ['blue', 'red']);
    colours.assign(['b', 'c']);
    assert.deepEqual([colours.colour('b', palette), colours.colour('c', palette)], ['red', 'blue']);
    colours.assign(['b', 'c', 'd', 'e']);
    assert.deepEqual(['b', 'c', 'd', 'e'].map((id) => colours.colour(id, palette)), ['red', 'blue', 'green', 'blue']);
  });

  it('assembles epochs from metrics lines like the engine reports them, and finds the engine\'s best epoch', () => {
    const events = recordedEvents();
    const runIds = [...new Set(events.flatMap((e) => (e.type === 'run-started' ? [e.runId] : [])))];
    assert.equal(runIds.length, 4);
    for (const runId of runIds) {
      const epochs = events.flatMap((e) => (e.type === 'epoch' && e.runId === runId ? [e] : []));
      assert.equal(epochs.length, 6);
      const assembler = new EpochAssembler();
      const assembled: ChartEpoch[] = [];
      for (const e of epochs) {
        for (const line of [e.test, e.train, e.val]) {
          const point = assembler.push(line);
          if (point) assembled.push(point);
        }
      }
      assert.deepEqual(
        assembled,
        epochs.map((e) => chartEpochOf(e.train, e.val, e.test)),
      );
      for (let n = 1; n <= epochs.length; n++) assert.equal(bestEpochOf(assembled.slice(0, n)), (epochs[n - 1] as { bestEpoch: number }).bestEpoch, `${runId} after ${n} epochs`);
    }
  });

  it('estimates the time left from the mean epoch, and upserts epochs in order', () => {
    const base = { trainLoss: 1, lambda: 0, lr: 1, bagsPerSecond: 1, val: { loss: 1, auroc: 0.5, f1: 0.5, accuracy: 0.5, entropy: 1, entropyNormalised: 1 }, testTopk: [] };
    const e = (epoch: number, seconds: number): ChartEpoch => ({ ...base, epoch, seconds, test: base.val });
    assert.equal(etaFromEpochs([e(0, 2), e(1, 4)], 5), 9);
    assert.equal(etaFromEpochs([], 5), null);
    const list = [e(0, 1), e(2, 1)];
    upsertEpoch(list, e(1, 7));
    upsertEpoch(list, e(2, 9));
    assert.deepEqual(
      list.map((x) => [x.epoch, x.seconds]),
      [
        [0, 1],
        [1, 7],
        [2, 9],
      ],
    );
  });
});
