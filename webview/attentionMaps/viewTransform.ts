// The zoom and pan every map pane shares, so two runs side by side move together. Zoom is relative to
// fitting the whole slide; the centre is in patch cells.
export class ViewTransform {
  zoom = 1;
  centre: [number, number] | null = null;
  private readonly listeners: (() => void)[] = [];

  onChange(listener: () => void): void {
    this.listeners.push(listener);
  }

  set(zoom: number, centre: [number, number] | null): void {
    this.zoom = Math.max(1, Math.min(256, zoom));
    this.centre = centre;
    for (const l of this.listeners) l();
  }

  reset(): void {
    this.set(1, null);
  }
}

export interface Placement {
  /** Device pixels per cell. */
  scale: number;
  /** Device pixel of cell (0, 0)'s corner. */
  offsetX: number;
  offsetY: number;
}

/** Where a grid of width x height cells goes on a canvas of w x h device pixels under the shared view. */
export function placement(width: number, height: number, w: number, h: number, view: ViewTransform): Placement {
  const fit = Math.min(w / Math.max(1, width), h / Math.max(1, height)) * 0.96;
  const scale = fit * view.zoom;
  const [cx, cy] = view.centre ?? [width / 2, height / 2];
  return { scale, offsetX: w / 2 - cx * scale, offsetY: h / 2 - cy * scale };
}
