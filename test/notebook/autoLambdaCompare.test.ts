// The notebook beside aem.schedule "auto": in the sensitivity view each auto configuration is a flat band
// at its mean ± std (it has no fixed lambda), and the table tests every group against the baseline and
// against the best group of a selection (the best fixed lambda).
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { loadRuns } from '../../src/notebook/collect.js';
import { runComparison } from '../../src/notebook/compare.js';
import { parseQuery, QueryError } from '../../src/notebook/query.js';
import { mean, sampleStd, wilcoxonSignedRank } from '../../src/notebook/stats.js';
import { fallbackMarkdown } from '../../src/notebook/outputs.js';
import { COMPARISON_MIME, ComparisonOutputSchema, type ComparisonOutput } from '../../src/protocol/notebook.js';
import { runNotebookCells } from '../../src/notebook/runCells.js';
import { writeAutoRuns, writeRun } from './fixture.js';

// fixed: constant lambda 0 / 0.1 / 0.5, test AUROC 0.70 / 0.75 / 0.72 + 0.01 seed (+ 0.002 seed^2 for 0.1);
// auto: targets 0.8 and 0.95, AUROC 0.74 + 0.013 seed and 0.69 + 0.01 seed + 0.001 seed^2; seeds 0-4.
const root = mkdtempSync(path.join(tmpdir(), 'aem-nb-auto-'));
after(() => rmSync(root, { recursive: true, force: true }));
const fixed = { 0: (s: number) => 0.7 + 0.01 * s, 0.1: (s: number) => 0.75 + 0.01 * s + 0.002 * s * s, 0.5: (s: number) => 0.72 + 0.01 * s };
const auto = { 0.8: (s: number) => 0.74 + 0.013 * s, 0.95: (s: number) => 0.69 + 0.01 * s + 0.001 * s * s };
for (let seed = 0; seed < 5; seed++) {
  for (const [lambda, f] of Object.entries(fixed)) {
    writeRun(root, { experiment: 'grid', lambda: Number(lambda), schedule: 'constant', seed, epochs: 2, bestEpoch: 1, status: 'done', auroc: () => f(seed), entropy: 3 });
  }
  writeAutoRuns(root, auto, seed);
}
const runs = loadRuns([root]);
const seeds = [0, 1, 2, 3, 4];

function run(text: string): ComparisonOutput {
  const out = runComparison(parseQuery(text), runs);
  assert.deepEqual(ComparisonOutputSchema.parse(JSON.parse(JSON.stringify(out))), out);
  return out;
}

const close = (a: number | null | undefined, b: number) => assert.ok(a !== null && a !== undefined && Math.abs(a - b) <= 1e-12, `${a} != ${b}`);

test('sensitivity: the grid as lines, each auto configuration as a band at its mean ± std', () => {
  const out = run('runs: [grid/*, auto/*]\nshow: sensitivity\nmetrics: test.auroc');
  if (out.kind !== 'sensitivity') return assert.fail(out.kind);
  assert.deepEqual(out.series.map((s) => s.label), ['aem.schedule=constant']);
  assert.deepEqual(out.series[0]?.x, [0, 0.1, 0.5], 'auto runs are not points at their starting lambda');
  assert.deepEqual(out.bands.map((b) => b.label), ['aem.schedule=auto, target 0.8, lambdaLr 0.05, start 0.1', 'aem.schedule=auto, target 0.95, lambdaLr 0.05, start 0.1']);
  const values = seeds.map(auto[0.8]);
  close(out.bands[0]?.mean, mean(values));
  close(out.bands[0]?.std, sampleStd(values));
  assert.equal(out.bands[0]?.n, 5);
  assert.equal(out.runsUsed, 15, 'runsUsed counts the lines\' runs');
  assert.match(fallbackMarkdown(out), /aem\.schedule=auto, target 0\.8, lambdaLr 0\.05, start 0\.1 \(band, no fixed aem\.lambda\): 0\.766 ± 0\.021 \(n = 5\)/);
});

