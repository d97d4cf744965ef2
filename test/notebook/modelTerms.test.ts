// A model's own loss terms (metrics.jsonl's `terms`) are metrics a notebook query can name:
// "<split>.terms.<name>", lower is better; "test.terms" alone is not one.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isMetricName, metricAt, metricDirection, METRIC_NAMES, type RunData } from '../../src/notebook/collect.js';
import type { MetricsLine } from '../../src/protocol/events.js';

const line = (epoch: number, split: 'train' | 'test', tier1: number): MetricsLine =>
  split === 'train'
    ? { epoch, split, loss: 1, ce: 0.5, regulariser: -1, lr: 1e-3, lambda: 0.1, terms: { tier1: tier1 }, bags: 3, seconds: 1, bagsPerSecond: 3 }
    : { epoch, split, loss: 1, ce: 0.5, regulariser: -1, terms: { tier1: tier1 }, auroc: 0.9, f1: 0.8, accuracy: 0.8, entropy: 3, entropyNormalised: 0.5, topk: [0.1], bags: 3, seconds: 1 };

test('"<split>.terms.<name>" reads a model term; "test.terms" is no metric', () => {
  const run = { name: 'r', dir: '/r', seed: 0, status: 'done', keys: {}, sweepKeys: [], bestEpoch: 1, lines: [line(0, 'train', 0.7), line(0, 'test', 0.6), line(1, 'test', 0.4)] } as unknown as RunData;
  assert.equal(metricAt(run, 'test.terms.tier1', 1), 0.4);
  assert.equal(metricAt(run, 'train.terms.tier1', 0), 0.7);
  assert.equal(metricAt(run, 'test.terms.maxInstance', 1), undefined);
  assert.ok(isMetricName('val.terms.tier1'));
  assert.ok(!isMetricName('test.terms'));
  assert.ok(!METRIC_NAMES.includes('test.terms'));
  assert.equal(metricDirection('test.terms.tier1'), 'lower');
});
