// One run's map of the selected slide: each patch one cell, coloured through the colour map, drawn as
// one ImageData scaled onto the canvas (no per-patch draw calls), the true tumour patches outlined, the
// chosen top-k patch ringed. Wheel / drag / keys change the shared view; hovering reports the patch.
import type { SlideMapMessage } from '../../src/protocol/attentionMaps.js';
import { attentionRow, type HeadChoice } from '../../src/attentionMaps/heads.js';
import { lutIndex } from '../../src/attentionMaps/colourMap.js';
import { patchGrid, type PatchGrid } from '../../src/attentionMaps/patchGeometry.js';
import { scaleAttention, type ScaleMode, type Scaled } from '../../src/attentionMaps/scale.js';
import { attentionOrder, ranksOf } from '../../src/attentionMaps/topk.js';
import { placement, type ViewTransform } from './viewTransform.js';

export interface PaneData {
  map: SlideMapMessage;
  row: Float32Array;
  order: Int32Array;
  ranks: Int32Array;
  grid: PatchGrid;
  scaled: Scaled;
}

export interface PaneColours {
  background: string;
  empty: string;
  outline: string;
  highlight: string;
}

export class MapPane {
  readonly element: HTMLElement;
  readonly canvas: HTMLCanvasElement;
  readonly title: HTMLElement;
  readonly message: HTMLElement;
  data: PaneData | undefined;
  highlighted: number | null = null;
  /** Milliseconds the last full draw took (image build included when it was rebuilt). */
  lastDrawMs = 0;
  private shown: { head: HeadChoice; mode: ScaleMode } | undefined;
  private image: HTMLCanvasElement | undefined;
  private outline: Path2D | undefined;
  private drag: { x: number; y: number; centre: [number, number] } | undefined;

  constructor(
    private readonly view: ViewTransform,
    private readonly onHover: (pane: MapPane, instance: number | null, cell: [number, number] | null) => void,
  ) {
    this.element = document.createElement('div');
    this.element.className = 'map-pane';
    this.title = document.createElement('div');
    this.title.className = 'pane-title';
    this.message = document.createElement('div');
    this.message.className = 'pane-message';
    this.canvas = document.createElement('canvas');
    this.canvas.className = 'map-canvas';
    this.canvas.tabIndex = 0;
    this.canvas.setAttribute('role', 'img');
    this.canvas.setAttribute('aria-label', 'Attention map. Arrow keys pan, + and - zoom, 0 resets.');
    this.element.append(this.title, this.canvas, this.message);
    this.canvas.addEventListener('wheel', (e) => this.wheel(e), { passive: false });
    this.canvas.addEventListener('pointerdown', (e) => this.pointerDown(e));
    this.canvas.addEventListener('pointermove', (e) => this.pointerMove(e));
    this.canvas.addEventListener('pointerup', () => (this.drag = undefined));
    this.canvas.addEventListener('pointerleave', () => this.onHover(this, null, null));
    this.canvas.addEventListener('keydown', (e) => this.key(e));
  }

  /** Rebuilds the pane's image unless it already shows this map with this row and scale. */
  setData(map: SlideMapMessage, head: HeadChoice, mode: ScaleMode, lut: Uint8ClampedArray): void {
    if (this.data?.map === map && this.shown?.head === head && this.shown.mode === mode) return;
    this.shown = { head, mode };
    const row = attentionRow(map.attention, map.heads, map.n, head === 'mean' || head < map.heads ? head : 'mean');
    const order = attentionOrder(row);
    const grid = patchGrid(map.n, map.coords ?? undefined, map.patchSize);
    const scaled = scaleAttention(row, mode);
    this.data = { map, row, order, ranks: ranksOf(order), grid, scaled };
    this.buildImage(lut);
    this.outline = map.tumour ? tumourOutline(grid, map.tumour) : undefined;
  }

  clear(): void {
    this.data = undefined;
    this.shown = undefined;
    this.image = undefined;
    this.outline = undefined;
  }