test('sensitivity of auto runs alone says why there is nothing to draw them against', () => {
  assert.throws(() => runComparison(parseQuery('runs: auto/*\nshow: sensitivity'), runs), (err: unknown) => err instanceof QueryError && /every selected run has aem\.schedule "auto"/.test(err.message));
});

test('table: p against the baseline (ABMIL) and against the best fixed lambda', () => {
  const out = run('runs: [grid/*, auto/*]\nshow: table\ngroup: [aem.schedule, aem.lambda, config]\nmetrics: [test.auroc]\nbaseline: {aem.lambda: 0}\nversusBest: {aem.schedule: constant}');
  if (out.kind !== 'table') return assert.fail(out.kind);
  const best = 'aem.schedule=constant, aem.lambda=0.1, config=lambda0.1';
  assert.equal(out.versus, best, 'the best constant lambda other than the baseline');
  const row = (label: string) => out.rows.find((r) => r.group === label)?.cells[0];
  const autoRow = row('aem.schedule=auto, aem.lambda=0.1, config=targetEntropy0.8');
  assert.ok(autoRow);
  close(autoRow.p, wilcoxonSignedRank(seeds.map(auto[0.8]), seeds.map(fixed[0])).pValue);
  close(autoRow.pVersus, wilcoxonSignedRank(seeds.map(auto[0.8]), seeds.map(fixed[0.1])).pValue);
  assert.equal(autoRow.pairsVersus, 5);
  assert.equal(row(best)?.pVersus, null, 'the best group is not tested against itself');
  assert.match(out.markdown, /\(p = [0-9.]+; p_best = [0-9.]+\)/);
  assert.match(out.markdown, /p_best: the same test against aem\.schedule=constant, aem\.lambda=0\.1, config=lambda0\.1/);
  assert.match(out.csv.split('\n')[0] ?? '', /test\.auroc p,test\.auroc p vs best$/);
  assert.match(out.latex, /\$p_\{best\}\$ = /);
});

test('versusBest naming no group key, or selecting no group, is an error that lists what exists', () => {
  const msg = (text: string) => {
    try {
      runComparison(parseQuery(text), runs);
    } catch (err) {
      assert.ok(err instanceof QueryError);
      return err.message;
    }
    return assert.fail('no error');
  };
  assert.match(msg('runs: [grid/*, auto/*]\ngroup: [aem.schedule, aem.lambda]\nversusBest: {aem.lamda: 0.1}'), /line 3: versusBest names "aem\.lamda", which is not a group key; group keys: aem\.schedule, aem\.lambda/);
  assert.match(msg('runs: [grid/*, auto/*]\ngroup: [aem.schedule, aem.lambda]\nbaseline: {aem.lambda: 0}\nversusBest: {aem.schedule: cosine}'), /no group other than the baseline matches versusBest; groups: /);
});

test('runNotebookCells fills each query cell with the controller\'s two outputs and leaves Markdown cells alone', () => {
  const notebook = {
    cells: [
      { kind: 'markdown' as const, language: 'markdown', source: '# notes', outputs: [] },
      { kind: 'code' as const, language: 'yaml', source: 'runs: [grid/*, auto/*]\nshow: sensitivity', outputs: [] },
    ],
  };
  const ran = runNotebookCells(notebook, [root]);
  assert.deepEqual(ran.cells[0], notebook.cells[0]);
  const items = ran.cells[1]?.outputs[0]?.items ?? [];
  assert.deepEqual(items.map((i) => i.mime), [COMPARISON_MIME, 'text/markdown']);
  const output = ComparisonOutputSchema.parse(JSON.parse(new TextDecoder().decode(items[0]?.data)));
  assert.equal(output.kind, 'sensitivity');
  assert.equal(new TextDecoder().decode(items[1]?.data), fallbackMarkdown(output));
  assert.throws(() => runNotebookCells({ cells: [{ kind: 'code', language: 'yaml', source: 'runs: nothing/*', outputs: [] }] }, [root]), /^Error: cell 1: line 1: "nothing\/\*" matches no run/);
});
