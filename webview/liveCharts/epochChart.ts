// A chart of per-epoch values (loss, AUROC, F1, accuracy, entropy with lambda): one line per run and
// series. A new epoch appends one point to each of its run's lines (smoothed incrementally) and
// redraws without animation; only a change of smoothing, unit, theme or runs rebuilds the lines.
import { DebiasedEma } from '../../src/liveCharts/ema.js';
import { axisRanges, axisStyle, baseOptions, createLineChart, DASHES, frames, scaleOptions, type LineChart, type LineStyle } from './chartSetup.js';
import { attachHoverReadout } from './hoverReadout.js';
import { attachLines, emptyExtent, niceLimits, widen, type Extent, type SeriesLine } from './seriesLayer.js';
import type { RunSeries, StoredEpoch } from './runSeries.js';
import { withAlpha, type ChartTheme } from './theme.js';

export interface ViewContext {
  theme: ChartTheme;
  smoothing: number;
  normalisedEntropy: boolean;
  /** 0-based heads whose own lines the entropy and top-k charts add (the head toggles). */
  shownHeads: readonly number[];
  colourOf(runId: string): string;
  isHidden(runId: string): boolean;
}

export interface SeriesSpec {
  key: string;
  label: string;
  style: LineStyle;
  value(e: StoredEpoch, view: ViewContext): number | null;
  smooth: boolean;
  axis: 'y' | 'y2';
  width?: number;
  /** Opacity of the run's colour for this line (default opaque). */
  alpha?: number;
}

export interface EpochChartSpec {
  id: string;
  title(view: ViewContext): string;
  yTitle(view: ViewContext): string;
  y2Title?: string;
  yRange?: { min: number; max: number };
  series: SeriesSpec[];
  /** Series that depend on what a run reports (the loss chart's model terms, the entropy chart's heads); their keys tell them apart. */
  runSeries?(run: RunSeries, view: ViewContext): SeriesSpec[];
}

interface LineState {
  run: RunSeries;
  series: SeriesSpec;
  ema: DebiasedEma;
  line: SeriesLine;
}

export class EpochChart {
  readonly chart: LineChart;
  private lines: LineState[] = [];
  private runs: RunSeries[] = [];
  private extents: Record<'x' | 'y' | 'y2', Extent> = { x: emptyExtent(), y: emptyExtent(), y2: emptyExtent() };
  private appliedLimits = '';
  private rebuildPending = false;

  constructor(
    canvas: HTMLCanvasElement,
    readonly spec: EpochChartSpec,
    private readonly view: ViewContext,
  ) {
    this.chart = createLineChart(canvas, this.options(), () =>
      this.runs.filter((r) => r.bestEpoch !== null && !view.isHidden(r.runId)).map((r) => ({ x: (r.bestEpoch as number) + 1, colour: view.colourOf(r.runId) })),
    );
    attachLines(this.chart, () => this.lines.map((l) => l.line));
    const card = canvas.closest<HTMLElement>('.card');
    if (card) attachHoverReadout(this.chart, card, () => this.lines.map((l) => l.line), (x) => `epoch ${x}`);
  }

  /** Rebuilds every line from the runs' stored epochs. */
  setRuns(runs: RunSeries[]): void {
    this.runs = runs;
    this.lines = [];
    for (const run of runs) {
      for (const series of this.seriesOf(run)) {
        const colour = this.view.colourOf(run.runId);
        const state: LineState = {
          run,
          series,
          ema: new DebiasedEma(series.smooth ? this.view.smoothing : 0),
          line: {
            runId: run.runId,
            key: series.key,
            label: `${run.info.title} · ${series.label}`,
            colour: series.alpha === undefined ? colour : withAlpha(colour, series.alpha),
            dash: DASHES[series.style],
            width: series.width ?? (series.style === 'solid' ? 2 : 1.5),
            axis: series.axis,
            hidden: this.view.isHidden(run.runId),
            xs: [],
            ys: [],
          },
        };
        for (const e of run.epochs) this.push(state, e);
        this.lines.push(state);
      }
    }
    this.recomputeExtents();
    this.render(true);
  }