  private buildImage(lut: Uint8ClampedArray): void {
    const d = this.data;
    if (!d) return;
    const image = document.createElement('canvas');
    image.width = d.grid.width;
    image.height = d.grid.height;
    const ctx = image.getContext('2d');
    if (!ctx) return;
    const pixels = ctx.createImageData(d.grid.width, d.grid.height);
    const px = pixels.data;
    for (let i = 0; i < d.map.n; i++) {
      const p = ((d.grid.cy[i] as number) * d.grid.width + (d.grid.cx[i] as number)) * 4;
      const e = lutIndex(d.scaled.t[i] as number) * 4;
      px[p] = lut[e] as number;
      px[p + 1] = lut[e + 1] as number;
      px[p + 2] = lut[e + 2] as number;
      px[p + 3] = 255;
    }
    ctx.putImageData(pixels, 0, 0);
    this.image = image;
  }

  resize(): void {
    const dpr = window.devicePixelRatio || 1;
    const w = Math.max(1, Math.round(this.canvas.clientWidth * dpr));
    const h = Math.max(1, Math.round(this.canvas.clientHeight * dpr));
    if (this.canvas.width !== w || this.canvas.height !== h) {
      this.canvas.width = w;
      this.canvas.height = h;
    }
  }

  draw(colours: PaneColours): void {
    const t0 = performance.now();
    this.resize();
    const ctx = this.canvas.getContext('2d');
    if (!ctx) return;
    ctx.setTransform(1, 0, 0, 1, 0, 0);
    ctx.fillStyle = colours.background;
    ctx.fillRect(0, 0, this.canvas.width, this.canvas.height);
    const d = this.data;
    if (!d || !this.image) return;
    const p = placement(d.grid.width, d.grid.height, this.canvas.width, this.canvas.height, this.view);
    ctx.imageSmoothingEnabled = false;
    ctx.drawImage(this.image, p.offsetX, p.offsetY, d.grid.width * p.scale, d.grid.height * p.scale);
    ctx.setTransform(p.scale, 0, 0, p.scale, p.offsetX, p.offsetY);
    if (this.outline) {
      ctx.strokeStyle = colours.outline;
      ctx.lineWidth = Math.max(1.5 / p.scale, 0.06);
      ctx.stroke(this.outline);
    }
    if (this.highlighted !== null && this.highlighted < d.map.n) {
      const x = d.grid.cx[this.highlighted] as number;
      const y = d.grid.cy[this.highlighted] as number;
      const r = Math.max(1.2, 8 / p.scale);
      ctx.strokeStyle = colours.highlight;
      ctx.lineWidth = Math.max(2 / p.scale, 0.1);
      ctx.beginPath();
      ctx.arc(x + 0.5, y + 0.5, r, 0, 2 * Math.PI);
      ctx.stroke();
    }
    ctx.setTransform(1, 0, 0, 1, 0, 0);
    this.lastDrawMs = performance.now() - t0;
  }

  /** The cell under a client position, and the instance in it (or null). */
  hit(clientX: number, clientY: number): { cell: [number, number]; instance: number | null } | null {
    const d = this.data;
    if (!d) return null;
    const rect = this.canvas.getBoundingClientRect();
    const dpr = this.canvas.width / Math.max(1, rect.width);
    const p = placement(d.grid.width, d.grid.height, this.canvas.width, this.canvas.height, this.view);
    const cx = Math.floor(((clientX - rect.left) * dpr - p.offsetX) / p.scale);
    const cy = Math.floor(((clientY - rect.top) * dpr - p.offsetY) / p.scale);
    return { cell: [cx, cy], instance: this.instanceAt(cx, cy) };
  }

  instanceAt(cx: number, cy: number): number | null {
    const d = this.data;
    if (!d || cx < 0 || cy < 0 || cx >= d.grid.width || cy >= d.grid.height) return null;
    const i = d.grid.cellInstance[cy * d.grid.width + cx] as number;
    return i >= 0 ? i : null;
  }

  /** Centres the shared view on an instance, zooming in to at least 4x. */
  centreOn(instance: number): void {
    const d = this.data;
    if (!d) return;
    this.highlighted = instance;
    this.view.set(Math.max(this.view.zoom, 4), [(d.grid.cx[instance] as number) + 0.5, (d.grid.cy[instance] as number) + 0.5]);
  }

  private currentCentre(): [number, number] {
    const d = this.data;
    return this.view.centre ?? (d ? [d.grid.width / 2, d.grid.height / 2] : [0, 0]);
  }

