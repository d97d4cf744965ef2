import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { epochAt, loadRuns, metricAt } from '../../src/notebook/collect.js';
import { runComparison } from '../../src/notebook/compare.js';
import { parseQuery, QueryError } from '../../src/notebook/query.js';
import { mean, sampleStd } from '../../src/notebook/stats.js';
import { fallbackMarkdown } from '../../src/notebook/outputs.js';
import { ComparisonOutputSchema, type ComparisonOutput } from '../../src/protocol/notebook.js';
import { writeStore } from './fixture.js';

const root = writeStore();
after(() => rmSync(root, { recursive: true, force: true }));
const runs = loadRuns([root, root]);

function run(text: string): ComparisonOutput {
  const out = runComparison(parseQuery(text), runs);
  // what the controller sends is exactly what the renderer accepts (NaN would not survive JSON)
  assert.deepEqual(ComparisonOutputSchema.parse(JSON.parse(JSON.stringify(out))), out);
  return out;
}

function errorOf(text: string): { line?: number; message: string } {
  try {
    runComparison(parseQuery(text), runs);
  } catch (err) {
    assert.ok(err instanceof QueryError, String(err));
    assert.equal(err.problems.length, 1);
    return err.problems[0] as { line?: number; message: string };
  }
  assert.fail('no error');
}

const close = (a: number | null | undefined, b: number, tol = 1e-12) => assert.ok(a !== null && a !== undefined && Math.abs(a - b) <= tol, `${a} != ${b}`);

test('collect reads every run folder once, with its sweep values, resolved settings, best epoch and metrics', () => {
  assert.equal(runs.length, 21);
  const one = runs.find((r) => r.name === 'exp-cos/lambda0.1-s3-20260101-000000');
  assert.ok(one);
  assert.equal(one.keys['aem.lambda'], 0.1);
  assert.equal(one.keys['aem.schedule'], 'cosine');
  assert.equal(one.keys['model.attention'], 128);
  assert.equal(one.keys.experiment, 'exp-cos');
  assert.equal(one.keys.seed, 3);
  assert.deepEqual(one.sweepKeys, ['aem.lambda']);
  assert.equal(epochAt(one, 'best'), 2);
  assert.equal(epochAt(one, 'last'), 2);
  assert.equal(epochAt(one, 1), 0);
  assert.equal(epochAt(one, 4), undefined);
  close(metricAt(one, 'test.auroc', 2), 0.7 + 0.1 + 0.03 + 0.023);
  close(metricAt(one, 'train.lambda', 0), 0.1);
  assert.equal(metricAt(one, 'test.tumourAttention', 2), undefined, 'null is no value');
});

test('table: mean ± std per group at the best epoch, seeds, Wilcoxon p against the baseline, best in bold, unfinished runs noted', () => {
  const out = run('runs: exp-cos/*\nshow: table\nmetrics: [test.auroc, test.entropy, test.loss]');
  assert.equal(out.kind, 'table');
  if (out.kind !== 'table') return;
  assert.deepEqual(out.rows.map((r) => r.group), ['aem.lambda=0', 'aem.lambda=0.1']);
  assert.equal(out.baseline, 'aem.lambda=0');
  const base = out.rows[0]?.cells[0];
  const aem = out.rows[1]?.cells[0];
  const baseValues = [0, 1, 2, 3, 4].map((s) => 0.8 + 0.01 * s);
  close(base?.mean, mean(baseValues));
  close(base?.mean, 0.82, 1e-12);
  close(base?.std, 0.015811388300841896, 1e-12); // numpy: np.std([0.80, 0.81, 0.82, 0.83, 0.84], ddof=1)
  assert.equal(base?.n, 5);
  assert.equal(out.rows[0]?.seeds, 5);
  assert.equal(base?.p, null);
  // every seed improves: the exact two-sided p for n = 5 is 2/32 (scipy.stats.wilcoxon gives 0.0625)
  close(aem?.p, 0.0625);
  assert.equal(aem?.pairs, 5);
  assert.equal(aem?.best, true);
  assert.equal(base?.best, false);
  assert.deepEqual(out.directions, ['higher', 'none', 'lower']);
  assert.equal(out.rows.some((r) => r.cells[1]?.best), false, 'entropy has no better direction');
  assert.equal(out.rows[1]?.cells[2]?.best, true, 'lower loss is better');
  assert.match(out.notes.join(' '), /1 unfinished run left out/);
  assert.equal(out.runsUsed, 10);
  assert.match(out.markdown, /\| aem\.lambda=0\.1 \| 5 \| \*\*0\.842 ± 0\.017\*\* \(p = 0\.063\) \|/);
  assert.match(out.csv.split('\n')[0] ?? '', /^group,seeds,test\.auroc mean,test\.auroc std,test\.auroc n,test\.auroc p,/);
  assert.match(out.latex, /\\textbf\{0\.842 \$\\pm\$ 0\.017\} \{\\scriptsize \(\$p\$ = 0\.063\)\}/);
  assert.match(fallbackMarkdown(out), /\*\*Mean ± std over seeds/);
});

