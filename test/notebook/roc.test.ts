// ROC points and AUROC against scikit-learn 1.2 (test/fixtures/notebook/roc_sklearn.json, made by
// make_roc_fixture.py), confusion counts, and `show: roc` / `show: confusion` over a run store with
// predictions files: pooled curves, per-run AUROC, sums over seeds, running runs noted, bad `at`.
import assert from 'node:assert/strict';
import { readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { loadRuns } from '../../src/notebook/collect.js';
import { runComparison } from '../../src/notebook/compare.js';
import { fallbackMarkdown } from '../../src/notebook/outputs.js';
import { parseQuery, QueryError } from '../../src/notebook/query.js';
import { confusionCounts, rocAuc, rocCurve } from '../../src/notebook/roc.js';
import { mean } from '../../src/notebook/stats.js';
import type { RocOutput } from '../../src/protocol/notebook.js';
import { projectRoot } from '../helpers/paths.js';
import { predictionRows, writeStore } from './fixture.js';

interface SklearnCase {
  name: string;
  labels: number[];
  scores: number[];
  fpr: number[];
  tpr: number[];
  thresholds: (number | null)[];
  auc: number;
}

const fixture = JSON.parse(readFileSync(path.join(projectRoot, 'test', 'fixtures', 'notebook', 'roc_sklearn.json'), 'utf8')) as { sklearn: string; cases: SklearnCase[] };

function close(actual: number[], expected: number[], what: string): void {
  assert.equal(actual.length, expected.length, `${what}: ${actual.length} points, scikit-learn has ${expected.length}`);
  actual.forEach((v, i) => assert.ok(Math.abs(v - (expected[i] as number)) < 1e-12, `${what}[${i}] = ${v}, scikit-learn ${expected[i]}`));
}

describe('ROC against scikit-learn', () => {
  for (const c of fixture.cases) {
    it(`matches roc_curve and roc_auc_score (${c.name}, scikit-learn ${fixture.sklearn})`, () => {
      const curve = rocCurve(c.labels.map((l) => l === 1), c.scores);
      assert.ok(curve);
      close(curve.fpr, c.fpr, 'fpr');
      close(curve.tpr, c.tpr, 'tpr');
      assert.equal(curve.thresholds[0], Infinity);
      close(curve.thresholds.slice(1), c.thresholds.slice(1) as number[], 'thresholds');
      assert.ok(Math.abs(rocAuc(curve) - c.auc) < 1e-12);
    });
  }

  it('has no curve when a class is missing', () => {
    assert.equal(rocCurve([true, true], [0.2, 0.4]), undefined);
  });

  it('counts true against predicted classes', () => {
    assert.deepEqual(confusionCounts([0, 0, 1, 1, 2], [0, 1, 1, 1, 0], 3), [[1, 1, 0], [0, 2, 0], [1, 0, 0]]);
  });
});

describe('show: roc and show: confusion over a run store', () => {
  let store: string;
  before(() => {
    store = writeStore();
  });
  after(() => rmSync(store, { recursive: true, force: true }));

  it('pools each group’s test slides into one curve, with the mean of the runs’ own AUROC', () => {
    const out = runComparison(parseQuery('runs: exp-cos/*\nshow: roc'), loadRuns([store]));
    assert.equal(out.kind, 'roc');
    if (out.kind !== 'roc') return;
    assert.deepEqual(out.classes, ['normal', 'tumor']);
    assert.deepEqual(out.curves.map((c) => c.group), ['aem.lambda=0', 'aem.lambda=0.1']);
    for (const [g, lambda] of [[0, 0], [1, 0.1]] as const) {
      const curve: RocOutput['curves'][number] | undefined = out.curves[g];
      assert.ok(curve);
      const rows = [0, 1, 2, 3, 4].flatMap((seed) => predictionRows({ seed, lambda }).filter((r) => r.split === 'test'));
      const expected = rocCurve(rows.map((r) => r.label === 1), rows.map((r) => r.pTumor));
      assert.ok(expected);
      assert.deepEqual(curve.fpr, expected.fpr);
      assert.equal(curve.auroc, rocAuc(expected));
      assert.equal(curve.slides, 60);
      assert.equal(curve.runs, 5);
      const perRun = [0, 1, 2, 3, 4].map((seed) => {
        const own = predictionRows({ seed, lambda }).filter((r) => r.split === 'test');
        return rocAuc(rocCurve(own.map((r) => r.label === 1), own.map((r) => r.pTumor)) as NonNullable<ReturnType<typeof rocCurve>>);
      });
      assert.ok(Math.abs((curve.runAurocMean as number) - mean(perRun)) < 1e-12);
    }
    assert.match(fallbackMarkdown(out), /aem\.lambda=0: AUROC 0\.\d+ \(60 slides of 5 runs/);
  });

  it('sums the confusion over seeds and gives the mean per run', () => {
    const out = runComparison(parseQuery('runs: exp-cos/*\nshow: confusion\nsplit: val'), loadRuns([store]));
    assert.equal(out.kind, 'confusion');
    if (out.kind !== 'confusion') return;
    const g = out.groups[0];
    assert.ok(g);
    const rows = [0, 1, 2, 3, 4].flatMap((seed) => predictionRows({ seed, lambda: 0 }).filter((r) => r.split === 'val'));
    const expected = confusionCounts(rows.map((r) => r.label), rows.map((r) => (r.pTumor > 1 - r.pTumor ? 1 : 0)), 2);
    assert.deepEqual(g.counts, expected);
    assert.deepEqual(g.mean, expected.map((row) => row.map((v) => v / 5)));
    assert.equal(g.counts.flat().reduce((s, v) => s + v, 0), 40);
    assert.match(fallbackMarkdown(out), /\| true \\ predicted \| normal \| tumor \|/);
  });

  it('counts a run still training at its best epoch so far, and says so', () => {
    const out = runComparison(parseQuery('runs: exp-cos/*\nshow: confusion\ninclude: all'), loadRuns([store]));
    assert.equal(out.runsUsed, 11);
    assert.ok(out.notes.some((n) => /not finished, shown at their best epoch so far: exp-cos\/lambda0-s9-\S+ \(running, 3 epochs so far\)/.test(n)), out.notes.join(' / '));
  });

  it('refuses an epoch number: predictions exist at the best and last epoch only', () => {
    assert.throws(() => runComparison(parseQuery('runs: exp-cos/*\nshow: roc\nat: 2'), loadRuns([store])), (e: unknown) => e instanceof QueryError && /line 3: .*use "at: best" or "at: last"/.test(e.message));
  });
});
