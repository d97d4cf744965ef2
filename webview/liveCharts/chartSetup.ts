// Chart.js with only the parts the panel uses (axes, grid, title: the lines are drawn by seriesLayer),
// the common options of its charts, line styles, and the plugin that marks each run's best epoch with
// a vertical line in the run's colour.
import { Chart, LinearScale, LineController, LineElement, LogarithmicScale, PointElement, Title, type ChartOptions, type Plugin } from 'chart.js';
import { seriesLayerPlugin } from './seriesLayer.js';
import type { ChartTheme } from './theme.js';

Chart.register(LineController, LineElement, PointElement, LinearScale, LogarithmicScale, Title);

export type XY = { x: number; y: number | null };
export type LineChart = Chart<'line', XY[]>;
export type LineStyle = 'solid' | 'dashed' | 'dotted' | 'dashdot';

export const DASHES: Record<LineStyle, number[]> = { solid: [], dashed: [6, 4], dotted: [2, 3], dashdot: [8, 3, 2, 3] };

export interface EpochMark {
  /** 1-based epoch as drawn on the x axis. */
  x: number;
  colour: string;
}

const markSources = new WeakMap<Chart, () => EpochMark[]>();

const bestEpochMarks: Plugin<'line'> = {
  id: 'aemBestEpoch',
  afterDatasetsDraw(chart) {
    const marks = markSources.get(chart)?.() ?? [];
    const x = chart.scales.x;
    if (!x || marks.length === 0) return;
    const { top, bottom, left, right } = chart.chartArea;
    const ctx = chart.ctx;
    ctx.save();
    ctx.lineWidth = 1;
    ctx.setLineDash([3, 3]);
    for (const mark of marks) {
      const px = x.getPixelForValue(mark.x);
      if (!Number.isFinite(px) || px < left - 0.5 || px > right + 0.5) continue;
      ctx.strokeStyle = mark.colour;
      ctx.fillStyle = mark.colour;
      ctx.beginPath();
      ctx.moveTo(px, top);
      ctx.lineTo(px, bottom);
      ctx.stroke();
      ctx.beginPath();
      ctx.moveTo(px - 4, top);
      ctx.lineTo(px + 4, top);
      ctx.lineTo(px, top + 6);
      ctx.closePath();
      ctx.fill();
    }
    ctx.restore();
  },
};

export function createLineChart(canvas: HTMLCanvasElement, options: ChartOptions<'line'>, marks?: () => EpochMark[]): LineChart {
  const chart = new Chart<'line', XY[]>(canvas, { type: 'line', data: { datasets: [] }, options, plugins: marks ? [seriesLayerPlugin, bestEpochMarks] : [seriesLayerPlugin] });
  if (marks) markSources.set(chart, marks);
  return chart;
}

export function baseOptions(theme: ChartTheme, title: string): ChartOptions<'line'> {
  return {
    animation: false,
    responsive: true,
    maintainAspectRatio: false,
    events: [],
    plugins: {
      title: { display: true, text: title, color: theme.foreground, font: { family: theme.fontFamily, size: theme.fontSize, weight: 'bold' }, padding: { top: 2, bottom: 4 } },
    },
    font: { family: theme.fontFamily },
  } as ChartOptions<'line'>;
}

export function axisStyle(theme: ChartTheme, title: string): Record<string, unknown> {
  return {
    title: { display: title !== '', text: title, color: theme.muted, font: { family: theme.fontFamily, size: theme.fontSize - 1 } },
    ticks: { color: theme.muted, font: { family: theme.fontFamily, size: theme.fontSize - 2 } },
    grid: { color: theme.grid },
    border: { color: theme.grid },
  };
}

/** The chart's own (unresolved) scale options: changes there take effect on the next update. */
export function scaleOptions(chart: LineChart): Record<string, { min?: number; max?: number } | undefined> {
  return ((chart.config.options as ChartOptions<'line'>).scales ?? {}) as Record<string, { min?: number; max?: number } | undefined>;
}

/** Drawn axis ranges, for tests. */
export function axisRanges(chart: LineChart): Record<string, [number, number]> {
  return Object.fromEntries(Object.entries(chart.scales).map(([id, scale]) => [id, [scale.min, scale.max]]));
}

/** Log-axis labels only at 1, 2 and 5 x 10^n. */
export function logTickLabel(value: number | string): string {
  const v = Number(value);
  const mantissa = v / Math.pow(10, Math.floor(Math.log10(v) + 1e-9));
  return [1, 2, 5].some((m) => Math.abs(mantissa - m) < 1e-6) ? String(Math.round(v)) : '';
}

/**
 * Chart drawing waits for the next animation frame, so a burst of messages (a snapshot, ten runs
 * finishing an epoch together) costs one redraw per chart. `flush` draws what is pending right away.
 */
class FrameScheduler {
  private readonly pending = new Set<() => void>();
  private handle: number | undefined;

  schedule(job: () => void): void {
    this.pending.add(job);
    this.handle ??= requestAnimationFrame(() => this.flush());
  }

  flush(): void {
    if (this.handle !== undefined) cancelAnimationFrame(this.handle);
    this.handle = undefined;
    const jobs = [...this.pending];
    this.pending.clear();
    for (const job of jobs) job();
  }
}

export const frames = new FrameScheduler();