  /** The run's newest epoch came last: one point more on each line of that run. */
  append(run: RunSeries, epoch: StoredEpoch): void {
    // An epoch that brings a series the run had no line for (its first model terms) rebuilds the lines.
    const have = this.lines.filter((l) => l.run === run).map((l) => l.series.key);
    if (this.seriesOf(run).some((s) => !have.includes(s.key))) {
      this.setRuns(this.runs);
      return;
    }
    for (const state of this.lines) {
      if (state.run !== run) continue;
      this.push(state, epoch);
      if (!state.line.hidden) {
        widen(this.extents.x, epoch.epoch + 1);
        widen(this.extents[state.series.axis], state.line.ys[state.line.ys.length - 1] ?? null);
      }
    }
    this.render(false);
  }

  /** Visibility of runs changed: no data changes. */
  refreshVisibility(): void {
    for (const state of this.lines) state.line.hidden = this.view.isHidden(state.run.runId);
    this.recomputeExtents();
    this.render(false);
  }

  /** Points of every line, for the tests and the benchmark. */
  describe(): { runId: string; series: string; hidden: boolean; colour: string; points: [number, number | null][] }[] {
    return this.lines.map(({ line }) => ({
      runId: line.runId,
      series: line.key,
      hidden: line.hidden,
      colour: line.colour,
      points: line.xs.map((x, i) => [x, line.ys[i] ?? null]),
    }));
  }

  axes(): Record<string, [number, number]> {
    return axisRanges(this.chart);
  }

  destroy(): void {
    this.chart.destroy();
  }

  private seriesOf(run: RunSeries): SeriesSpec[] {
    return [...this.spec.series, ...(this.spec.runSeries?.(run, this.view) ?? [])];
  }

  private push(state: LineState, e: StoredEpoch): void {
    state.line.xs.push(e.epoch + 1);
    state.line.ys.push(state.ema.push(state.series.value(e, this.view)));
  }

  private recomputeExtents(): void {
    this.extents = { x: emptyExtent(), y: emptyExtent(), y2: emptyExtent() };
    for (const { line } of this.lines) {
      if (line.hidden) continue;
      for (let i = 0; i < line.xs.length; i++) {
        widen(this.extents.x, line.xs[i] ?? null);
        widen(this.extents[line.axis], line.ys[i] ?? null);
      }
    }
  }

  /**
   * Sets the axes to the data and redraws. The x axis spans the runs' planned epochs and the y axes
   * round limits, so most appends leave the layout as it was and only need a repaint.
   */
  private render(rebuild: boolean): void {
    this.rebuildPending ||= rebuild;
    frames.schedule(this.paint);
  }

  private readonly paint = (): void => {
    const rebuild = this.rebuildPending;
    this.rebuildPending = false;
    if (rebuild) this.chart.options = this.options();
    const scales = scaleOptions(this.chart);
    const planned = Math.max(0, ...this.runs.filter((r) => !this.view.isHidden(r.runId)).map((r) => r.info.epochs));
    const limits = {
      x: { min: 1, max: Math.max(2, planned, this.extents.x.max) },
      y: this.spec.yRange ?? niceLimits(this.extents.y),
      ...(scales.y2 ? { y2: niceLimits({ min: Math.min(0, this.extents.y2.min), max: this.extents.y2.max }) } : {}),
    };
    const signature = JSON.stringify(limits);
    if (!rebuild && signature === this.appliedLimits) {
      this.chart.draw();
      return;
    }
    this.appliedLimits = signature;
    for (const [axis, range] of Object.entries(limits)) Object.assign(scales[axis] ?? {}, range);
    this.chart.update('none');
  };

  private options() {
    const theme = this.view.theme;
    const options = baseOptions(theme, this.spec.title(this.view));
    const y2 = this.spec.y2Title !== undefined;
    options.scales = {
      x: { type: 'linear', min: 1, ...axisStyle(theme, 'epoch'), ticks: { ...(axisStyle(theme, '').ticks as object), precision: 0 } },
      y: { type: 'linear', position: 'left', ...(this.spec.yRange ?? {}), ...axisStyle(theme, this.spec.yTitle(this.view)) },
      ...(y2 ? { y2: { type: 'linear', position: 'right', ...axisStyle(theme, this.spec.y2Title ?? ''), grid: { drawOnChartArea: false, color: theme.grid } } } : {}),
    } as typeof options.scales;
    return options;
  }
}
