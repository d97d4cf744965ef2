// The Live Charts panel: controls, the run header (legend), six charts, and what each host message does
// to them. Appending an epoch touches only the datasets of its run; nothing is re-created per update.
import '@vscode-elements/elements/dist/vscode-button/index.js';
import '@vscode-elements/elements/dist/vscode-checkbox/index.js';
import '@vscode-elements/elements/dist/vscode-multi-select/index.js';
import '@vscode-elements/elements/dist/vscode-option/index.js';
import type { VscodeCheckbox } from '@vscode-elements/elements/dist/vscode-checkbox/vscode-checkbox.js';
import type { VscodeMultiSelect } from '@vscode-elements/elements/dist/vscode-multi-select/vscode-multi-select.js';
import { RunColours } from '../../src/liveCharts/colours.js';
import { buildChartsCsv } from '../../src/liveCharts/csv.js';
import { LIVE_CHARTS_PROTOCOL_VERSION, type ChartRunInfo, type HostMessage } from '../../src/protocol/liveCharts.js';
import { frames } from './chartSetup.js';
import { EPOCH_CHARTS } from './chartSpecs.js';
import { EpochChart, type ViewContext } from './epochChart.js';
import { headLabel, headToggles } from './headLines.js';
import type { HostBridge } from './hostBridge.js';
import { readPanelState, type PanelState } from './panelState.js';
import { RunHeader } from './runHeader.js';
import { RunSeries } from './runSeries.js';
import { onThemeChange, readTheme } from './theme.js';
import { TopkChart } from './topkChart.js';

function element<K extends keyof HTMLElementTagNameMap>(tag: K, props: Partial<HTMLElementTagNameMap[K]> = {}, ...children: (Node | string)[]): HTMLElementTagNameMap[K] {
  const el = Object.assign(document.createElement(tag), props);
  el.append(...children);
  return el;
}

/** A file name the host accepts: letters, digits and . _ - = only. */
export function safeFileName(stem: string, extension: 'png' | 'csv'): string {
  const clean = stem.replace(/[^\w.\-=]+/g, '_').replace(/^[._]+/, '').slice(0, 100) || 'live-charts';
  return `${clean}.${extension}`;
}

export class LiveChartsPanel {
  private state: PanelState;
  private lastDrawn = '[]';
  private available: ChartRunInfo[] = [];
  private series: RunSeries[] = [];
  private readonly colours = new RunColours();
  private readonly view: ViewContext;
  private readonly epochCharts: EpochChart[] = [];
  private readonly topk: TopkChart;
  private readonly header: RunHeader;
  private readonly picker: VscodeMultiSelect;
  private readonly smoothingInput: HTMLInputElement;
  private readonly smoothingLabel: HTMLElement;
  private readonly normalisedBox: VscodeCheckbox;
  private readonly headsField: HTMLElement;
  private readonly headsLabel: HTMLElement;
  private readonly topkSlider: HTMLInputElement;
  private readonly topkLabel: HTMLElement;
  private readonly empty: HTMLElement;
  private readonly notice: HTMLElement;

