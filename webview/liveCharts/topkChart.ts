// The top-k cumulative attention chart: for each run the curve over k (log scale) at the chosen epoch,
// a few earlier epochs fading behind it, the best epoch's curve dashed, and a thin curve per toggled
// head at the chosen epoch (multi-head runs). Only FADED_CURVES + 2 curves per run plus the toggled
// heads are ever drawn, whatever the number of epochs; moving the slider re-reads the stored curves.
import { axisRanges, axisStyle, baseOptions, createLineChart, DASHES, frames, logTickLabel, scaleOptions, type LineChart } from './chartSetup.js';
import type { ViewContext } from './epochChart.js';
import type { RunSeries, StoredEpoch } from './runSeries.js';
import { attachHoverReadout } from './hoverReadout.js';
import { HEAD_LINE_ALPHA, headLabel } from './headLines.js';
import { attachLines, type SeriesLine } from './seriesLayer.js';
import { withAlpha } from './theme.js';

export const FADED_CURVES = 3;

type CurveRole = 'current' | 'faded' | 'best' | 'head';

interface Curve {
  role: CurveRole;
  epoch: number;
  /** 0-based head of a 'head' curve. */
  head?: number;
  line: SeriesLine;
}

export class TopkChart {
  readonly chart: LineChart;
  private runs: RunSeries[] = [];
  private curves: Curve[] = [];
  /** 1-based epoch chosen with the slider; null follows each run's latest epoch. */
  selectedEpoch: number | null = null;
  private layoutStale = true;

  constructor(
    canvas: HTMLCanvasElement,
    private readonly view: ViewContext,
  ) {
    this.chart = createLineChart(canvas, this.options());
    attachLines(this.chart, () => this.curves.map((c) => c.line));
    const card = canvas.closest<HTMLElement>('.card');
    if (card) attachHoverReadout(this.chart, card, () => this.curves.map((c) => c.line), (k) => `k = ${k}`);
  }

  setRuns(runs: RunSeries[]): void {
    this.runs = runs;
    this.chart.options = this.options();
    this.layoutStale = true;
    this.redraw();
  }

  /** Re-reads the chosen curves of every run (slider moved, epoch appended, visibility changed). */
  redraw(): void {
    frames.schedule(this.paint);
  }

  private readonly paint = (): void => {
    this.curves = [];
    let maxK = 2;
    for (const run of this.runs) {
      const colour = this.view.colourOf(run.runId);
      const hidden = this.view.isHidden(run.runId);
      const current = this.currentEpoch(run);
      if (!current) continue;
      const chosen: { role: CurveRole; e: StoredEpoch | undefined; alpha: number }[] = [];
      const step = Math.max(1, Math.round(current.epoch / (FADED_CURVES + 1)));
      for (let i = FADED_CURVES; i >= 1; i--) {
        const epoch = current.epoch - i * step;
        if (epoch >= 0) chosen.push({ role: 'faded', e: run.epochAt(epoch), alpha: 0.7 - (0.55 * i) / FADED_CURVES });
      }
      if (run.bestEpoch !== null && run.bestEpoch !== current.epoch) chosen.push({ role: 'best', e: run.epochAt(run.bestEpoch), alpha: 0.9 });
      chosen.push({ role: 'current', e: current, alpha: 1 });
      if (!hidden) maxK = Math.max(maxK, run.topkKs[run.topkKs.length - 1] ?? 2);
      for (const { role, e, alpha } of chosen) {
        if (!e) continue;
        this.curves.push({
          role,
          epoch: e.epoch,
          line: {
            runId: run.runId,
            key: role,
            label: `${run.info.title} · epoch ${e.epoch + 1}${role === 'best' ? ' (best)' : ''}`,
            colour: withAlpha(colour, alpha),
            dash: role === 'best' ? DASHES.dashed : DASHES.solid,
            width: role === 'current' ? 2 : 1.25,
            axis: 'y',
            hidden,
            xs: run.topkKs,
            ys: Array.from(e.testTopk),
          },
        });
      }
      const perHead = current.testPerHead;
      for (const h of perHead ? this.view.shownHeads : []) {
        const ys = perHead?.topk[h];
        if (!perHead || !ys) continue;
        this.curves.push({
          role: 'head',
          epoch: current.epoch,
          head: h,
          line: {
            runId: run.runId,
            key: `head:${h}`,
            label: `${run.info.title} · epoch ${current.epoch + 1} · ${headLabel(perHead.row, h)}`,
            colour: withAlpha(colour, HEAD_LINE_ALPHA),
            dash: DASHES.solid,
            width: 1,
            axis: 'y',
            hidden,
            xs: perHead.topkKs,
            ys,
          },
        });
      }
    }
    const x = scaleOptions(this.chart).x;
    if (x && x.max === maxK && !this.layoutStale) {
      this.chart.draw();
      return;
    }
    if (x) x.max = maxK;
    this.layoutStale = false;
    this.chart.update('none');
  };

  describe(): { runId: string; role: CurveRole; epoch: number | null; head?: number; hidden: boolean; colour: string; points: [number, number | null][] }[] {
    return this.curves.map((c) => ({
      runId: c.line.runId,
      role: c.role,
      epoch: c.epoch + 1,
      ...(c.head !== undefined ? { head: c.head } : {}),
      hidden: c.line.hidden,
      colour: c.line.colour,
      points: c.line.xs.map((x, i) => [x, c.line.ys[i] ?? null]),
    }));
  }

  axes(): Record<string, [number, number]> {
    return axisRanges(this.chart);
  }

  destroy(): void {
    this.chart.destroy();
  }

  private currentEpoch(run: RunSeries): StoredEpoch | undefined {
    const last = run.epochs[run.epochs.length - 1];
    if (this.selectedEpoch === null || !last) return last;
    return run.epochAt(Math.min(this.selectedEpoch - 1, last.epoch)) ?? last;
  }

  private options() {
    const theme = this.view.theme;
    const options = baseOptions(theme, 'Top-k cum. attention (test)');
    options.scales = {
      x: { type: 'logarithmic', min: 1, max: 2, ...axisStyle(theme, 'k (log scale)'), ticks: { ...(axisStyle(theme, '').ticks as object), autoSkip: false, maxRotation: 0, callback: logTickLabel } },
      y: { type: 'linear', min: 0, max: 1, ...axisStyle(theme, 'mean cumulative sum') },
    } as typeof options.scales;
    return options;
  }
}
