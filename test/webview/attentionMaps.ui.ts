// The Attention Maps webview bundle in headless Chromium, outside VS Code, on two real runs trained here
// (tiny synthetic preset, ABMIL and AEM of one seed), their slides served through the real data layer:
// the list in errors-first order, keyboard navigation, the map drawn through the viridis LUT, the hover
// readout, the top-k list (clicking centres), sorting, two runs side by side with one shared view,
// a run without coordinates, CSV and PNG export, state kept, light and dark screenshots under
// test-output/attentionMaps/ (AEM_UPDATE_MEDIA=1 also refreshes the README's), and no CSP violation.
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Browser } from 'playwright-core';
import { viridisLut } from '../../src/attentionMaps/colourMap.js';
import { RunMaps } from '../../src/attentionMaps/runMaps.js';
import { errorsFirst } from '../../src/attentionMaps/slideRows.js';
import { topPatches } from '../../src/attentionMaps/topk.js';
import { parseRestoredState, parseWebviewMessage } from '../../src/protocol/attentionMaps.js';
import { trainSynthetic } from '../helpers/syntheticRun.js';
import { repoRoot } from '../vscode/harness/tools.js';
import { initMessage, openMapsView, type HostRun, type MapsDescription, type MapsPage } from './attentionMapsPage.js';
import { launchChromium } from './liveChartsPage.js';

const outDir = path.join(repoRoot, 'test-output', 'attentionMaps');
// AEM_UPDATE_MEDIA=1 refreshes the README's picture from runs that learn something (the demo preset);
// the tiny preset's 3 epochs keep the test quick.
const updateMedia = process.env.AEM_UPDATE_MEDIA === '1';
const training = updateMedia ? { preset: 'demo' as const, epochs: 12 } : { preset: 'tiny' as const, epochs: 3 };

async function settled(w: MapsPage, slideId?: string): Promise<MapsDescription> {
  for (let i = 0; i < 300; i++) {
    await w.serve();
    const d = await w.describe();
    const want = slideId ?? d.selected;
    if (want && d.selected === want && d.panes.every((p) => p.slideId === want || (p.message !== 'Loading…' && p.message !== ''))) return d;
    await w.page.waitForTimeout(20);
  }
  assert.fail(`the view never showed slide ${slideId ?? '(selected)'}: ${JSON.stringify(await w.describe()).slice(0, 400)}`);
}

async function assertClean(w: MapsPage): Promise<void> {
  assert.deepEqual(await w.cspViolations(), [], 'the strict CSP blocked something');
  assert.deepEqual(w.errors, [], 'the page logged errors');
  for (const m of await w.posted()) assert.ok(parseWebviewMessage(m).ok, `the webview posted an invalid message: ${JSON.stringify(m).slice(0, 200)}`);
}

