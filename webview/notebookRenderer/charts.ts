// The chart outputs, drawn with Chart.js (which only draws: every number comes computed in the payload):
// curves, top-k and sensitivity are group means with a ± std band, scatter is one point per run.
import { Chart, Filler, Legend, LinearScale, LineController, LineElement, PointElement, ScatterController, Tooltip, type ChartDataset, type ChartOptions } from 'chart.js';
import { formatNumber } from '../../src/notebook/format.js';
import type { BandSeries, CurvesOutput, ScatterOutput, SensitivityOutput, TopkOutput } from '../../src/protocol/notebook.js';
import { el, header } from './dom.js';
import { readTheme, withAlpha, type Theme } from './theme.js';

Chart.register(LineController, ScatterController, LineElement, PointElement, LinearScale, Filler, Legend, Tooltip);

type Point = { x: number; y: number };
type LineSet = ChartDataset<'line', Point[]>;

/** Three datasets per series: the lower and upper edge of the band (filled between), then the mean. */
function bandDatasets(series: readonly BandSeries[], theme: Theme): LineSet[] {
  return series.flatMap((s, i) => {
    const colour = theme.series(i);
    const edge = (sign: number): Point[] => s.x.map((x, j) => ({ x, y: (s.mean[j] as number) + sign * (s.std[j] as number) }));
    const hidden = { borderWidth: 0, pointRadius: 0, pointHitRadius: 0, borderColor: 'transparent' };
    return [
      { label: `${s.label} −std`, data: edge(-1), ...hidden, fill: false },
      { label: `${s.label} +std`, data: edge(1), ...hidden, fill: '-1', backgroundColor: withAlpha(colour, 0.12) },
      {
        label: s.label,
        data: s.x.map((x, j) => ({ x, y: s.mean[j] as number })),
        borderColor: colour,
        backgroundColor: colour,
        borderWidth: 2,
        pointRadius: s.x.length > 30 ? 0 : 2.5,
        fill: false,
      },
    ];
  });
}

function axes(theme: Theme, xTitle: string, yTitle: string, integerX: boolean): ChartOptions<'line'>['scales'] {
  const axis = (title: string, integer = false) => ({
    type: 'linear' as const,
    title: { display: true, text: title, color: theme.muted },
    ticks: { color: theme.muted, ...(integer ? { precision: 0 } : {}) },
    grid: { color: theme.grid },
    border: { color: theme.grid },
  });
  return { x: axis(xTitle, integerX), y: axis(yTitle) };
}

function baseOptions(theme: Theme, xTitle: string, yTitle: string, integerX = false): ChartOptions<'line'> {
  return {
    responsive: true,
    maintainAspectRatio: false,
    animation: false,
    parsing: false,
    normalized: true,
    scales: axes(theme, xTitle, yTitle, integerX),
    plugins: {
      legend: { labels: { color: theme.foreground, boxWidth: 12, filter: (item) => !/ [−+]std$/.test(item.text) } },
      tooltip: { filter: (item) => !/ [−+]std$/.test(item.dataset.label ?? '') },
    },
  };
}

/** A fixed-height chart box; the canvas records what it was given (for tests and accessibility). */
function chartBox(root: HTMLElement, label: string): HTMLCanvasElement {
  const box = el('div', 'aem-chart');
  const canvas = el('canvas');
  canvas.setAttribute('role', 'img');
  canvas.setAttribute('aria-label', label);
  box.append(canvas);
  root.append(box);
  return canvas;
}

function describe(canvas: HTMLCanvasElement, datasets: { label?: string; data: unknown[] }[]): void {
  canvas.dataset.series = JSON.stringify(datasets.filter((d) => !/ [−+]std$/.test(d.label ?? '')).map((d) => ({ label: d.label ?? '', points: d.data.length })));
}

function bandChart(root: HTMLElement, series: BandSeries[], xTitle: string, yTitle: string, integerX = false): Chart {
  const theme = readTheme();
  const canvas = chartBox(root, `${yTitle} against ${xTitle}`);
  const datasets = bandDatasets(series, theme);
  describe(canvas, datasets);
  return new Chart(canvas, { type: 'line', data: { datasets }, options: baseOptions(theme, xTitle, yTitle, integerX) });
}

export function renderCurves(output: CurvesOutput, root: HTMLElement): Chart[] {
  header(root, output.title, output.notes);
  return output.charts.map((c) => bandChart(root, c.series, 'epoch', c.metric, true));
}