test('table: group by two keys across experiments, a chosen baseline, an explicit epoch, unfinished runs included on request', () => {
  const out = run('runs: exp-*/*\ngroup: [aem.schedule, aem.lambda]\nmetrics: test.auroc\nbaseline: {aem.schedule: constant, aem.lambda: 0}\nat: 1\ninclude: all');
  if (out.kind !== 'table') return assert.fail(out.kind);
  assert.deepEqual(out.rows.map((r) => r.group), ['aem.schedule=constant, aem.lambda=0', 'aem.schedule=constant, aem.lambda=0.1', 'aem.schedule=cosine, aem.lambda=0', 'aem.schedule=cosine, aem.lambda=0.1']);
  assert.equal(out.baseline, 'aem.schedule=constant, aem.lambda=0');
  assert.equal(out.rows[2]?.seeds, 6, 'the running run counts with include: all');
  close(out.rows[0]?.cells[0]?.mean, 0.72);
  assert.equal(out.rows[2]?.cells[0]?.pairs, 5, 'seed 9 has no partner in the baseline');
});

test('curves: group mean ± std over epochs (1-based)', () => {
  const out = run('runs: exp-cos/*\nshow: curves\nmetrics: [test.auroc, train.loss]');
  if (out.kind !== 'curves') return assert.fail(out.kind);
  assert.deepEqual(out.charts.map((c) => c.metric), ['test.auroc', 'train.loss']);
  const s = out.charts[0]?.series[0];
  assert.equal(s?.label, 'aem.lambda=0');
  assert.deepEqual(s?.x, [1, 2, 3]);
  close(s?.mean[0], 0.72);
  close(s?.mean[2], 0.82);
  close(s?.std[1], sampleStd([0, 1, 2, 3, 4].map((seed) => 0.75 + 0.01 * seed)));
  assert.deepEqual(s?.n, [5, 5, 5]);
});

test('scatter: one point per run with Pearson and Spearman over all points', () => {
  const out = run('runs: exp-cos/*\nshow: scatter\nx: test.entropy\ny: test.auroc');
  if (out.kind !== 'scatter') return assert.fail(out.kind);
  assert.equal(out.points.length, 10);
  // scipy 1.17.1: pearsonr / spearmanr of these ten (entropy, AUROC) pairs
  close(out.pearson, 0.7908946853356527, 1e-12);
  close(out.spearman, 0.9240164263936983, 1e-12);
  assert.deepEqual([...new Set(out.points.map((p) => p.group))], ['aem.lambda=0', 'aem.lambda=0.1']);
});

test('topk: mean curve per group over k = 1..K at the best epoch', () => {
  const out = run('runs: exp-cos/*\nshow: topk\nsplit: val');
  if (out.kind !== 'topk') return assert.fail(out.kind);
  assert.equal(out.split, 'val');
  assert.deepEqual(out.series[0]?.x, [1, 2, 3]);
  close(out.series[0]?.mean[2], 0.47);
  close(out.series[0]?.std[2], 0);
});

test('sensitivity: metric against lambda, one line per schedule', () => {
  const out = run('runs: exp-*\nshow: sensitivity\nmetrics: test.auroc');
  if (out.kind !== 'sensitivity') return assert.fail(out.kind);
  assert.deepEqual(out.series.map((s) => s.label), ['aem.schedule=constant', 'aem.schedule=cosine']);
  assert.deepEqual(out.series[0]?.x, [0, 0.1]);
  close(out.series[0]?.mean[1], 0.82 + 0.022 + 0.01);
  close(out.series[1]?.mean[0], 0.82);
});

test('errors say what exists: a glob matching nothing, an unknown group key, an unknown metric, a metric no run has, a baseline that is no group', () => {
  const glob = errorOf('show: table\nruns: exp-x/*');
  assert.equal(glob.line, 2);
  assert.match(glob.message, /"exp-x\/\*" matches no run; experiments with runs: exp-const\/\* \(10 runs\), exp-cos\/\* \(11 runs\)/);
  assert.match(errorOf('runs: exp-cos/[ab]').message, /bad pattern: .*do not support/);
  const group = errorOf('runs: exp-cos/*\ngroup: aem.lamda');
  assert.equal(group.line, 2);
  assert.match(group.message, /no run has the key "aem\.lamda"; keys: .*aem\.lambda, aem\.regulariser, aem\.schedule/);
  assert.match(errorOf('runs: exp-cos/*\nmetrics: test.aucroc').message, /unknown metric "test\.aucroc"; metrics: train\.loss, .*test\.auroc/);
  const missing = errorOf('runs: exp-cos/*\nmetrics: [test.auroc, test.tumourAttention]');
  assert.match(missing.message, /no selected run has a value of "test\.tumourAttention" .*; metrics these runs have: .*test\.auroc/);
  assert.doesNotMatch(missing.message.split('have: ')[1] ?? '', /tumourAttention/);
  assert.match(errorOf('runs: exp-cos/*\nbaseline: {aem.lambda: 0.5}').message, /no group matches the baseline; groups: aem\.lambda=0; aem\.lambda=0\.1/);
  assert.match(errorOf('runs: exp-cos/lambda0-s9-*').message, /1 run matches but none has finished or is training now: exp-cos\/lambda0-s9-\S+ \(interrupted, epoch 3 of 3\); add "include: all"/);
});
