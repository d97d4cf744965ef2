// The Attention Maps view: toolbar, slide list, one map pane per run (two side by side share zoom and
// pan), legend, hover readout, top-k list, exports; and what each host message does to them.
import type { VscodeSingleSelect } from '@vscode-elements/elements/dist/vscode-single-select/vscode-single-select.js';
import type { VscodeTextfield } from '@vscode-elements/elements/dist/vscode-textfield/vscode-textfield.js';
import { cssColour, viridisLut } from '../../src/attentionMaps/colourMap.js';
import { slideCsv } from '../../src/attentionMaps/exportCsv.js';
import { SCALE_MODES, type ScaleMode } from '../../src/attentionMaps/scale.js';
import { topPatches, type TopPatch } from '../../src/attentionMaps/topk.js';
import { ATTENTION_MAPS_PROTOCOL_VERSION, type HostMessage, type MapRun, type RunKind, type SlideMapMessage, type SlideRowMessage } from '../../src/protocol/attentionMaps.js';
import { onThemeChange, readTheme, type ChartTheme } from '../liveCharts/theme.js';
import { button, element, safeFileName, select, setOptions, textfield } from './controls.js';
import type { HostBridge } from './hostBridge.js';
import { Legend } from './legend.js';
import { MapPane } from './mapPane.js';
import { SlideList, visibleRows } from './slideList.js';
import { ViewTransform } from './viewTransform.js';
import { readViewState, type SortKey, type ViewState } from './viewState.js';

interface PaneView {
  run: MapRun;
  pane: MapPane;
  legend: Legend;
  summary: HTMLElement;
  topkList: HTMLOListElement;
  top: TopPatch[];
}

export interface MapsDescription {
  kind: string;
  scale: ScaleMode;
  head: string;
  slides: string[];
  selected: string | null;
  zoom: number;
  centre: [number, number] | null;
  readout: string;
  draws: number;
  panes: {
    runId: string;
    slideId: string | null;
    n: number;
    patchSource: string | null;
    patchSize: number | null;
    grid: [number, number] | null;
    topk: TopPatch[];
    message: string;
    summary: string;
    lastDrawMs: number;
  }[];
}

export class AttentionMapsPanel {
  private state: ViewState;
  private runs: MapRun[] = [];
  private defaultTopK = 20;
  private panes: PaneView[] = [];
  private readonly cache = new Map<string, SlideMapMessage>();
  private readonly errors = new Map<string, string>();
  private readonly requested = new Set<string>();
  private readonly lut = viridisLut();
  private readonly view = new ViewTransform();
  private theme: ChartTheme;
  private draws = 0;
  private readonly list: SlideList;
  private readonly kindSelect: VscodeSingleSelect;
  private readonly scaleSelect: VscodeSingleSelect;
  private readonly headSelect: VscodeSingleSelect;
  private readonly splitSelect: VscodeSingleSelect;
  private readonly labelSelect: VscodeSingleSelect;
  private readonly textFilter: VscodeTextfield;
  private readonly kField: VscodeTextfield;
  private readonly paneHost: HTMLElement;
  private readonly readout: HTMLElement;
  private readonly notice: HTMLElement;
  private readonly heading: HTMLElement;