  constructor(
    private readonly root: HTMLElement,
    private readonly bridge: HostBridge,
  ) {
    this.state = readPanelState(bridge.getState());
    const state = () => this.state;
    this.colours.assign(this.state.selected);
    this.series = this.state.selected.map((id) => this.newSeries(id));
    this.view = {
      theme: readTheme(),
      get smoothing() {
        return state().smoothing ?? 0;
      },
      get normalisedEntropy() {
        return state().normalisedEntropy;
      },
      get shownHeads() {
        return state().heads;
      },
      colourOf: (runId) => this.colours.colour(runId, this.view.theme.palette),
      isHidden: (runId) => this.state.hidden.includes(runId),
    };

    this.picker = element('vscode-multi-select', { className: 'run-picker', title: 'Runs to show' }) as VscodeMultiSelect;
    this.picker.addEventListener('change', () => this.select(this.picker.value));
    this.smoothingInput = element('input', { type: 'range', min: '0', max: '0.99', step: '0.01', className: 'smoothing', title: 'Smoothing: debiased exponential moving average weight' });
    this.smoothingLabel = element('span', { className: 'smoothing-value' });
    this.smoothingInput.addEventListener('input', () => this.setSmoothing(Number(this.smoothingInput.value)));
    this.normalisedBox = element('vscode-checkbox', { className: 'normalised', label: 'Entropy ÷ log N' }) as VscodeCheckbox;
    this.normalisedBox.addEventListener('change', () => this.setNormalised(this.normalisedBox.checked));
    // One checkbox per head (branch, class) of the shown multi-head runs; hidden when none has heads.
    this.headsLabel = element('span', { className: 'field-label' });
    this.headsField = element('div', { className: 'field heads-field', role: 'group', title: 'Add a line per head to the entropy and top-k charts (the thick line is the mean over heads)' }, this.headsLabel);
    this.headsField.hidden = true;
    const csvButton = element('vscode-button', { className: 'export-csv', title: 'Save the data of the shown runs as CSV' }, 'Export CSV');
    csvButton.setAttribute('secondary', '');
    csvButton.addEventListener('click', () => this.exportCsv());

    const toolbar = element(
      'div',
      { className: 'toolbar' },
      element('label', { className: 'field runs-field' }, element('span', { className: 'field-label' }, 'Runs'), this.picker),
      element('label', { className: 'field smoothing-field' }, element('span', { className: 'field-label' }, 'Smoothing'), this.smoothingInput, this.smoothingLabel),
      this.normalisedBox,
      this.headsField,
      csvButton,
    );
    const headerHost = element('div', { className: 'run-header' });
    this.header = new RunHeader(headerHost, (runId) => this.toggleRun(runId));
    const key = element('div', { className: 'line-key' }, 'test ─── · val ‒ ‒ ‒ · train ····· · model loss terms (test) ─ · ─ · a head (test, toggled) thin ─── · best epoch ┆ (per-run colour)');
    this.empty = element('div', { className: 'empty' }, 'No run shown. Pick runs above, or run "AEM: Show Live Charts" on a run.');
    this.notice = element('div', { className: 'notice', role: 'status' });
    const grid = element('div', { className: 'chart-grid' });
    root.append(toolbar, headerHost, key, this.empty, this.notice, grid);

    for (const spec of EPOCH_CHARTS) {
      const canvas = this.addCard(grid, spec.id);
      this.epochCharts.push(new EpochChart(canvas, spec, this.view));
    }
    const topkCanvas = this.addCard(grid, 'topk');
    this.topk = new TopkChart(topkCanvas, this.view);
    this.topk.selectedEpoch = this.state.topkEpoch;
    this.topkSlider = element('input', { type: 'range', min: '1', max: '1', step: '1', value: '1', className: 'topk-epoch', title: 'Epoch of the top-k curve' });
    this.topkLabel = element('span', { className: 'topk-epoch-label' });
    this.topkSlider.addEventListener('input', () => this.setTopkEpoch(Number(this.topkSlider.value)));
    topkCanvas.closest('.card')?.append(element('label', { className: 'field topk-field' }, element('span', { className: 'field-label' }, 'Epoch'), this.topkSlider, this.topkLabel));

    onThemeChange(() => this.applyTheme());
    this.syncControls();
    this.redrawAll();
    bridge.onMessage((m) => this.handle(m));
    bridge.post({ type: 'ready', v: LIVE_CHARTS_PROTOCOL_VERSION, selected: this.state.selected });
  }

  handle(message: HostMessage): void {
    switch (message.type) {
      case 'init':
        if (this.state.smoothing === null) this.state.smoothing = message.smoothing;
        this.setAvailable(message.runs);
        this.syncControls();
        this.redrawAll();
        break;
      case 'runs':
        this.setAvailable(message.runs);
        break;
      case 'show':
        this.state.hidden = this.state.hidden.filter((id) => !message.runIds.includes(id));
        this.select(message.runIds);
        break;
      case 'snapshot': {
        const run = this.series.find((s) => s.runId === message.run.runId);
        if (!run) return;
        run.info = message.run;
        run.reset(message.epochs, message.bestEpoch);
        run.progress = message.progress;
        this.redrawAll();
        break;
      }
      case 'epoch': {
        const run = this.series.find((s) => s.runId === message.runId);
        if (!run) return;
        if (run.info.epochsDone < message.point.epoch + 1) run.info = { ...run.info, epochsDone: message.point.epoch + 1 };
        if (run.append(message.point, message.bestEpoch)) {
          const stored = run.epochs[run.epochs.length - 1];
          if (stored) for (const chart of this.epochCharts) chart.append(run, stored);
          this.topk.redraw();
          this.afterDataChange();
        } else this.redrawAll();
        break;
      }
      case 'progress': {
        const run = this.series.find((s) => s.runId === message.runId);
        if (!run) return;
        run.progress = message.progress;
        this.renderHeader();
        break;
      }
      case 'finished': {
        const run = this.series.find((s) => s.runId === message.runId);
        if (!run) return;
        run.info = { ...run.info, state: message.state };
        run.progress = null;
        this.renderHeader();
        break;
      }
      case 'notice':
        this.notice.textContent = message.text;
        this.notice.dataset.level = message.level;
        break;
    }
  }