describe('Attention Maps webview (headless Chromium, real runs)', () => {
  let browser: Browser;
  let workspace: string;
  let abmil: HostRun;
  let aem: HostRun;

  before(async () => {
    mkdirSync(outDir, { recursive: true });
    workspace = mkdtempSync(path.join(os.tmpdir(), 'aem-maps-ui-'));
    const a = await trainSynthetic(workspace, { lambda: 0, seed: 0, ...training });
    const b = await trainSynthetic(workspace, { lambda: 0.1, seed: 0, ...training });
    abmil = { runId: 'abmil-s0', title: 'ABMIL · seed 0', maps: new RunMaps(a.dir) };
    aem = { runId: 'aem-s0', title: 'AEM λ=0.1 · seed 0', maps: new RunMaps(b.dir) };
    browser = await launchChromium();
  });
  after(async () => {
    await browser?.close();
    rmSync(workspace, { recursive: true, force: true });
  });

  it('lists the slides wrong and least confident first and draws the first through the viridis LUT', async () => {
    const w = await openMapsView(browser, [abmil], { theme: 'dark' });
    const posted = await w.posted();
    assert.deepEqual(posted[0], { type: 'ready', v: 1 });
    await w.send(initMessage([abmil]));
    const d = await settled(w);
    const expected = [...abmil.maps.list('best').slides].sort(errorsFirst).map((r) => r.slideId);
    assert.deepEqual(d.slides, expected);
    assert.equal(d.selected, expected[0]);
    const pane = d.panes[0];
    assert.ok(pane && pane.slideId === expected[0]);
    assert.equal(pane.patchSource, 'attribute');
    assert.equal(pane.patchSize, 256);
    const slide = await abmil.maps.slide('best', expected[0] as string);
    assert.equal(pane.n, slide.n);
    // The top-k list is the data layer's, and the top patch is drawn in the LUT's last colour (raw scale: t = 1).
    const top = topPatches(slide.attention, 20);
    assert.deepEqual(pane.topk.map((t) => t.index), top.map((t) => t.index));
    pane.topk.forEach((t, i) => assert.ok(Math.abs(t.cumulative - (top[i]?.cumulative ?? NaN)) < 1e-9));
    const lut = viridisLut();
    const topIndex = top[0]?.index as number;
    assert.deepEqual(await w.pixelAt(0, topIndex), [lut[255 * 4], lut[255 * 4 + 1], lut[255 * 4 + 2]]);
    // The least attended patch is darker than the most attended one.
    const least = top.length > 0 ? Array.from(slide.attention).indexOf(Math.min(...slide.attention)) : 0;
    const dark = await w.pixelAt(0, least);
    assert.ok(dark && dark[1] < (lut[255 * 4 + 1] as number));
    assert.match(pane.message, /patch 256 px \(h5 patch_size, level 0\)/);
    await w.page.screenshot({ path: path.join(outDir, 'single-dark.png') });
    await assertClean(w);
    await w.page.context().close();
  });

  it('moves through the list with the keyboard and draws each slide', async () => {
    const w = await openMapsView(browser, [abmil]);
    await w.send(initMessage([abmil]));
    const first = await settled(w);
    await w.page.locator('.slide-list').focus();
    await w.page.keyboard.press('ArrowDown');
    let d = await settled(w, first.slides[1]);
    assert.equal(d.panes[0]?.slideId, first.slides[1]);
    await w.page.keyboard.press('End');
    d = await settled(w, first.slides[first.slides.length - 1]);
    assert.equal(d.selected, first.slides[first.slides.length - 1]);
    await w.page.keyboard.press('Home');
    d = await settled(w, first.slides[0]);
    assert.equal(await w.page.locator('tr[aria-selected="true"]').getAttribute('data-slide'), first.slides[0]);
    // Sorting by slide id (click the header), then reversing it.
    await w.page.locator('button.sort[data-key="slideId"]').click();
    d = await settled(w);
    assert.deepEqual(d.slides, [...first.slides].sort((a, b) => a.localeCompare(b)));
    await w.page.locator('button.sort[data-key="slideId"]').click();
    d = await settled(w);
    assert.deepEqual(d.slides, [...first.slides].sort((a, b) => b.localeCompare(a)));
    await assertClean(w);
    await w.page.context().close();
  });

  it('reads out the patch under the pointer, and a top-k click centres the map on its patch', async () => {
    const w = await openMapsView(browser, [abmil]);
    await w.send(initMessage([abmil]));
    const d = await settled(w);
    const slide = await abmil.maps.slide('best', d.selected as string);
    const top = d.panes[0]?.topk ?? [];
    const t0 = top[0];
    assert.ok(t0 && slide.coords);
    const at = await w.clientPointOf(0, t0.index);
    assert.ok(at);
    await w.page.mouse.move(at[0], at[1]);
    await w.page.waitForTimeout(30);
    const readout = (await w.describe()).readout;
    assert.match(readout, new RegExp(`x ${slide.coords[2 * t0.index]}, y ${slide.coords[2 * t0.index + 1]} · attention ${t0.attention.toPrecision(4)} · rank 1 of ${slide.n}`));
    const third = top[2];
    assert.ok(third);
    await w.page.locator(`.topk-item[data-instance="${third.index}"]`).click();
    const after = await w.describe();
    assert.ok(after.zoom >= 4, `zoomed in to ${after.zoom}`);
    const cell = [Math.round((slide.coords[2 * third.index] as number) / 256), Math.round((slide.coords[2 * third.index + 1] as number) / 256)];
    const origin = [Math.min(...Array.from({ length: slide.n }, (_, i) => slide.coords?.[2 * i] as number)) / 256, Math.min(...Array.from({ length: slide.n }, (_, i) => slide.coords?.[2 * i + 1] as number)) / 256];
    assert.deepEqual(after.centre, [(cell[0] as number) - (origin[0] as number) + 0.5, (cell[1] as number) - (origin[1] as number) + 0.5]);
    // The centred patch now sits in the middle of the canvas.
    const centre = await w.clientPointOf(0, third.index);
    const box = await w.page.locator('.map-canvas').first().boundingBox();
    assert.ok(centre && box);
    assert.ok(Math.abs(centre[0] - (box.x + box.width / 2)) < 2 && Math.abs(centre[1] - (box.y + box.height / 2)) < 2);
    await assertClean(w);
    await w.page.context().close();
  });

  it('shows two runs side by side with one zoom and pan, and exports CSV and PNG', async () => {
    const w = await openMapsView(browser, [abmil, aem], { theme: 'light' });
    await w.send(initMessage([abmil, aem]));
    let d = await settled(w);
    assert.deepEqual(d.panes.map((p) => p.runId), ['abmil-s0', 'aem-s0']);
    assert.ok(d.panes.every((p) => p.slideId === d.selected));
    // Zooming one pane zooms both: the same patch lands on the same place of both canvases.
    const box = await w.page.locator('.map-canvas').first().boundingBox();
    assert.ok(box);
    await w.page.mouse.move(box.x + box.width / 3, box.y + box.height / 3);
    await w.page.mouse.wheel(0, -600);
    await w.page.waitForTimeout(50);
    d = await w.describe();
    assert.ok(d.zoom > 1);
    const top = d.panes[0]?.topk[0];
    assert.ok(top);
    const left = await w.clientPointOf(0, top.index);
    const right = await w.clientPointOf(1, top.index);
    const boxes = await w.page.locator('.map-canvas').evaluateAll((els) => els.map((e) => e.getBoundingClientRect().left));
    assert.ok(left && right);
    assert.ok(Math.abs(left[0] - (boxes[0] as number) - (right[0] - (boxes[1] as number))) < 1 && Math.abs(left[1] - right[1]) < 1, 'both panes place the patch alike');
    // The readout names both runs.
    await w.page.mouse.move(left[0], left[1]);
    await w.page.waitForTimeout(30);
    assert.match((await w.describe()).readout, /ABMIL · seed 0: .*rank \d+ .*\|.*AEM λ=0\.1 · seed 0: .*rank \d+/);
    await w.page.locator('vscode-button.export-csv').click();
    await w.page.locator('vscode-button.export-png').click();
    const posted = await w.posted();
    const csv = posted.find((m) => (m as { type?: string }).type === 'saveCsv') as { fileName: string; content: string } | undefined;
    assert.ok(csv);
    const lines = csv.content.trim().split('\n');
    assert.equal(lines[0], 'run,slide_id,instance,x,y,attention,rank');
    assert.equal(lines.length - 1, 2 * (d.panes[0]?.n ?? 0));
    assert.match(csv.fileName, /^attention-.*-best\.csv$/);
    const png = posted.find((m) => (m as { type?: string }).type === 'savePng') as { content: string } | undefined;
    assert.ok(png?.content.startsWith('data:image/png;base64,'));
    await w.page.locator('.map-canvas').first().focus();
    await w.page.keyboard.press('0');
    await w.page.mouse.move(0, 0);
    await w.page.waitForTimeout(50);
    await w.page.screenshot({ path: path.join(outDir, 'side-by-side-light.png') });
    if (updateMedia) copyFileSync(path.join(outDir, 'side-by-side-light.png'), path.join(repoRoot, 'media', 'screenshots', '06-attention-maps.png'));
    await assertClean(w);
    await w.page.context().close();
  });

  it('lays a run without coordinates out by instance index and still lists the top patches', async () => {
    const w = await openMapsView(browser, [abmil], { transform: (m) => ({ ...m, coords: null, patchSource: 'index', patchSize: 1, patchLevel: null, patchNote: null }) });
    await w.send(initMessage([abmil]));
    const d = await settled(w);
    const pane = d.panes[0];
    assert.ok(pane);
    assert.match(pane.message, /no patch coordinates: \d+ patches laid out by instance index/);
    assert.equal(pane.topk.length, Math.min(20, pane.n));
    assert.match(await w.page.locator('.topk-item').first().innerText(), /^1\. #\d+/);
    await assertClean(w);
    await w.page.context().close();
  });

  it('says so on the map when the h5 patch size could not be read', async () => {
    const note = '/data/h5_files/s.h5: cannot open as HDF5 (file signature not found). The patch_size of coords could not be read, so the patch size is the spacing of the coordinates.';
    const w = await openMapsView(browser, [abmil], { transform: (m) => ({ ...m, patchSource: 'spacing', patchLevel: null, patchNote: note }) });
    await w.send(initMessage([abmil]));
    const d = await settled(w);
    assert.ok(d.panes[0]?.message.includes(`(coordinate spacing). ${note}`), d.panes[0]?.message);
    await assertClean(w);
    await w.page.context().close();
  });

  it('keeps its settings in the webview state and restores them', async () => {
    const w = await openMapsView(browser, [abmil]);
    await w.send(initMessage([abmil]));
    const d = await settled(w);
    await w.page.locator('vscode-single-select.scale').evaluate((el) => {
      (el as unknown as { value: string }).value = 'percentile';
      el.dispatchEvent(new Event('change'));
    });
    await w.page.locator('.slide-list').focus();
    await w.page.keyboard.press('ArrowDown');
    await settled(w, d.slides[1]);
    const state = await w.savedState();
    assert.equal((state as { scale: string }).scale, 'percentile');
    // What the extension's panel serializer reads after a VS Code reload to reopen the same runs.
    assert.deepEqual(parseRestoredState(state), { ok: true, value: { runIds: [abmil.runId] } });
    await w.page.context().close();
    const again = await openMapsView(browser, [abmil], { state });
    await again.send(initMessage([abmil]));
    const restored = await settled(again);
    assert.equal(restored.selected, d.slides[1]);
    assert.equal(restored.scale, 'percentile');
    await assertClean(again);
    await again.page.context().close();
  });
});
