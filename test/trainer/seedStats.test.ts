import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mean, sampleStd } from '../../src/notebook/stats.js';
import { comparisonTable, formatMeanStd } from '../../src/trainer/seedStats.js';

// Reference numbers from numpy 2.4 (python3): a.mean() and np.std(a, ddof=1).
const A = [0.91, 0.925, 0.899, 0.93, 0.906]; // mean 0.914, std 0.013057564857200608
const B = [0.8123, 0.7988, 0.8421]; // mean 0.8177333333333333, std 0.022155435751375623

function assertClose(actual: number, expected: number, what: string): void {
  assert.ok(Math.abs(actual - expected) <= 1e-12 * Math.max(1, Math.abs(expected)), `${what}: ${actual} vs ${expected}`);
}

test('mean and sample std agree with numpy (ddof=1)', () => {
  assertClose(mean(A), 0.914, 'mean A');
  assertClose(sampleStd(A), 0.013057564857200608, 'std A');
  assertClose(mean(B), 0.8177333333333333, 'mean B');
  assertClose(sampleStd(B), 0.022155435751375623, 'std B');
  // numpy: np.std([1e9+1, 1e9+2, 1e9+3], ddof=1) == 1.0 (two-pass, no cancellation).
  assert.equal(sampleStd([1e9 + 1, 1e9 + 2, 1e9 + 3]), 1);
});

test('edge sizes: one value has std 0, none has NaN', () => {
  assert.equal(sampleStd([0.7]), 0);
  assert.equal(mean([0.7]), 0.7);
  assert.ok(Number.isNaN(mean([])));
  assert.ok(Number.isNaN(sampleStd([])));
});

test('formatMeanStd', () => {
  // numpy f'{a.mean():.3f} ± {np.std(a, ddof=1):.3f}' gives these strings.
  assert.equal(formatMeanStd(A), '0.914 ± 0.013');
  assert.equal(formatMeanStd(B), '0.818 ± 0.022');
  assert.equal(formatMeanStd(B, 4), '0.8177 ± 0.0222');
  assert.equal(formatMeanStd([0.5, 0.5]), '0.500 ± 0.000');
  assert.equal(formatMeanStd([0.91234]), '0.912');
  assert.equal(formatMeanStd([]), 'n/a');
});

test('comparisonTable aligns columns for a terminal', () => {
  const table = comparisonTable(
    [
      { config: 'abmil', seeds: 5, metrics: { auroc: A, f1: B } },
      { config: 'abmil+aem (λ=0.1)', seeds: 1, metrics: { auroc: [0.95] } },
    ],
    ['auroc', 'f1'],
  );
  const expected = [
    'configuration      seeds          auroc             f1',
    '-----------------  -----  -------------  -------------',
    'abmil                  5  0.914 ± 0.013  0.818 ± 0.022',
    'abmil+aem (λ=0.1)      1          0.950            n/a',
  ].join('\n');
  assert.equal(table, expected);
  const lines = table.split('\n');
  assert.ok(lines.every((l) => l.length === (lines[0] as string).length));
});

test('comparisonTable with no rows still prints the header', () => {
  assert.equal(comparisonTable([], ['auroc']), 'configuration  seeds  auroc\n-------------  -----  -----');
});

test('a metric named like an Object prototype member is treated as missing', () => {
  const t = comparisonTable([{ config: 'x', seeds: 1, metrics: {} }], ['constructor']);
  assert.match(t, /n\/a$/);
});