  /** What the charts show, for tests and the benchmark (read-only). */
  describe() {
    frames.flush();
    return {
      epochs: Number(this.root.dataset.aemEpochs),
      selected: [...this.state.selected],
      hidden: [...this.state.hidden],
      smoothing: this.view.smoothing,
      normalisedEntropy: this.state.normalisedEntropy,
      heads: [...this.state.heads],
      headToggles: Array.from(this.headsField.querySelectorAll<VscodeCheckbox>('vscode-checkbox.head-toggle')).map((box) => ({ head: Number(box.dataset.head), label: box.label, checked: box.checked })),
      topkEpoch: this.topk.selectedEpoch,
      slider: { min: Number(this.topkSlider.min), max: Number(this.topkSlider.max), value: Number(this.topkSlider.value), label: this.topkLabel.textContent },
      colours: Object.fromEntries(this.series.map((s) => [s.runId, this.view.colourOf(s.runId)])),
      header: Array.from(this.root.querySelectorAll<HTMLElement>('.run-row')).map((r) => r.innerText.replace(/\s+/g, ' ').trim()),
      charts: Object.fromEntries(this.epochCharts.map((c) => [c.spec.id, c.describe()])),
      topk: this.topk.describe(),
      axes: Object.fromEntries([...this.epochCharts.map((c) => [c.spec.id, c.axes()]), ['topk', this.topk.axes()]]),
      chartCount: this.epochCharts.length + 1,
    };
  }

  private addCard(grid: HTMLElement, id: string): HTMLCanvasElement {
    const canvas = element('canvas', { className: 'chart-canvas' });
    canvas.setAttribute('role', 'img');
    canvas.setAttribute('aria-label', `${id} chart`);
    const png = element('vscode-button', { className: 'export-png', title: 'Save this chart as PNG' }, 'PNG');
    png.setAttribute('secondary', '');
    png.addEventListener('click', () => this.exportPng(id, canvas));
    grid.append(element('section', { className: 'card' }, element('div', { className: 'card-actions' }, png), element('div', { className: 'chart-box' }, canvas)));
    (grid.lastElementChild as HTMLElement).dataset.chart = id;
    return canvas;
  }

  private setAvailable(runs: ChartRunInfo[]): void {
    this.available = runs;
    for (const s of this.series) {
      const fresh = runs.find((r) => r.runId === s.runId);
      if (fresh) s.info = { ...fresh, epochsDone: Math.max(fresh.epochsDone, s.epochs.length) };
    }
    this.renderPicker();
    this.renderHeader();
  }

  private select(runIds: string[]): void {
    const unique = [...new Set(runIds)];
    this.state.selected = unique;
    this.colours.assign(unique);
    this.series = unique.map((id) => this.series.find((s) => s.runId === id) ?? this.newSeries(id));
    this.saveState();
    this.renderPicker();
    this.redrawAll();
    this.bridge.post({ type: 'select', runIds: unique });
  }

  private newSeries(runId: string): RunSeries {
    const info = this.available.find((r) => r.runId === runId) ?? { runId, experiment: '', title: runId, configLabel: '', seed: 0, state: 'pending' as const, epochs: 0, epochsDone: 0, backend: null, createdAt: '' };
    return new RunSeries(info);
  }

  private toggleRun(runId: string): void {
    this.state.hidden = this.state.hidden.includes(runId) ? this.state.hidden.filter((id) => id !== runId) : [...this.state.hidden, runId];
    this.saveState();
    for (const chart of this.epochCharts) chart.refreshVisibility();
    this.topk.redraw();
    this.renderHeader();
  }

  private setSmoothing(weight: number): void {
    this.state.smoothing = Math.min(0.99, Math.max(0, weight));
    this.saveState();
    this.syncControls();
    for (const chart of this.epochCharts) chart.setRuns(this.series);
  }

  private setNormalised(on: boolean): void {
    this.state.normalisedEntropy = on;
    this.saveState();
    for (const chart of this.epochCharts) if (chart.spec.id === 'entropy') chart.setRuns(this.series);
  }

  private setHeadShown(head: number, on: boolean): void {
    const others = this.state.heads.filter((h) => h !== head);
    this.state.heads = on ? [...others, head].sort((a, b) => a - b) : others;
    this.saveState();
    for (const chart of this.epochCharts) if (chart.spec.id === 'entropy') chart.setRuns(this.series);
    this.topk.redraw();
  }

  /** One checkbox per head of the shown runs, rebuilt only when their number or kind changes. */
  private renderHeadToggles(): void {
    const { row, count } = headToggles(this.series);
    const signature = `${row}:${count}`;
    if (this.headsField.dataset.signature === signature) return;
    this.headsField.dataset.signature = signature;
    this.headsField.hidden = count === 0;
    this.headsLabel.textContent = row === 'class' ? 'Classes' : `${row[0]?.toUpperCase() ?? ''}${row.slice(1)}s`;
    const boxes = Array.from({ length: count }, (_, h) => {
      const box = element('vscode-checkbox', { className: 'head-toggle', label: headLabel(row, h), checked: this.state.heads.includes(h) }) as VscodeCheckbox;
      box.dataset.head = String(h);
      box.addEventListener('change', () => this.setHeadShown(h, box.checked));
      return box;
    });
    this.headsField.replaceChildren(this.headsLabel, ...boxes);
  }

