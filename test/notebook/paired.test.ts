// show: paired (the AEM paper's Figure 3/4 layout) over a run store of model.arch x aem.lambda x 5 seeds:
// per model the metric without and with AEM, mean ± std, the difference, the paired Wilcoxon p-value
// (expected values from numpy / scipy 1.17), the Markdown / CSV / LaTeX copies, and its mistakes.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { loadRuns } from '../../src/notebook/collect.js';
import { runComparison } from '../../src/notebook/compare.js';
import { fallbackMarkdown } from '../../src/notebook/outputs.js';
import { parseQuery, QueryError } from '../../src/notebook/query.js';
import { ComparisonOutputSchema, type PairedOutput } from '../../src/protocol/notebook.js';
import { close } from '../helpers/paths.js';
import { writePairedStore } from './pairedFixture.js';

const store = writePairedStore();
after(() => rmSync(store, { recursive: true, force: true }));
const runs = loadRuns([store]);

function paired(query: string): PairedOutput {
  const out = runComparison(parseQuery(query), runs);
  assert.equal(out.kind, 'paired');
  assert.ok(ComparisonOutputSchema.safeParse(out).success, 'the payload passes the renderer\'s schema');
  return out as PairedOutput;
}

test('per model: without and with AEM, mean ± sample std over seeds, difference and paired Wilcoxon p', () => {
  const out = paired('runs: zoo/*\nshow: paired\ngroup: model.arch\nx: aem.lambda\nmetrics: test.auroc');
  assert.equal(out.key, 'aem.lambda');
  assert.equal(out.without, '0');
  assert.equal(out.runsUsed, 30);
  assert.deepEqual(out.rows.map((r) => [r.group, r.with, r.pairs]), [
    ['model.arch=abmil', '0.1', 5],
    ['model.arch=dsmil', '0.1', 5],
    ['model.arch=mha', '0.1', 5],
  ]);
  const [abmil, dsmil, mha] = out.rows;
  // numpy: mean, std(ddof=1); scipy.stats.wilcoxon(with, without).pvalue
  const expect = (row: PairedOutput['rows'][number] | undefined, w: [number, number], a: [number, number], diff: number, p: number) => {
    assert.ok(row);
    assert.ok(close(row.without.mean ?? NaN, w[0], 1e-9) && close(row.without.std ?? NaN, w[1], 1e-9), `${row.group} without ${row.without.mean} ± ${row.without.std}`);
    assert.ok(close(row.withSide.mean ?? NaN, a[0], 1e-9) && close(row.withSide.std ?? NaN, a[1], 1e-9), `${row.group} with ${row.withSide.mean} ± ${row.withSide.std}`);
    assert.ok(close(row.difference ?? NaN, diff, 1e-9), `${row.group} difference ${row.difference}`);
    assert.ok(close(row.p ?? NaN, p, 1e-6), `${row.group} p ${row.p} vs ${p}`);
  };
  expect(abmil, [0.81, 0.015811388300841858], [0.844, 0.011401754250991391], 0.034, 0.0625);
  expect(dsmil, [0.704, 0.01140175425099139], [0.692, 0.008366600265340723], -0.012, 0.0625);
  expect(mha, [0.76, 0.01581138830084191], [0.78, 0.01581138830084191], 0.02, 0.1875);
  assert.deepEqual(abmil?.without.seeds, [0, 1, 2, 3, 4]);
  assert.equal(out.direction, 'higher');
});

test('the copies: Markdown (also the notebook\'s plain text), CSV and LaTeX', () => {
  const out = paired('runs: zoo/*\nshow: paired\ngroup: model.arch');
  const md = out.markdown.split('\n');
  assert.equal(md[0], '| model.arch | aem.lambda = 0 | aem.lambda = 0.1 | difference | p | pairs |');
  assert.equal(md[2], '| abmil | 0.810 ± 0.016 | 0.844 ± 0.011 | +0.034 | 0.063 | 5 |');
  assert.equal(md[3], '| dsmil | 0.704 ± 0.011 | 0.692 ± 0.008 | −0.012 | 0.063 | 5 |');
  assert.ok(fallbackMarkdown(out).includes(md[2] as string));
  const csv = out.csv.trim().split('\n');
  assert.equal(csv[0], 'group,aem.lambda,without mean,without std,without n,with aem.lambda,with mean,with std,with n,difference,p,pairs');
  const cells = (csv[1] ?? '').split(',');
  assert.deepEqual([cells[0], cells[1], cells[4], cells[5], cells[8], cells[11]], ['abmil', '0', '5', '0.1', '5', '5']);
  [0.81, 0.015811388300841858, 0.844, 0.011401754250991391, 0.034, 0.0625].forEach((v, i) => assert.ok(close(Number(cells[[2, 3, 6, 7, 9, 10][i] as number]), v, 1e-9), `CSV column ${i}: ${cells.join(',')}`));
  assert.equal(csv.length, 4);
  assert.match(out.latex, /^\\begin\{tabular\}\{l c c r r\}/);
  assert.match(out.latex, /abmil & 0\.810 \$\\pm\$ 0\.016 & 0\.844 \$\\pm\$ 0\.011 \{\\scriptsize \(0\.1\)\} & \+0\.034 & 0\.063 \\\\/);
  assert.match(out.latex, /dsmil & .* & \$-\$0\.012 & /);
});

test('defaults: x is aem.lambda, the rows are per the other sweep keys, the baseline its lowest value; a baseline picks another', () => {
  const out = paired('runs: zoo/*\nshow: paired');
  assert.deepEqual(out.groupKeys, ['model.arch']);
  assert.equal(out.rows.length, 3);
  const flipped = paired('runs: zoo/*\nshow: paired\nbaseline: {aem.lambda: 0.1}');
  assert.equal(flipped.without, '0.1');
  assert.deepEqual(flipped.rows.map((r) => r.with), ['0', '0', '0']);
  assert.ok(close(flipped.rows[0]?.difference ?? NaN, -0.034, 1e-9));
  const byLambda = paired('runs: zoo/arch_abmil-*\nshow: paired');
  assert.equal(byLambda.rows.length, 1, 'one model selected by the glob: one row');
});

test('mistakes are errors at the query line: one metric, x the runs do not vary, a group on x, a baseline value no run has', () => {
  const fails = (query: string, pattern: RegExp) =>
    assert.throws(
      () => runComparison(parseQuery(query), runs),
      (err: unknown) => err instanceof QueryError && pattern.test(err.message),
      query,
    );
  fails('runs: zoo/*\nshow: paired\nmetrics: [test.auroc, test.f1]', /line 3: show: paired compares one metric/);
  fails('runs: zoo/arch_abmil-lambda0-*\nshow: paired\ngroup: model.arch', /show: paired compares two values of aem\.lambda, and these runs have only 0:/);
  fails('runs: zoo/*\nshow: paired\ngroup: [model.arch, aem.lambda]', /line 3: "aem\.lambda" is the key show: paired compares/);
  fails('runs: zoo/*\nshow: paired\nbaseline: {aem.lambda: 0.5}', /line 3: no run has aem\.lambda = 0\.5; its values: 0, 0\.1/);
  fails('runs: zoo/*\nshow: paired\nx: aem.lamda', /line 3: no run has the key "aem\.lamda"/);
});
