// `show: roc` (one curve per group, or per group and class one-vs-rest, AUROC in the legend, the chance
// diagonal dashed) and `show: confusion` (one matrix per group, cells shaded by the share of their row).
import { Chart, type ChartDataset, type ChartOptions } from 'chart.js';
import { formatNumber } from '../../src/notebook/format.js';
import type { ConfusionOutput, RocOutput } from '../../src/protocol/notebook.js';
import { el, header } from './dom.js';
import { readTheme, withAlpha } from './theme.js';

type Point = { x: number; y: number };

export function renderRoc(output: RocOutput, root: HTMLElement): Chart[] {
  header(root, output.title, output.notes);
  const theme = readTheme();
  const datasets: ChartDataset<'line', Point[]>[] = output.curves.map((c, i) => ({
    label: `${c.label}: AUROC ${formatNumber(c.auroc)}${c.runs > 1 ? ` (runs ${formatNumber(c.runAurocMean)} ± ${formatNumber(c.runAurocStd)})` : ''}`,
    data: c.fpr.map((x, j) => ({ x, y: c.tpr[j] as number })),
    borderColor: theme.series(i),
    backgroundColor: theme.series(i),
    borderWidth: 2,
    pointRadius: 0,
    stepped: false,
  }));
  datasets.push({ label: 'chance', data: [{ x: 0, y: 0 }, { x: 1, y: 1 }], borderColor: theme.muted, borderDash: [4, 4], borderWidth: 1, pointRadius: 0 });
  const box = el('div', 'aem-chart aem-roc');
  const canvas = el('canvas');
  canvas.setAttribute('role', 'img');
  canvas.setAttribute('aria-label', `ROC curves on ${output.split}`);
  canvas.dataset.series = JSON.stringify(output.curves.map((c) => ({ label: c.label, points: c.fpr.length, auroc: c.auroc })));
  box.append(canvas);
  root.append(box);
  const axis = (title: string) => ({ type: 'linear' as const, min: 0, max: 1, title: { display: true, text: title, color: theme.muted }, ticks: { color: theme.muted }, grid: { color: theme.grid }, border: { color: theme.grid } });
  const options: ChartOptions<'line'> = {
    responsive: true,
    maintainAspectRatio: false,
    animation: false,
    parsing: false,
    scales: { x: axis('false positive rate'), y: axis('true positive rate') },
    plugins: { legend: { labels: { color: theme.foreground, boxWidth: 12, filter: (item) => item.text !== 'chance' } } },
  };
  return [new Chart(canvas, { type: 'line', data: { datasets }, options })];
}

export function renderConfusion(output: ConfusionOutput, root: HTMLElement): Chart[] {
  header(root, output.title, output.notes);
  const theme = readTheme();
  const wrap = el('div', 'aem-confusion');
  for (const g of output.groups) {
    const table = el('table');
    table.dataset.group = g.label;
    const caption = el('caption', undefined, `${g.label} · ${g.runs} run${g.runs === 1 ? '' : 's'}`);
    table.append(caption);
    const head = el('tr');
    head.append(el('th', undefined, 'true \\ predicted'), ...output.classes.map((c) => el('th', undefined, c)));
    table.append(el('thead'));
    table.tHead?.append(head);
    const body = el('tbody');
    g.counts.forEach((row, t) => {
      const tr = el('tr');
      tr.append(el('th', undefined, output.classes[t] ?? String(t)));
      const total = row.reduce((s, v) => s + v, 0);
      row.forEach((v, p) => {
        const td = el('td', t === p ? 'aem-diag' : undefined, String(v));
        const share = total > 0 ? v / total : 0;
        td.style.background = withAlpha(t === p ? theme.series(2) : theme.series(4), 0.12 + 0.5 * share);
        td.title = `${v} slides (${(100 * share).toFixed(0)} % of true ${output.classes[t] ?? t}); ${formatNumber(g.mean[t]?.[p] ?? null)} per run`;
        td.dataset.count = String(v);
        tr.append(td);
      });
      body.append(tr);
    });
    table.append(body);
    wrap.append(table);
  }
  root.append(wrap);
  return [];
}