  private setTopkEpoch(epoch: number): void {
    const max = Number(this.topkSlider.max);
    this.state.topkEpoch = epoch >= max ? null : epoch;
    this.topk.selectedEpoch = this.state.topkEpoch;
    this.saveState();
    this.topk.redraw();
    this.syncTopkSlider();
  }

  private applyTheme(): void {
    this.view.theme = readTheme();
    this.redrawAll();
  }

  private redrawAll(): void {
    for (const chart of this.epochCharts) chart.setRuns(this.series);
    this.topk.setRuns(this.series);
    this.afterDataChange();
  }

  /** Header, slider and the epochs-drawn marker, after any change of data. */
  private afterDataChange(): void {
    const epochs = Math.max(0, ...this.series.map((s) => s.epochs.length));
    this.root.dataset.aemEpochs = String(epochs);
    const drawn = this.series.map((s) => ({ runId: s.runId, epochs: s.epochs.length }));
    const signature = JSON.stringify(drawn);
    if (signature !== this.lastDrawn) {
      this.lastDrawn = signature;
      this.bridge.post({ type: 'drawn', runs: drawn });
    }
    this.empty.hidden = this.series.length > 0;
    this.renderHeadToggles();
    this.syncTopkSlider();
    this.renderHeader();
  }

  private syncTopkSlider(): void {
    const max = Math.max(1, ...this.series.map((s) => (s.epochs[s.epochs.length - 1]?.epoch ?? 0) + 1));
    this.topkSlider.max = String(max);
    const value = this.state.topkEpoch === null ? max : Math.min(this.state.topkEpoch, max);
    this.topkSlider.value = String(value);
    this.topkSlider.disabled = this.series.every((s) => s.epochs.length === 0);
    this.topkLabel.textContent = `${value}/${max}${this.state.topkEpoch === null ? ' (latest)' : ''}`;
  }

  private syncControls(): void {
    const smoothing = this.view.smoothing;
    this.smoothingInput.value = String(smoothing);
    this.smoothingLabel.textContent = smoothing.toFixed(2);
    this.normalisedBox.checked = this.state.normalisedEntropy;
  }

  private renderPicker(): void {
    const options = [...this.available];
    for (const s of this.series) if (!options.some((r) => r.runId === s.runId)) options.push(s.info);
    const selected = this.state.selected.filter((id) => options.some((r) => r.runId === id));
    const signature = `${options.map((r) => `${r.runId}:${r.state}:${r.title}`).join('|')}#${selected.join('|')}`;
    if (this.picker.dataset.signature === signature) return;
    this.picker.dataset.signature = signature;
    // Options carry their own selected flag: the element reads it when they are slotted, whereas a
    // value set in the same task as new options would be applied before it knows them.
    this.picker.replaceChildren(
      ...options.map((r) =>
        element('vscode-option', { value: r.runId, description: `${r.experiment} · ${r.state}`, selected: selected.includes(r.runId) }, `${r.experiment} · ${r.title}${r.state === 'running' ? ' ●' : ''}`),
      ),
    );
  }

  private renderHeader(): void {
    this.header.render(this.series, this.view.colourOf, this.view.isHidden);
  }

  private saveState(): void {
    this.bridge.setState(this.state);
  }

  private exportCsv(): void {
    if (this.series.length === 0) return;
    const csv = buildChartsCsv(this.series.map((s) => ({ run: s.info, epochs: s.epochs, topkKs: s.topkKs, bestEpoch: s.bestEpoch })));
    const experiments = [...new Set(this.series.map((s) => s.info.experiment).filter(Boolean))];
    this.bridge.post({ type: 'saveCsv', fileName: safeFileName(`live-charts-${experiments.join('_') || 'runs'}`, 'csv'), content: csv });
  }

  private exportPng(id: string, canvas: HTMLCanvasElement): void {
    frames.flush();
    const out = document.createElement('canvas');
    out.width = canvas.width;
    out.height = canvas.height;
    const ctx = out.getContext('2d');
    if (!ctx) return;
    ctx.fillStyle = this.view.theme.background;
    ctx.fillRect(0, 0, out.width, out.height);
    ctx.drawImage(canvas, 0, 0);
    const experiments = [...new Set(this.series.map((s) => s.info.experiment).filter(Boolean))];
    this.bridge.post({ type: 'savePng', fileName: safeFileName(`${id}-${experiments.join('_') || 'runs'}`, 'png'), content: out.toDataURL('image/png') });
  }
}
