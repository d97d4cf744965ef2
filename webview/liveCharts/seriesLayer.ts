// The lines of a chart, drawn by the panel itself onto a Chart.js chart that only lays out the axes,
// grid and title. Chart.js keeps an element (with resolved options) per data point and revisits every
// one on each update, which for 10 runs x 200 epochs costs tens of milliseconds per chart; here an
// appended epoch costs one array push and a min/max update, and a redraw strokes plain paths.
import type { Chart, Plugin } from 'chart.js';

export interface SeriesLine {
  runId: string;
  key: string;
  label: string;
  colour: string;
  dash: number[];
  width: number;
  axis: 'y' | 'y2';
  hidden: boolean;
  xs: number[];
  ys: (number | null)[];
}

export interface Extent {
  min: number;
  max: number;
}

export function emptyExtent(): Extent {
  return { min: Infinity, max: -Infinity };
}

export function widen(extent: Extent, value: number | null): void {
  if (value === null || !Number.isFinite(value)) return;
  if (value < extent.min) extent.min = value;
  if (value > extent.max) extent.max = value;
}

const layers = new WeakMap<Chart, () => readonly SeriesLine[]>();

/** Strokes every visible line inside the chart area, skipping missing values (gaps are bridged). */
export const seriesLayerPlugin: Plugin = {
  id: 'aemSeriesLayer',
  beforeDatasetsDraw(chart) {
    const lines = layers.get(chart)?.() ?? [];
    const x = chart.scales.x;
    if (!x) return;
    const { left, top, width, height } = chart.chartArea;
    const ctx = chart.ctx;
    ctx.save();
    ctx.beginPath();
    ctx.rect(left, top, width, height);
    ctx.clip();
    ctx.lineJoin = 'round';
    for (const line of lines) {
      const y = chart.scales[line.axis];
      if (line.hidden || !y) continue;
      ctx.strokeStyle = line.colour;
      ctx.lineWidth = line.width;
      ctx.setLineDash(line.dash);
      ctx.beginPath();
      let started = false;
      for (let i = 0; i < line.xs.length; i++) {
        const value = line.ys[i];
        if (value === null || value === undefined || !Number.isFinite(value)) continue;
        const px = x.getPixelForValue(line.xs[i] as number);
        const py = y.getPixelForValue(value);
        if (started) ctx.lineTo(px, py);
        else {
          ctx.moveTo(px, py);
          started = true;
        }
      }
      // A single point still shows as a dot.
      if (line.xs.length === 1 && started) ctx.arc(x.getPixelForValue(line.xs[0] as number), y.getPixelForValue(line.ys[0] as number), line.width, 0, 2 * Math.PI);
      ctx.stroke();
    }
    ctx.restore();
  },
};

export function attachLines(chart: Chart, lines: () => readonly SeriesLine[]): void {
  layers.set(chart, lines);
}

/** Round axis limits around the values (steps of 1, 2 or 5 x 10^n), or 0..1 when there is nothing. */
export function niceLimits(extent: Extent): { min: number; max: number } {
  if (!(extent.max >= extent.min)) return { min: 0, max: 1 };
  let span = extent.max - extent.min;
  if (span === 0) span = Math.abs(extent.max) * 0.1 || 1;
  const raw = span / 5;
  const power = Math.pow(10, Math.floor(Math.log10(raw)));
  const step = ([1, 2, 5, 10].find((m) => m * power >= raw) ?? 10) * power;
  const min = Math.floor(extent.min / step) * step;
  let max = Math.ceil(extent.max / step) * step;
  if (max === min) max = min + step;
  return { min: Number(min.toPrecision(12)), max: Number(max.toPrecision(12)) };
}
