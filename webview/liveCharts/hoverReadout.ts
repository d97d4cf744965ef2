// Values under the pointer: the panel draws its own lines (see seriesLayer.ts), so it shows its own
// readout too, listing each visible line's value at the x nearest the pointer.
import type { LineChart } from './chartSetup.js';
import type { SeriesLine } from './seriesLayer.js';

function nearestIndex(xs: readonly number[], x: number): number {
  let lo = 0;
  let hi = xs.length - 1;
  while (hi - lo > 1) {
    const mid = (lo + hi) >> 1;
    if ((xs[mid] as number) < x) lo = mid;
    else hi = mid;
  }
  return Math.abs((xs[lo] as number) - x) <= Math.abs((xs[hi] as number) - x) ? lo : hi;
}

export function attachHoverReadout(chart: LineChart, card: HTMLElement, lines: () => readonly SeriesLine[], xName: (x: number) => string): void {
  const box = document.createElement('div');
  box.className = 'hover-readout';
  box.hidden = true;
  card.append(box);
  const canvas = chart.canvas;
  canvas.addEventListener('mouseleave', () => (box.hidden = true));
  canvas.addEventListener('mousemove', (event) => {
    const scale = chart.scales.x;
    const area = chart.chartArea;
    if (!scale || event.offsetX < area.left || event.offsetX > area.right) {
      box.hidden = true;
      return;
    }
    const x = scale.getValueForPixel(event.offsetX);
    if (x === undefined) return;
    const rows: HTMLElement[] = [];
    let shownX: number | undefined;
    for (const line of lines()) {
      if (line.hidden || line.xs.length === 0) continue;
      const i = nearestIndex(line.xs, x);
      const value = line.ys[i];
      shownX ??= line.xs[i];
      if (value === null || value === undefined || line.xs[i] !== shownX) continue;
      const row = document.createElement('div');
      const swatch = document.createElement('span');
      swatch.className = 'swatch';
      swatch.style.backgroundColor = line.colour;
      row.append(swatch, ` ${line.label}: ${Math.abs(value) >= 100 ? value.toFixed(1) : value.toPrecision(4)}`);
      rows.push(row);
    }
    if (rows.length === 0 || shownX === undefined) {
      box.hidden = true;
      return;
    }
    box.replaceChildren(Object.assign(document.createElement('div'), { className: 'hover-title', textContent: xName(shownX) }), ...rows.slice(0, 12));
    box.hidden = false;
    const pointer = canvas.offsetLeft + event.offsetX;
    const right = pointer + 12;
    const left = right + box.offsetWidth > card.clientWidth - 4 ? pointer - box.offsetWidth - 12 : right;
    box.style.left = `${Math.max(4, left)}px`;
    box.style.top = `${canvas.offsetTop + 8}px`;
  });
}
