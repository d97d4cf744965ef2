// The colour map's legend: the LUT as a bar with what its ends stand for under the chosen scaling.
import type { ScaleMode, Scaled } from '../../src/attentionMaps/scale.js';
import { element } from './controls.js';

export class Legend {
  readonly element: HTMLElement;
  private readonly bar: HTMLCanvasElement;
  private readonly lo: HTMLElement;
  private readonly hi: HTMLElement;
  private readonly caption: HTMLElement;

  constructor(lut: Uint8ClampedArray) {
    this.bar = element('canvas', { className: 'legend-bar', width: 256, height: 1 });
    const ctx = this.bar.getContext('2d');
    if (ctx) {
      const img = ctx.createImageData(256, 1);
      img.data.set(lut);
      ctx.putImageData(img, 0, 0);
    }
    this.lo = element('span', { className: 'legend-lo' });
    this.hi = element('span', { className: 'legend-hi' });
    this.caption = element('span', { className: 'legend-caption' });
    this.element = element('div', { className: 'legend' }, this.lo, this.bar, this.hi, this.caption);
  }

  update(mode: ScaleMode, scaled: Scaled | undefined): void {
    if (!scaled) {
      this.lo.textContent = '';
      this.hi.textContent = '';
      this.caption.textContent = '';
      return;
    }
    if (mode === 'percentile') {
      this.lo.textContent = '0 %';
      this.hi.textContent = '100 %';
      this.caption.textContent = 'percentile of attention within the slide';
    } else {
      this.lo.textContent = scaled.lo.toPrecision(3);
      this.hi.textContent = scaled.hi.toPrecision(3);
      this.caption.textContent = mode === 'log' ? 'attention, log scale' : 'attention';
    }
  }
}
