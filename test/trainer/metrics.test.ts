import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  AUROC_MISSING_CLASS_REASON,
  AUROC_NON_FINITE_REASON,
  AUROC_ONE_CLASS_REASON,
  accuracy,
  argmax,
  aurocMacro,
  classificationMetrics,
  f1Macro,
  selectionScore,
} from '../../src/trainer/metrics.js';

const projectRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const golden = path.resolve(projectRoot, '../shared/golden');

interface MetricsCase {
  name: string;
  n_classes: number;
  labels: number[];
  probs: number[][];
  auroc_macro: number | null;
  auroc_error?: string;
  f1_macro: number;
  accuracy: number;
  auroc_per_class_ovr: (number | null)[];
}

const fixture = JSON.parse(readFileSync(path.join(golden, 'metrics.json'), 'utf8')) as { cases: MetricsCase[] };

function assertClose(actual: number | null, expected: number | null, what: string): void {
  if (expected === null) {
    assert.equal(actual, null, `${what}: expected null`);
    return;
  }
  assert.ok(actual !== null, `${what}: got null, expected ${expected}`);
  const tol = 1e-6 * Math.max(Math.abs(expected), 1e-12);
  assert.ok(Math.abs(actual - expected) <= tol, `${what}: ${actual} vs ${expected}`);
}

test('fixture has the cases the checks below rely on', () => {
  const names = fixture.cases.map((c) => c.name);
  for (const n of ['binary_random', 'binary_ties', 'multiclass4_random', 'binary_single_class_labels', 'multiclass3_perfect']) {
    assert.ok(names.includes(n), `missing case ${n}`);
  }
});

for (const c of fixture.cases) {
  test(`golden metrics: ${c.name}`, () => {
    const auroc = aurocMacro(c.labels, c.probs, c.n_classes);
    assertClose(auroc.value, c.auroc_macro, 'auroc_macro');
    assert.equal(auroc.perClass.length, c.n_classes);
    c.auroc_per_class_ovr.forEach((e, k) => assertClose(auroc.perClass[k] ?? null, e, `auroc class ${k}`));
    assertClose(f1Macro(c.labels, c.probs, c.n_classes), c.f1_macro, 'f1_macro');
    assertClose(accuracy(c.labels, c.probs), c.accuracy, 'accuracy');

    const m = classificationMetrics(c.labels, c.probs, c.n_classes);
    assertClose(m.auroc, c.auroc_macro, 'classificationMetrics.auroc');
    assertClose(m.f1, c.f1_macro, 'classificationMetrics.f1');
    assertClose(m.accuracy, c.accuracy, 'classificationMetrics.accuracy');
    if (c.auroc_macro === null) {
      assert.ok(auroc.value === null && 'reason' in auroc);
      assert.equal(auroc.reason, c.auroc_error);
      assert.equal(m.aurocUndefinedReason, c.auroc_error);
    } else {
      assert.equal(m.aurocUndefinedReason, undefined);
    }
  });
}

test('the single-class case reports scikit-learn reason, never 0.5 or NaN', () => {
  const c = fixture.cases.find((x) => x.name === 'binary_single_class_labels');
  assert.ok(c);
  const m = classificationMetrics(c.labels, c.probs, c.n_classes);
  assert.equal(m.auroc, null);
  assert.equal(m.aurocUndefinedReason, AUROC_ONE_CLASS_REASON);
  assert.deepEqual(m.aurocPerClass, [null, null]);
  // Undefined AUROC counts 0 towards the selection score.
  assert.equal(selectionScore(m), m.f1);
});

test('ties count half: all-equal scores give exactly 0.5', () => {
  const labels = [0, 1, 0, 1, 1];
  const probs = labels.map(() => [0.5, 0.5]);
  assert.equal(aurocMacro(labels, probs, 2).value, 0.5);
});

test('binary AUROC by hand: one positive-negative tie among four pairs', () => {
  // pos scores {0.8, 0.4}, neg scores {0.4, 0.1}: pairs (0.8>0.4) (0.8>0.1) (0.4=0.4) (0.4>0.1) -> 3.5/4.
  const labels = [1, 1, 0, 0];
  const probs = [0.8, 0.4, 0.4, 0.1].map((p) => [1 - p, p]);
  assert.equal(aurocMacro(labels, probs, 2).value, 3.5 / 4);
});

test('multi-class with an absent class is undefined (scikit-learn raises), per-class kept', () => {
  const labels = [0, 1, 0, 1];
  const probs = [
    [0.7, 0.2, 0.1],
    [0.2, 0.7, 0.1],
    [0.5, 0.3, 0.2],
    [0.1, 0.6, 0.3],
  ];
  const a = aurocMacro(labels, probs, 3);
  assert.equal(a.value, null);
  assert.ok('reason' in a);
  assert.ok(a.reason.startsWith(AUROC_MISSING_CLASS_REASON), a.reason);
  assert.match(a.reason, /class 2 absent/);
  assert.deepEqual(a.perClass, [1, 1, null]);
});

test('multi-class with one class present reports the one-class reason', () => {
  const a = aurocMacro([2, 2], [[0.1, 0.2, 0.7], [0.3, 0.3, 0.4]], 3);
  assert.equal(a.value, null);
  assert.ok('reason' in a && a.reason === AUROC_ONE_CLASS_REASON);
});

test('non-finite scores make AUROC undefined rather than garbage', () => {
  const a = aurocMacro([0, 1], [[Number.NaN, Number.NaN], [0.2, 0.8]], 2);
  assert.equal(a.value, null);
  assert.ok('reason' in a && a.reason === AUROC_NON_FINITE_REASON);
  assert.deepEqual(a.perClass, [null, null]);
});

test('argmax: first maximum wins, NaN wins like numpy', () => {
  assert.equal(argmax([0.2, 0.4, 0.4]), 1);
  assert.equal(argmax([0.5, 0.5]), 0);
  assert.equal(argmax(new Float64Array([0.1, 0.9, 0.0])), 1);
  assert.equal(argmax([0.1, Number.NaN, 0.9]), 1);
  assert.throws(() => argmax([]), RangeError);
});

test('f1Macro counts classes never predicted nor present as 0 (zero_division=0)', () => {
  // Class 2 never appears: F1 = (1 + 1 + 0) / 3.
  const labels = [0, 1];
  const probs = [
    [0.9, 0.1, 0],
    [0.1, 0.9, 0],
  ];
  assert.equal(f1Macro(labels, probs, 3), 2 / 3);
  assert.equal(accuracy(labels, probs), 1);
});

test('selectionScore sums AUROC and F1', () => {
  assert.equal(selectionScore({ auroc: 0.75, f1: 0.5 }), 1.25);
});

test('bad inputs are rejected with a clear error', () => {
  assert.throws(() => aurocMacro([0, 1], [[0.5, 0.5]], 2), /2 labels but 1/);
  assert.throws(() => f1Macro([0, 3], [[0.5, 0.5], [0.5, 0.5]], 2), /label 3/);
  assert.throws(() => f1Macro([0, 1], [[0.5, 0.5], [1]], 2), /row 1 has 1 entries/);
  assert.throws(() => accuracy([], []), /no samples/);
  assert.throws(() => aurocMacro([0], [[1]], 1), /nClasses/);
});
