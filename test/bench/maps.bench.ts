// `npm run bench -- maps`: the Attention Maps webview bundle in headless Chromium (outside VS Code).
//  1. One slide of 100,000 patches (a 317 x 317 grid, seeded attention): the `slide` message handled in
//     the page (validated, row, ranks, grid, ImageData built, drawn), median of 5; target < 150 ms.
//  2. Zoom and pan of that slide: each redraw (drawImage of the prepared image), median of 60.
// The same slide goes to two panes side by side for a third figure (both drawn).
import type { MapRun, SlideMapMessage } from '../../src/protocol/attentionMaps.js';
import { openMapsView } from '../webview/attentionMapsPage.js';
import { launchChromium } from '../webview/liveChartsPage.js';

const N = 100_000;

function slide(runId: string): SlideMapMessage {
  let seed = 2024;
  const rand = () => {
    seed = (seed * 1664525 + 1013904223) >>> 0;
    return seed / 4294967296;
  };
  const side = Math.ceil(Math.sqrt(N));
  const raw = Array.from({ length: N }, (_, i) => Math.exp(3 * rand() + (Math.hypot((i % side) - 100, Math.floor(i / side) - 120) < 30 ? 3 : 0)));
  const sum = raw.reduce((s, v) => s + v, 0);
  const coords: number[] = [];
  for (let i = 0; i < N; i++) coords.push((i % side) * 256, Math.floor(i / side) * 256);
  return { runId, kind: 'best', slideId: 'big', n: N, heads: 1, attention: raw.map((v) => v / sum), coords, patchSize: 256, patchSource: 'attribute', patchLevel: 0, patchNote: null, tumour: null };
}

function mapRun(runId: string): MapRun {
  return { runId, title: runId, problems: [], truthNote: null, kinds: [{ kind: 'best', epoch: 0, classes: ['normal', 'tumor'], meanTumourMass: null, slides: [{ slideId: 'big', split: 'test', label: 1, labelName: 'tumor', predicted: 1, predictedName: 'tumor', probability: 0.9, correct: true, entropy: 10, n: N, heads: 1, hasCoords: true, tumourMass: null }] }] };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? NaN;
}

export async function run(): Promise<void> {
  const browser = await launchChromium();
  try {
    for (const panes of [1, 2]) {
      const w = await openMapsView(browser, [], { width: 1600, height: 1000 });
      const ids = Array.from({ length: panes }, (_, i) => `run-${i}`);
      await w.send({ type: 'init', v: 1, runs: ids.map(mapRun), topK: 20 });
      const messages = ids.map((id) => ({ type: 'slide' as const, map: slide(id) }));
      const times: number[] = [];
      for (let rep = 0; rep < 5; rep++) {
        times.push(
          await w.page.evaluate((ms) => {
            const t0 = performance.now();
            for (const m of ms) window.dispatchEvent(new MessageEvent('message', { data: m }));
            return performance.now() - t0;
          }, messages),
        );
      }
      const d = await w.describe();
      if (d.panes.some((p) => p.n !== N)) throw new Error(`maps bench: the view did not draw the slide (${JSON.stringify(d.panes.map((p) => p.n))})`);
      const box = await w.page.locator('.map-canvas').first().boundingBox();
      const redraws: number[] = [];
      if (box) {
        await w.page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
        for (let i = 0; i < 60; i++) {
          await w.page.mouse.wheel(0, i < 30 ? -120 : 120);
          redraws.push(...(await w.describe()).panes.map((p) => p.lastDrawMs));
        }
      }
      console.log(`${panes} pane${panes === 1 ? '' : 's'}, ${N.toLocaleString('en')} patches: slide message handled and drawn median ${median(times).toFixed(1)} ms (max ${Math.max(...times).toFixed(1)}, target < 150 ms); zoom redraw median ${median(redraws).toFixed(2)} ms per pane (max ${Math.max(...redraws).toFixed(2)})`);
      await w.page.context().close();
    }
  } finally {
    await browser.close();
  }
}