  private wheel(e: WheelEvent): void {
    const d = this.data;
    if (!d) return;
    e.preventDefault();
    const rect = this.canvas.getBoundingClientRect();
    const dpr = this.canvas.width / Math.max(1, rect.width);
    const before = placement(d.grid.width, d.grid.height, this.canvas.width, this.canvas.height, this.view);
    const px = (e.clientX - rect.left) * dpr;
    const py = (e.clientY - rect.top) * dpr;
    const cell: [number, number] = [(px - before.offsetX) / before.scale, (py - before.offsetY) / before.scale];
    const zoom = Math.max(1, Math.min(256, this.view.zoom * Math.exp(-e.deltaY * 0.0015)));
    const scale = (before.scale / this.view.zoom) * zoom;
    this.view.set(zoom, [cell[0] - (px - this.canvas.width / 2) / scale, cell[1] - (py - this.canvas.height / 2) / scale]);
  }

  private pointerDown(e: PointerEvent): void {
    this.canvas.focus();
    this.drag = { x: e.clientX, y: e.clientY, centre: this.currentCentre() };
    this.canvas.setPointerCapture?.(e.pointerId);
  }

  private pointerMove(e: PointerEvent): void {
    const d = this.data;
    if (this.drag && d && e.buttons !== 0) {
      const rect = this.canvas.getBoundingClientRect();
      const dpr = this.canvas.width / Math.max(1, rect.width);
      const p = placement(d.grid.width, d.grid.height, this.canvas.width, this.canvas.height, this.view);
      this.view.set(this.view.zoom, [this.drag.centre[0] - ((e.clientX - this.drag.x) * dpr) / p.scale, this.drag.centre[1] - ((e.clientY - this.drag.y) * dpr) / p.scale]);
      return;
    }
    const hit = this.hit(e.clientX, e.clientY);
    this.onHover(this, hit?.instance ?? null, hit?.cell ?? null);
  }

  private key(e: KeyboardEvent): void {
    const d = this.data;
    if (!d) return;
    const [cx, cy] = this.currentCentre();
    const step = Math.max(d.grid.width, d.grid.height) / this.view.zoom / 10;
    const moves: Record<string, () => void> = {
      ArrowLeft: () => this.view.set(this.view.zoom, [cx - step, cy]),
      ArrowRight: () => this.view.set(this.view.zoom, [cx + step, cy]),
      ArrowUp: () => this.view.set(this.view.zoom, [cx, cy - step]),
      ArrowDown: () => this.view.set(this.view.zoom, [cx, cy + step]),
      '+': () => this.view.set(this.view.zoom * 1.5, [cx, cy]),
      '=': () => this.view.set(this.view.zoom * 1.5, [cx, cy]),
      '-': () => this.view.set(this.view.zoom / 1.5, [cx, cy]),
      '0': () => this.view.reset(),
    };
    const move = moves[e.key];
    if (move) {
      e.preventDefault();
      move();
    }
  }
}

/** The boundary of the tumour cells: every cell edge with a non-tumour neighbour, in cell units. */
export function tumourOutline(grid: PatchGrid, tumour: number[]): Path2D {
  const isTumour = new Uint8Array(grid.width * grid.height);
  for (const i of tumour) if (i < grid.cx.length) isTumour[(grid.cy[i] as number) * grid.width + (grid.cx[i] as number)] = 1;
  const at = (x: number, y: number) => x >= 0 && y >= 0 && x < grid.width && y < grid.height && isTumour[y * grid.width + x] === 1;
  const path = new Path2D();
  for (const i of tumour) {
    if (i >= grid.cx.length) continue;
    const x = grid.cx[i] as number;
    const y = grid.cy[i] as number;
    if (!at(x, y - 1)) { path.moveTo(x, y); path.lineTo(x + 1, y); }
    if (!at(x, y + 1)) { path.moveTo(x, y + 1); path.lineTo(x + 1, y + 1); }
    if (!at(x - 1, y)) { path.moveTo(x, y); path.lineTo(x, y + 1); }
    if (!at(x + 1, y)) { path.moveTo(x + 1, y); path.lineTo(x + 1, y + 1); }
  }
  return path;
}