export function renderTopk(output: TopkOutput, root: HTMLElement): Chart[] {
  header(root, output.title, output.notes);
  return [bandChart(root, output.series, 'k (instances with the highest attention)', `cumulative attention (${output.split})`, true)];
}

/** Configurations with no fixed x (aem.schedule "auto") as flat bands across the grid's x range, after the lines' colours. */
function flatBands(output: SensitivityOutput, theme: Theme): LineSet[] {
  const xs = output.series.flatMap((s) => s.x);
  if (xs.length === 0) return [];
  const span = [Math.min(...xs), Math.max(...xs)];
  const asSeries: BandSeries[] = output.bands.map((b) => ({ label: b.label, x: span, mean: [b.mean, b.mean], std: [b.std ?? 0, b.std ?? 0], n: [b.n, b.n] }));
  const offset = output.series.length;
  return bandDatasets(asSeries, { ...theme, series: (i) => theme.series(i + offset) }).map((d) => (/ [−+]std$/.test(d.label ?? '') ? d : { ...d, borderDash: [6, 4], pointRadius: 0 }));
}

/**
 * What each flat band was drawn with, read back from the chart: its x span, lower edge, mean and upper edge,
 * the dash, the fill, and where on the canvas (CSS pixels) its mean line and its edges fell (for tests and
 * accessibility).
 */
function describeBands(canvas: HTMLCanvasElement, chart: Chart, bandCount: number): void {
  const sets = chart.data.datasets as LineSet[];
  const first = sets.length - 3 * bandCount;
  const { x: xScale, y: yScale } = chart.scales;
  const described = [];
  for (let i = first; i + 2 < sets.length; i += 3) {
    const [lower, upper, line] = [sets[i], sets[i + 1], sets[i + 2]] as [LineSet, LineSet, LineSet];
    const ys = (d: LineSet) => d.data.map((p) => p.y);
    described.push({
      label: line.label ?? '',
      x: line.data.map((p) => p.x),
      lower: ys(lower),
      mean: ys(line),
      upper: ys(upper),
      dashed: Array.isArray(line.borderDash) && line.borderDash.length > 0,
      filled: upper.fill === '-1',
      pixels: xScale && yScale
        ? {
            x: line.data.map((p) => xScale.getPixelForValue(p.x)),
            mean: yScale.getPixelForValue(line.data[0]?.y ?? 0),
            lower: yScale.getPixelForValue(lower.data[0]?.y ?? 0),
            upper: yScale.getPixelForValue(upper.data[0]?.y ?? 0),
          }
        : null,
    });
  }
  canvas.dataset.bands = JSON.stringify(described);
}

export function renderSensitivity(output: SensitivityOutput, root: HTMLElement): Chart[] {
  header(root, output.title, output.notes);
  const theme = readTheme();
  const canvas = chartBox(root, `${output.metric} against ${output.x}`);
  const bands = flatBands(output, theme);
  const datasets = [...bandDatasets(output.series, theme), ...bands];
  describe(canvas, datasets);
  const chart = new Chart(canvas, { type: 'line', data: { datasets }, options: baseOptions(theme, output.x, output.metric) });
  describeBands(canvas, chart, bands.length / 3);
  return [chart];
}

export function renderScatter(output: ScatterOutput, root: HTMLElement): Chart[] {
  header(root, output.title, output.notes);
  const caption = el('div', 'aem-caption', `Pearson r = ${formatNumber(output.pearson)} · Spearman ρ = ${formatNumber(output.spearman)} · n = ${output.points.length} runs`);
  caption.dataset.pearson = String(output.pearson);
  caption.dataset.spearman = String(output.spearman);
  root.append(caption);
  const theme = readTheme();
  const groups = [...new Set(output.points.map((p) => p.group))];
  const datasets: ChartDataset<'scatter', Point[]>[] = groups.map((group, i) => ({
    label: group,
    data: output.points.filter((p) => p.group === group).map((p) => ({ x: p.x, y: p.y })),
    backgroundColor: theme.series(i),
    borderColor: theme.series(i),
    pointRadius: 4,
  }));
  const canvas = chartBox(root, `${output.y} against ${output.x}`);
  describe(canvas, datasets);
  const options = baseOptions(theme, output.x, output.y) as ChartOptions<'scatter'>;
  return [new Chart(canvas, { type: 'scatter', data: { datasets }, options })];
}
