// Where each patch goes on the map: the patch size (from the h5 `coords` attributes where present, else
// the spacing of the coordinates) and a grid of cells, one per patch, that the view draws as pixels.
// A slide without coordinates is laid out by instance index, row by row, in a near-square grid.

export type PatchSizeSource = 'attribute' | 'spacing' | 'index';

export interface PatchSize {
  size: number;
  source: PatchSizeSource;
  /** patch_level of the h5 `coords`, when stored. */
  level?: number;
}

/** The smallest positive step between distinct x values or distinct y values; undefined when there is none. */
export function coordinateSpacing(coords: ArrayLike<number>): number | undefined {
  let best = Infinity;
  for (const axis of [0, 1]) {
    const values = Float64Array.from({ length: coords.length / 2 }, (_, i) => coords[2 * i + axis] as number).sort();
    for (let i = 1; i < values.length; i++) {
      const d = (values[i] as number) - (values[i - 1] as number);
      if (d > 0 && d < best) best = d;
    }
  }
  return Number.isFinite(best) ? best : undefined;
}

export function patchSizeOf(coords: ArrayLike<number> | undefined, attrs: { patchSize?: number; patchLevel?: number }): PatchSize {
  const level = attrs.patchLevel !== undefined ? { level: attrs.patchLevel } : {};
  if (!coords) return { size: 1, source: 'index' };
  if (attrs.patchSize !== undefined && attrs.patchSize > 0) return { size: attrs.patchSize, source: 'attribute', ...level };
  return { size: coordinateSpacing(coords) ?? 1, source: 'spacing', ...level };
}

export interface PatchGrid {
  /** Cells across and down. */
  width: number;
  height: number;
  /** Cell of each instance: column cx[i], row cy[i]. */
  cx: Int32Array;
  cy: Int32Array;
  /** The instance in each cell (row-major, width * height), -1 for none. */
  cellInstance: Int32Array;
  /** Slide coordinate of cell (0, 0) and of one cell step, to turn cells back into coordinates. */
  originX: number;
  originY: number;
  step: number;
}

export function patchGrid(n: number, coords: ArrayLike<number> | undefined, size: number): PatchGrid {
  const cx = new Int32Array(n);
  const cy = new Int32Array(n);
  let width: number;
  let height: number;
  let originX = 0;
  let originY = 0;
  let step = 1;
  if (coords && n > 0) {
    originX = Infinity;
    originY = Infinity;
    for (let i = 0; i < n; i++) {
      originX = Math.min(originX, coords[2 * i] as number);
      originY = Math.min(originY, coords[2 * i + 1] as number);
    }
    step = size > 0 ? size : 1;
    width = 0;
    height = 0;
    for (let i = 0; i < n; i++) {
      cx[i] = Math.round(((coords[2 * i] as number) - originX) / step);
      cy[i] = Math.round(((coords[2 * i + 1] as number) - originY) / step);
      width = Math.max(width, (cx[i] as number) + 1);
      height = Math.max(height, (cy[i] as number) + 1);
    }
  } else {
    width = Math.max(1, Math.ceil(Math.sqrt(n)));
    height = Math.max(1, Math.ceil(n / width));
    for (let i = 0; i < n; i++) {
      cx[i] = i % width;
      cy[i] = Math.floor(i / width);
    }
  }
  const cellInstance = new Int32Array(width * height).fill(-1);
  for (let i = 0; i < n; i++) cellInstance[(cy[i] as number) * width + (cx[i] as number)] = i;
  return { width, height, cx, cy, cellInstance, originX, originY, step };
}