  constructor(
    private readonly root: HTMLElement,
    private readonly bridge: HostBridge,
  ) {
    this.state = readViewState(bridge.getState());
    this.theme = readTheme();
    this.kindSelect = select('kind', 'Epoch: the best (by val AUROC + F1) or the last', (v) => this.update({ kind: v === 'last' ? 'last' : 'best' }));
    this.scaleSelect = select('scale', 'Colour scale', (v) => this.update({ scale: (SCALE_MODES as readonly string[]).includes(v) ? (v as ScaleMode) : 'raw' }));
    this.headSelect = select('head', 'Attention head / branch / class row', (v) => this.update({ head: v === 'mean' ? 'mean' : Number(v) }));
    this.splitSelect = select('split-filter', 'Show slides of this split', (v) => this.update({ split: v }));
    this.labelSelect = select('label-filter', 'Show slides of this label', (v) => this.update({ labelFilter: v }));
    this.textFilter = textfield('text-filter', 'Filter slides', (v) => this.update({ text: v }));
    this.kField = textfield('topk-k', 'k', (v) => {
      const k = Number.parseInt(v, 10);
      if (Number.isInteger(k) && k > 0 && k <= 1000) this.update({ topK: k });
    });
    this.kField.title = 'How many top patches to list';
    const toolbar = element(
      'div',
      { className: 'toolbar' },
      labelled('Epoch', this.kindSelect),
      labelled('Scale', this.scaleSelect),
      labelled('Row', this.headSelect),
      labelled('Split', this.splitSelect),
      labelled('Label', this.labelSelect),
      this.textFilter,
      labelled('Top k', this.kField),
      button('export-png', 'Export PNG', 'Save the maps as PNG', () => this.exportPng()),
      button('export-csv', 'Export CSV', "Save the slide's (x, y, attention) as CSV", () => this.exportCsv()),
    );
    this.list = new SlideList(
      (id) => this.update({ selected: id, zoom: 1, centre: null }),
      (key) => this.sortBy(key),
    );
    this.heading = element('div', { className: 'slide-heading' });
    this.paneHost = element('div', { className: 'panes' });
    this.readout = element('div', { className: 'readout', role: 'status' });
    this.notice = element('div', { className: 'notice', role: 'status' });
    const main = element('div', { className: 'map-column' }, this.heading, this.paneHost, this.readout);
    root.append(toolbar, this.notice, element('div', { className: 'layout' }, this.list.element, main));
    this.view.set(this.state.zoom, this.state.centre);
    this.view.onChange(() => {
      this.state = { ...this.state, zoom: this.view.zoom, centre: this.view.centre };
      this.bridge.setState(this.state);
      this.drawPanes(false);
    });
    new ResizeObserver(() => this.drawPanes(false)).observe(this.paneHost);
    onThemeChange(() => {
      this.theme = readTheme();
      this.drawPanes(false);
    });
    bridge.onMessage((m) => this.handle(m));
    bridge.post({ type: 'ready', v: ATTENTION_MAPS_PROTOCOL_VERSION });
  }

  handle(message: HostMessage): void {
    switch (message.type) {
      case 'init':
        this.runs = message.runs;
        this.state = { ...this.state, runIds: message.runs.map((r) => r.runId) };
        this.defaultTopK = message.topK;
        this.cache.clear();
        this.errors.clear();
        this.requested.clear();
        this.buildPanes();
        this.refresh();
        return;
      case 'slide': {
        const key = cacheKey(message.map.runId, message.map.kind, message.map.slideId);
        this.cache.set(key, message.map);
        this.requested.delete(key);
        if (message.map.kind === this.state.kind && message.map.slideId === this.state.selected) this.showSlide();
        return;
      }
      case 'slideError': {
        const key = cacheKey(message.runId, message.kind, message.slideId);
        this.errors.set(key, message.text);
        this.requested.delete(key);
        if (message.kind === this.state.kind && message.slideId === this.state.selected) this.showSlide();
        return;
      }
      case 'notice':
        this.notice.textContent = message.text;
        this.notice.dataset.level = message.level;
        return;
    }
  }

  describe(): MapsDescription {
    return {
      kind: this.state.kind,
      scale: this.state.scale,
      head: String(this.state.head),
      slides: this.list.ids(),
      selected: this.state.selected,
      zoom: this.view.zoom,
      centre: this.view.centre,
      readout: this.readout.textContent ?? '',
      draws: this.draws,
      panes: this.panes.map((p) => {
        const d = p.pane.data;
        return {
          runId: p.run.runId,
          slideId: d?.map.slideId ?? null,
          n: d?.map.n ?? 0,
          patchSource: d?.map.patchSource ?? null,
          patchSize: d?.map.patchSize ?? null,
          grid: d ? [d.grid.width, d.grid.height] : null,
          topk: p.top,
          message: p.pane.message.textContent ?? '',
          summary: p.summary.textContent ?? '',
          lastDrawMs: p.pane.lastDrawMs,
        };
      }),
    };
  }

  /** The canvas colour at the centre of an instance's patch in a pane (tests read the map back). */
  pixelAt(paneIndex: number, instance: number): [number, number, number] | null {
    const p = this.panes[paneIndex]?.pane;
    const d = p?.data;
    if (!p || !d) return null;
    const rect = p.canvas.getBoundingClientRect();
    const centre = this.clientPointOf(p, instance);
    if (!centre) return null;
    const dpr = p.canvas.width / Math.max(1, rect.width);
    const ctx = p.canvas.getContext('2d');
    const px = ctx?.getImageData(Math.floor((centre[0] - rect.left) * dpr), Math.floor((centre[1] - rect.top) * dpr), 1, 1).data;
    return px ? [px[0] as number, px[1] as number, px[2] as number] : null;
  }

