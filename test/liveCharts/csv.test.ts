// The CSV export of the live charts.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { buildChartsCsv, csvField, type CsvEpoch } from '../../src/liveCharts/csv.js';

function epoch(n: number, testLoss: number, auroc: number | null, topk: number[]): CsvEpoch {
  const split = { loss: testLoss, auroc, f1: 0.5, accuracy: 0.75, entropy: 2, entropyNormalised: 0.9 };
  return { epoch: n, trainLoss: 1 + n, lambda: 0.1, lr: 0.001, bagsPerSecond: 40, seconds: 2, val: { ...split, loss: 0.6 }, test: split, testTopk: Float32Array.from(topk) };
}

describe('live charts CSV', () => {
  it('quotes only what needs it', () => {
    assert.equal(csvField('plain'), 'plain');
    assert.equal(csvField('a,b'), '"a,b"');
    assert.equal(csvField('say "hi"'), '"say ""hi"""');
    assert.equal(csvField(null), '');
    assert.equal(csvField(0.25), '0.25');
  });

  it('one row per run and epoch (from 1), raw values, best flagged, top-k columns at the kept k', () => {
    const csv = buildChartsCsv([
      { run: { runId: 'r0', experiment: 'demo, v2', configLabel: 'lambda0', seed: 0 }, epochs: [epoch(0, 0.7, null, [0.5, 0.75]), epoch(1, 0.6, 0.8, [0.25, 0.5])], topkKs: [1, 2], bestEpoch: 1 },
      { run: { runId: 'r1', experiment: 'demo, v2', configLabel: 'lambda0.1', seed: 0 }, epochs: [epoch(0, 0.9, 0.6, [0.125, 0.25, 0.5])], topkKs: [1, 3, 10], bestEpoch: 0 },
    ]);
    const lines = csv.trimEnd().split('\n');
    assert.equal(
      lines[0],
      'experiment,run,config,seed,epoch,best,train_loss,val_loss,test_loss,val_auroc,test_auroc,val_f1,test_f1,val_accuracy,test_accuracy,val_entropy,test_entropy,val_entropy_normalised,test_entropy_normalised,lambda,lr,bags_per_second,test_top1,test_top2,test_top3,test_top10',
    );
    assert.equal(lines[1], '"demo, v2",r0,lambda0,0,1,0,1,0.6,0.7,,,0.5,0.5,0.75,0.75,2,2,0.9,0.9,0.1,0.001,40,0.5,0.75,,');
    assert.equal(lines[2], '"demo, v2",r0,lambda0,0,2,1,2,0.6,0.6,0.8,0.8,0.5,0.5,0.75,0.75,2,2,0.9,0.9,0.1,0.001,40,0.25,0.5,,');
    assert.equal(lines[3], '"demo, v2",r1,lambda0.1,0,1,1,1,0.6,0.9,0.6,0.6,0.5,0.5,0.75,0.75,2,2,0.9,0.9,0.1,0.001,40,0.125,,0.25,0.5');
    assert.equal(lines.length, 4);
    assert.ok(csv.endsWith('\n'));
  });

  it('adds the test entropy of each head of multi-head runs, empty for a run without heads', () => {
    const perHead = (entropy: number[]) => ({ row: 'head', entropy, entropyNormalised: entropy.map((v) => v / 4), topkKs: [1], topk: entropy.map(() => [0.5]) });
    const csv = buildChartsCsv([
      { run: { runId: 'mha', experiment: 'x', configLabel: 'c', seed: 0 }, epochs: [{ ...epoch(0, 0.7, 0.8, [0.5]), testPerHead: perHead([1, 2]) }], topkKs: [1], bestEpoch: 0 },
      { run: { runId: 'abmil', experiment: 'x', configLabel: 'c', seed: 0 }, epochs: [epoch(0, 0.7, 0.8, [0.5])], topkKs: [1], bestEpoch: 0 },
    ]);
    const [header, mha, abmil] = csv.trimEnd().split('\n').map((l) => l.split(','));
    assert.ok(header && mha && abmil);
    const at = (row: string[], name: string) => row[header.indexOf(name)];
    assert.deepEqual(header.slice(header.indexOf('bags_per_second') + 1), ['test_entropy_head1', 'test_entropy_head2', 'test_entropy_normalised_head1', 'test_entropy_normalised_head2', 'test_top1']);
    assert.deepEqual(['test_entropy_head1', 'test_entropy_head2', 'test_entropy_normalised_head2', 'test_top1'].map((n) => at(mha, n)), ['1', '2', '0.5', '0.5']);
    assert.deepEqual(['test_entropy_head1', 'test_entropy_normalised_head2', 'test_top1'].map((n) => at(abmil, n)), ['', '', '0.5']);
  });
});
