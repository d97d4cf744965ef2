// show: paired, the AEM paper's Figure 3/4: per model, a bar without and a bar with AEM (mean over seeds,
// ± std whiskers), then the table of means, the difference and the paired Wilcoxon p-value, with the
// table's copy buttons. Chart.js draws the bars; the whiskers are a small plugin on the same canvas.
import { BarController, BarElement, CategoryScale, Chart, Legend, LinearScale, Tooltip, type ChartDataset, type Plugin } from 'chart.js';
import { formatNumber, formatP } from '../../src/notebook/format.js';
import type { PairedOutput, PairedSide } from '../../src/protocol/notebook.js';
import { copyButtons } from './copyButtons.js';
import { el, header } from './dom.js';
import { readTheme, withAlpha } from './theme.js';

Chart.register(BarController, BarElement, CategoryScale, LinearScale, Legend, Tooltip);

type BarSet = ChartDataset<'bar', (number | null)[]> & { stds: (number | null)[] };

const rowName = (output: PairedOutput, group: string) => (output.groupKeys.length === 1 ? group.replace(`${output.groupKeys[0]}=`, '') : group);
const rowLabel = (output: PairedOutput, r: PairedOutput['rows'][number]) => {
  const withs = new Set(output.rows.map((x) => x.with));
  return withs.size > 1 ? `${rowName(output, r.group)} (${output.key} ${r.with})` : rowName(output, r.group);
};

function meanStd(s: PairedSide): string {
  if (s.n === 0 || s.mean === null) return 'n/a';
  return s.n === 1 ? formatNumber(s.mean) : `${formatNumber(s.mean)} ± ${formatNumber(s.std)}`;
}

/** ± std whiskers over each bar, in the dataset's colour. */
const whiskers: Plugin<'bar'> = {
  id: 'aemWhiskers',
  afterDatasetsDraw(chart) {
    const { ctx } = chart;
    chart.data.datasets.forEach((dataset, d) => {
      const meta = chart.getDatasetMeta(d);
      if (meta.hidden) return;
      const set = dataset as unknown as BarSet;
      meta.data.forEach((bar, i) => {
        const value = set.data[i];
        const std = set.stds[i];
        if (value === null || value === undefined || std === null || std === undefined || !(std > 0)) return;
        const y = chart.scales.y;
        if (!y) return;
        const top = y.getPixelForValue(value + std);
        const bottom = y.getPixelForValue(value - std);
        const { x } = bar.getProps(['x'], true) as { x: number };
        ctx.save();
        ctx.strokeStyle = String(set.borderColor ?? '#888');
        ctx.lineWidth = 1.5;
        ctx.beginPath();
        ctx.moveTo(x, top);
        ctx.lineTo(x, bottom);
        ctx.moveTo(x - 4, top);
        ctx.lineTo(x + 4, top);
        ctx.moveTo(x - 4, bottom);
        ctx.lineTo(x + 4, bottom);
        ctx.stroke();
        ctx.restore();
      });
    });
  },
};