  /** Client coordinates of the centre of an instance's patch (tests hover there). */
  clientPointOf(pane: MapPane | number, instance: number): [number, number] | null {
    const p = typeof pane === 'number' ? this.panes[pane]?.pane : pane;
    const d = p?.data;
    if (!p || !d) return null;
    const rect = p.canvas.getBoundingClientRect();
    const dpr = p.canvas.width / Math.max(1, rect.width);
    const w = p.canvas.width;
    const h = p.canvas.height;
    const fit = Math.min(w / Math.max(1, d.grid.width), h / Math.max(1, d.grid.height)) * 0.96;
    const scale = fit * this.view.zoom;
    const [cx, cy] = this.view.centre ?? [d.grid.width / 2, d.grid.height / 2];
    const x = w / 2 + ((d.grid.cx[instance] as number) + 0.5 - cx) * scale;
    const y = h / 2 + ((d.grid.cy[instance] as number) + 0.5 - cy) * scale;
    return [rect.left + x / dpr, rect.top + y / dpr];
  }

  private update(patch: Partial<ViewState>): void {
    this.state = { ...this.state, ...patch };
    if (patch.zoom !== undefined || patch.centre !== undefined) this.view.set(this.state.zoom, this.state.centre);
    this.refresh();
  }

  private sortBy(key: SortKey): void {
    this.update(this.state.sort === key ? { descending: !this.state.descending } : { sort: key, descending: false });
  }

  private primaryKind(): RunKind | undefined {
    return this.kindOf(this.runs[0]);
  }

  private kindOf(run: MapRun | undefined): RunKind | undefined {
    return run?.kinds.find((k) => k.kind === this.state.kind);
  }

  private buildPanes(): void {
    this.panes = this.runs.map((run) => {
      const pane = new MapPane(this.view, (from, instance, cell) => this.hover(from, instance, cell));
      const legend = new Legend(this.lut);
      const summary = element('div', { className: 'pane-summary' });
      const topkList = element('ol', { className: 'topk-list' });
      pane.title.textContent = run.title;
      pane.element.append(legend.element, summary, element('div', { className: 'topk-title' }, 'Top patches'), topkList);
      return { run, pane, legend, summary, topkList, top: [] };
    });
    this.paneHost.replaceChildren(...this.panes.map((p) => p.pane.element));
    this.paneHost.dataset.count = String(this.panes.length);
  }

  /** Re-renders the controls and the list from the state, then shows the selected slide. */
  private refresh(): void {
    const kinds = [...new Set(this.runs.flatMap((r) => r.kinds.map((k) => k.kind)))];
    if (kinds.length > 0 && !kinds.includes(this.state.kind)) this.state = { ...this.state, kind: kinds[0] ?? 'best' };
    const primary = this.primaryKind();
    const rows = primary?.slides ?? [];
    setOptions(this.kindSelect, kinds.map((k) => [k, `${k} (epoch ${(this.runs[0]?.kinds.find((x) => x.kind === k)?.epoch ?? 0) + 1})`]), this.state.kind);
    setOptions(this.scaleSelect, [['raw', 'raw'], ['percentile', 'percentile (per slide)'], ['log', 'log']], this.state.scale);
    const maxHeads = Math.max(1, ...rows.map((r) => r.heads));
    setOptions(this.headSelect, [['mean', maxHeads > 1 ? 'mean of heads' : 'attention'], ...(maxHeads > 1 ? Array.from({ length: maxHeads }, (_, h): [string, string] => [String(h), `head ${h + 1}`]) : [])], String(this.state.head));
    this.headSelect.disabled = maxHeads <= 1;
    const splits = [...new Set(rows.map((r) => r.split))].sort();
    setOptions(this.splitSelect, [['all', 'all'], ...splits.map((s): [string, string] => [s, s])], this.state.split);
    const labels = [...new Set(rows.map((r) => r.labelName))].sort();
    setOptions(this.labelSelect, [['all', 'all'], ...labels.map((l): [string, string] => [l, l])], this.state.labelFilter);
    if (this.textFilter.value !== this.state.text) this.textFilter.value = this.state.text;
    const k = String(this.state.topK ?? this.defaultTopK);
    if (this.kField.value !== k && document.activeElement !== this.kField) this.kField.value = k;
    const shown = visibleRows(rows, this.state);
    if (!shown.some((r) => r.slideId === this.state.selected)) this.state = { ...this.state, selected: shown[0]?.slideId ?? null, zoom: 1, centre: null };
    this.list.render(shown, this.state.selected, this.state.sort, this.state.descending);
    if (this.view.zoom !== this.state.zoom || this.view.centre !== this.state.centre) this.view.set(this.state.zoom, this.state.centre);
    this.bridge.setState(this.state);
    const problems = this.runs.flatMap((r) => r.problems.map((p) => `${r.title}: ${p}`));
    if (problems.length > 0 && rows.length === 0) {
      this.notice.textContent = problems.join('\n');
      this.notice.dataset.level = 'error';
    }
    this.showSlide();
  }

