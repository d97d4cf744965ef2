import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatP, tableCsv, tableLatex, tableMarkdown, type TableModel } from '../../src/notebook/format.js';

const model: TableModel = {
  kind: 'table',
  title: 't',
  runsUsed: 3,
  notes: [],
  at: 'at epoch 2',
  metrics: ['test.auroc', 'test.entropy'],
  directions: ['higher', 'none'],
  baseline: 'a|b_1',
  rows: [
    { group: 'a|b_1', seeds: 2, cells: [{ mean: 0.8, std: 0.01, n: 2, values: [0.79, 0.81], best: false, p: null, pairs: 0 }, { mean: 3, std: 0, n: 1, values: [3], best: false, p: null, pairs: 0 }] },
    { group: 'x & 50%', seeds: 1, cells: [{ mean: 0.9, std: 0, n: 1, values: [0.9], best: true, p: 0.0004, pairs: 1 }, { mean: null, std: null, n: 0, values: [], best: false, p: null, pairs: 0 }] },
  ],
};

test('p-values: two significant digits, <0.001 below that, empty without a test', () => {
  assert.equal(formatP(0.0625), '0.063');
  assert.equal(formatP(0.25), '0.25');
  assert.equal(formatP(1), '1');
  assert.equal(formatP(0.0004), '<0.001');
  assert.equal(formatP(null), '');
});

test('Markdown: escaped group names, baseline marked, bold best, one seed shows the value alone, n/a for none', () => {
  const lines = tableMarkdown(model).split('\n');
  assert.equal(lines[0], '| group | seeds | test.auroc | test.entropy |');
  assert.equal(lines[1], '| --- | --- | ---: | ---: |');
  assert.equal(lines[2], '| a\\|b\\_1 (baseline) | 2 | 0.800 ± 0.010 | 3.000 |');
  assert.equal(lines[3], '| x & 50% | 1 | **0.900** (p = <0.001) | n/a |');
});

test('CSV: mean, std, n and p columns per metric, quoted where needed, empty for no value', () => {
  assert.equal(
    tableCsv(model),
    'group,seeds,test.auroc mean,test.auroc std,test.auroc n,test.auroc p,test.entropy mean,test.entropy std,test.entropy n,test.entropy p\n' +
      'a|b_1,2,0.8,0.01,2,,3,0,1,\n' +
      'x & 50%,1,0.9,0,1,0.0004,,,0,\n',
  );
});

test('LaTeX: a tabular with escaped specials, \\textbf for the best and the p-value in small print (< in math mode)', () => {
  const tex = tableLatex(model);
  assert.match(tex, /^\\begin\{tabular\}\{l r c c\}\n\\hline\nGroup & Seeds & test.auroc & test.entropy \\\\\n\\hline\n/);
  assert.match(tex, /\na\|b\\_1 & 2 & 0\.800 \$\\pm\$ 0\.010 & 3\.000 \\\\\n/);
  assert.match(tex, /\nx \\& 50\\% & 1 & \\textbf\{0\.900\} \{\\scriptsize \(\$p\$ = \$<\$0\.001\)\} & n\/a \\\\\n/);
  assert.ok(tex.endsWith('\\hline\n\\end{tabular}\n'));
});