function barChart(output: PairedOutput, root: HTMLElement): Chart {
  const theme = readTheme();
  const labels = output.rows.map((r) => rowLabel(output, r));
  const sides: [string, (r: PairedOutput['rows'][number]) => PairedSide][] = [
    [`${output.key} = ${output.without}`, (r) => r.without],
    [`${output.key} = ${[...new Set(output.rows.map((r) => r.with))].join(' / ')}`, (r) => r.withSide],
  ];
  const datasets: BarSet[] = sides.map(([label, pick], i) => ({
    label,
    data: output.rows.map((r) => pick(r).mean),
    stds: output.rows.map((r) => pick(r).std),
    backgroundColor: withAlpha(theme.series(i), 0.55),
    borderColor: theme.series(i),
    borderWidth: 1,
  }));
  const box = el('div', 'aem-chart');
  const canvas = el('canvas');
  canvas.setAttribute('role', 'img');
  canvas.setAttribute('aria-label', `${output.metric} without and with ${output.key}, per ${output.groupKeys.join(', ') || 'group'}`);
  canvas.dataset.series = JSON.stringify(datasets.map((d) => ({ label: d.label ?? '', points: d.data.length, means: d.data, stds: d.stds })));
  box.append(canvas);
  root.append(box);
  const values = output.rows.flatMap((r) => [r.without, r.withSide]).flatMap((s) => (s.mean === null ? [] : [s.mean - (s.std ?? 0), s.mean + (s.std ?? 0)]));
  const lo = values.length > 0 ? Math.min(...values) : 0;
  const hi = values.length > 0 ? Math.max(...values) : 1;
  const pad = Math.max((hi - lo) * 0.15, 0.01);
  const axis = (title: string) => ({ title: { display: true, text: title, color: theme.muted }, ticks: { color: theme.muted }, grid: { color: theme.grid }, border: { color: theme.grid } });
  return new Chart<'bar', (number | null)[], string>(canvas, {
    type: 'bar',
    data: { labels, datasets },
    options: {
      responsive: true,
      maintainAspectRatio: false,
      animation: false,
      scales: { x: { type: 'category', ...axis(output.groupKeys.join(', ') || 'group') }, y: { type: 'linear', min: lo - pad, max: hi + pad, ...axis(output.metric) } },
      plugins: { legend: { labels: { color: theme.foreground, boxWidth: 12 } } },
    },
    plugins: [whiskers],
  }) as unknown as Chart;
}

function table(output: PairedOutput): HTMLTableElement {
  const t = el('table');
  const head = el('tr');
  for (const name of [output.groupKeys.join(', ') || 'Group', `${output.key} = ${output.without}`, `${output.key} = ${[...new Set(output.rows.map((r) => r.with))].join(' / ')}`, 'Difference', 'p', 'Pairs']) head.append(el('th', undefined, name));
  t.append(el('thead'));
  t.tHead?.append(head);
  const body = el('tbody');
  for (const r of output.rows) {
    const tr = el('tr');
    tr.dataset.group = r.group;
    tr.dataset.with = r.with;
    const better = r.difference === null || output.direction === 'none' ? undefined : (output.direction === 'higher') === r.difference > 0 ? 'aem-better' : r.difference === 0 ? undefined : 'aem-worse';
    const diff = el('td', better, r.difference === null ? 'n/a' : `${r.difference > 0 ? '+' : r.difference < 0 ? '−' : ''}${formatNumber(Math.abs(r.difference))}`);
    diff.dataset.field = 'difference';
    const withCell = el('td', undefined, meanStd(r.withSide));
    withCell.dataset.field = 'with';
    withCell.title = `${output.key} = ${r.with}; seeds ${r.withSide.seeds.join(', ')}`;
    const withoutCell = el('td', undefined, meanStd(r.without));
    withoutCell.dataset.field = 'without';
    withoutCell.title = `${output.key} = ${output.without}; seeds ${r.without.seeds.join(', ')}`;
    const p = el('td', 'aem-pvalue', r.p !== null ? formatP(r.p) : r.pairs > 0 ? 'no difference' : '');
    p.dataset.field = 'p';
    p.title = `Two-sided Wilcoxon signed-rank test over ${r.pairs} seed pair${r.pairs === 1 ? '' : 's'}`;
    tr.append(el('td', undefined, rowLabel(output, r)), withoutCell, withCell, diff, p, el('td', 'aem-seeds', String(r.pairs)));
    body.append(tr);
  }
  t.append(body);
  return t;
}

export function renderPaired(output: PairedOutput, root: HTMLElement): Chart[] {
  header(root, output.title, output.notes);
  const chart = barChart(output, root);
  root.append(
    table(output),
    el('div', 'aem-caption', `${output.runsUsed} runs ${output.at}; mean ± sample std over seeds; difference: with − without; p: two-sided Wilcoxon signed-rank test paired by seed.`),
    copyButtons([
      { label: 'Copy Markdown', format: 'Markdown', text: output.markdown },
      { label: 'Copy CSV', format: 'CSV', text: output.csv },
      { label: 'Copy LaTeX', format: 'LaTeX', text: output.latex },
    ]),
  );
  return [chart];
}