  /** Puts the selected slide in every pane, asking the host for what it has not sent yet. */
  private showSlide(): void {
    const slideId = this.state.selected;
    const primaryRow = this.primaryKind()?.slides.find((r) => r.slideId === slideId);
    this.heading.textContent = primaryRow ? `${primaryRow.slideId} · ${primaryRow.split} · label ${primaryRow.labelName}` : slideId ? slideId : 'No slide to show';
    for (const p of this.panes) {
      p.pane.highlighted = null;
      const kind = this.kindOf(p.run);
      const row = kind?.slides.find((r) => r.slideId === slideId);
      p.summary.textContent = [summaryText(row, kind), p.run.truthNote].filter(Boolean).join(' · ');
      if (!slideId) {
        this.clearPane(p, this.runs.length > 0 ? 'No slide matches the filters.' : '');
        continue;
      }
      if (!kind) {
        this.clearPane(p, `This run has no ${this.state.kind} epoch files. ${p.run.problems.join(' ')}`);
        continue;
      }
      if (!row) {
        this.clearPane(p, `This run has no slide ${slideId}.`);
        continue;
      }
      const key = cacheKey(p.run.runId, this.state.kind, slideId);
      const error = this.errors.get(key);
      const map = this.cache.get(key);
      if (error) {
        this.clearPane(p, error);
      } else if (map) {
        p.pane.setData(map, this.state.head, this.state.scale, this.lut);
        p.pane.message.textContent = map.coords
          ? `${map.n} patches · patch ${map.patchSize} px (${map.patchSource === 'attribute' ? `h5 patch_size${map.patchLevel !== null ? `, level ${map.patchLevel}` : ''}` : 'coordinate spacing'})${map.patchNote ? `. ${map.patchNote}` : ''}`
          : `This run has no patch coordinates: ${map.n} patches laid out by instance index.`;
        p.top = topPatches(p.pane.data?.row ?? [], this.state.topK ?? this.defaultTopK, p.pane.data?.order);
        this.renderTopk(p);
      } else {
        this.clearPane(p, 'Loading…');
        if (!this.requested.has(key)) {
          this.requested.add(key);
          this.bridge.post({ type: 'requestSlide', runId: p.run.runId, kind: this.state.kind, slideId });
        }
      }
    }
    this.drawPanes(true);
  }

  private clearPane(p: PaneView, message: string): void {
    p.pane.clear();
    p.pane.message.textContent = message;
    p.top = [];
    p.topkList.replaceChildren();
  }

  private renderTopk(p: PaneView): void {
    const d = p.pane.data;
    p.topkList.replaceChildren(
      ...p.top.map((t, r) => {
        const where = d?.map.coords ? `(${d.map.coords[2 * t.index]}, ${d.map.coords[2 * t.index + 1]})` : `#${t.index}`;
        const b = element('button', { className: 'topk-item', title: 'Centre the map on this patch' }, `${r + 1}. ${where}  ${t.attention.toPrecision(3)}  Σ ${t.cumulative.toFixed(3)}`);
        b.dataset.instance = String(t.index);
        b.addEventListener('click', () => p.pane.centreOn(t.index));
        return element('li', {}, b);
      }),
    );
  }

  private drawPanes(reportDrawn: boolean): void {
    const colours = {
      background: this.theme.background,
      empty: this.theme.background,
      outline: this.theme.highContrast ? this.theme.foreground : (this.theme.palette[1] ?? '#f14c4c'),
      highlight: this.theme.foreground,
    };
    for (const p of this.panes) {
      p.pane.draw(colours);
      p.legend.update(this.state.scale, p.pane.data?.scaled);
    }
    if (!reportDrawn) return;
    const drawnPanes = this.panes.filter((p) => p.pane.data);
    if (drawnPanes.length === 0 || !this.state.selected) return;
    this.draws++;
    this.root.dataset.aemDrawn = String(this.draws);
    this.bridge.post({ type: 'drawn', slideId: this.state.selected, kind: this.state.kind, runs: drawnPanes.map((p) => ({ runId: p.run.runId, patches: p.pane.data?.map.n ?? 0 })) });
  }

