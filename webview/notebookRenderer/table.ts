// The table output: one row per group, mean ± std per metric (best in bold), the number of seeds and
// the Wilcoxon p-value against the baseline group.
import { formatMeanStd, formatP } from '../../src/notebook/format.js';
import type { TableOutput } from '../../src/protocol/notebook.js';
import { copyButtons } from './copyButtons.js';
import { el, header } from './dom.js';

export function renderTable(output: TableOutput, root: HTMLElement): void {
  header(root, output.title, output.notes);
  const table = el('table');
  const head = el('tr');
  for (const name of ['Group', 'Seeds', ...output.metrics]) head.append(el('th', undefined, name));
  table.append(el('thead'));
  table.tHead?.append(head);
  const body = el('tbody');
  for (const row of output.rows) {
    const tr = el('tr');
    tr.dataset.group = row.group;
    const name = el('td', undefined, row.group);
    if (row.group === output.baseline) name.append(' ', el('span', 'aem-baseline', '(baseline)'));
    if (row.group === output.versus) name.append(' ', el('span', 'aem-baseline', '(best of versusBest)'));
    tr.append(name, el('td', 'aem-seeds', String(row.seeds)));
    row.cells.forEach((cell, i) => {
      const td = el('td', cell.best ? 'aem-best' : undefined);
      td.dataset.metric = output.metrics[i] ?? '';
      const value = el(cell.best ? 'strong' : 'span', 'aem-value', formatMeanStd(cell));
      td.append(value);
      if (cell.p !== null) {
        const p = el('span', 'aem-p', `p = ${formatP(cell.p)}`);
        p.title = `Two-sided Wilcoxon signed-rank test against ${output.baseline ?? 'the baseline'} over ${cell.pairs} seed pair${cell.pairs === 1 ? '' : 's'}`;
        td.append(p);
      } else if (cell.pairs > 0) {
        const p = el('span', 'aem-p', 'p: no difference');
        p.title = `Every one of the ${cell.pairs} paired differences against ${output.baseline ?? 'the baseline'} is zero: nothing to test`;
        td.append(p);
      }
      if (cell.pVersus != null) {
        const p = el('span', 'aem-p aem-p-versus', `p_best = ${formatP(cell.pVersus)}`);
        p.title = `Two-sided Wilcoxon signed-rank test against ${output.versus ?? 'the best group'} over ${cell.pairsVersus ?? 0} seed pair${cell.pairsVersus === 1 ? '' : 's'}`;
        td.append(p);
      }
      tr.append(td);
    });
    body.append(tr);
  }
  table.append(body);
  const versus = output.versus != null ? `; p_best: the same test against ${output.versus}, the best of the versusBest groups` : '';
  const test = output.baseline !== null ? `; p: two-sided Wilcoxon signed-rank test against ${output.baseline}, paired by seed${versus}` : '';
  root.append(
    table,
    el('div', 'aem-caption', `${output.runsUsed} runs ${output.at}; mean ± sample std over seeds; bold: best mean${test}.`),
    copyButtons([
      { label: 'Copy Markdown', format: 'Markdown', text: output.markdown },
      { label: 'Copy CSV', format: 'CSV', text: output.csv },
      { label: 'Copy LaTeX', format: 'LaTeX', text: output.latex },
    ]),
  );
}