  private hover(from: MapPane, instance: number | null, cell: [number, number] | null): void {
    if (!cell || instance === null) {
      this.readout.textContent = '';
      return;
    }
    const parts: string[] = [];
    for (const p of this.panes) {
      const d = p.pane.data;
      // The other pane reports the patch at the same place of the slide (same cell).
      const i = p.pane === from ? instance : p.pane.instanceAt(cell[0], cell[1]);
      if (!d || i === null) continue;
      const where = d.map.coords ? `x ${d.map.coords[2 * i]}, y ${d.map.coords[2 * i + 1]}` : `instance ${i}`;
      const tumour = d.map.tumour?.includes(i) ? ' · tumour' : '';
      parts.push(`${this.panes.length > 1 ? `${p.run.title}: ` : ''}${where} · attention ${(d.row[i] as number).toPrecision(4)} · rank ${d.ranks[i]} of ${d.map.n}${tumour}`);
    }
    this.readout.textContent = parts.join('  |  ');
  }

  private exportCsv(): void {
    const slideId = this.state.selected;
    const slides = this.panes.flatMap((p) => {
      const d = p.pane.data;
      return d ? [{ runTitle: p.run.title, n: d.map.n, row: d.row, ranks: d.ranks, coords: d.map.coords }] : [];
    });
    if (!slideId || slides.length === 0) return;
    this.bridge.post({ type: 'saveCsv', fileName: safeFileName(`attention-${slideId}-${this.state.kind}`, 'csv'), content: slideCsv(slideId, slides) });
  }

  private exportPng(): void {
    const slideId = this.state.selected;
    const drawn = this.panes.filter((p) => p.pane.data);
    if (!slideId || drawn.length === 0) return;
    const header = 28;
    const footer = 30;
    const width = drawn.reduce((s, p) => s + p.pane.canvas.width, 0) + 8 * (drawn.length - 1);
    const height = Math.max(...drawn.map((p) => p.pane.canvas.height)) + header + footer;
    const out = element('canvas', { width, height });
    const ctx = out.getContext('2d');
    if (!ctx) return;
    ctx.fillStyle = this.theme.background;
    ctx.fillRect(0, 0, width, height);
    ctx.fillStyle = this.theme.foreground;
    ctx.font = `${this.theme.fontSize}px ${this.theme.fontFamily}`;
    let x = 0;
    for (const p of drawn) {
      ctx.fillText(`${p.run.title} · ${slideId} · ${this.state.kind}`, x + 4, 18);
      ctx.drawImage(p.pane.canvas, x, header);
      const s = p.pane.data?.scaled;
      const barY = header + p.pane.canvas.height + 8;
      for (let i = 0; i < 200; i++) {
        ctx.fillStyle = cssColour(this.lut, i / 199);
        ctx.fillRect(x + 60 + i, barY, 1, 12);
      }
      ctx.fillStyle = this.theme.foreground;
      ctx.fillText(this.state.scale === 'percentile' ? '0 %' : (s?.lo.toPrecision(3) ?? ''), x + 4, barY + 11);
      ctx.fillText(this.state.scale === 'percentile' ? '100 %' : (s?.hi.toPrecision(3) ?? ''), x + 266, barY + 11);
      x += p.pane.canvas.width + 8;
    }
    this.bridge.post({ type: 'savePng', fileName: safeFileName(`attention-${slideId}-${this.state.kind}`, 'png'), content: out.toDataURL('image/png') });
  }
}

function labelled(label: string, control: HTMLElement): HTMLElement {
  return element('label', { className: 'field' }, element('span', { className: 'field-label' }, label), control);
}

function cacheKey(runId: string, kind: string, slideId: string): string {
  return `${runId}\u0000${kind}\u0000${slideId}`;
}

function summaryText(row: SlideRowMessage | undefined, kind: RunKind | undefined): string {
  if (!row || !kind) return '';
  const parts = [`${row.correct ? '✓' : '✗'} predicted ${row.predictedName} (p ${row.probability.toFixed(3)})`];
  if (row.entropy !== null) parts.push(`entropy ${row.entropy.toFixed(3)} nats (max ${Math.log(Math.max(1, row.n)).toFixed(3)})`);
  if (row.tumourMass !== null) parts.push(`attention on tumour ${row.tumourMass.toFixed(3)}${kind.meanTumourMass !== null ? ` (run mean ${kind.meanTumourMass.toFixed(3)})` : ''}`);
  return parts.join(' · ');
}
