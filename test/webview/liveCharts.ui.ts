// The Live Charts webview bundle in headless Chromium, outside VS Code, fed the recorded event stream of
// a real engine run (test/fixtures/liveCharts/events.jsonl): the charts' data after each event, the
// top-k epoch slider, smoothing, two runs overlaid with one colour each and the legend toggling one,
// CSV and PNG export, state kept across a reload, light/dark/high-contrast screenshots under
// test-output/liveCharts/, and no CSP violation or page error anywhere.
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Browser } from 'playwright-core';
import { smoothSeries } from '../../src/liveCharts/ema.js';
import { parseWebviewMessage, type ChartEpoch, type HostMessage } from '../../src/protocol/liveCharts.js';
import { repoRoot } from '../vscode/harness/tools.js';
import { hostMessageFor, launchChromium, openWebview, recordedRuns, type PanelDescription, type RecordedRun, type WebviewPage } from './liveChartsPage.js';

const outDir = path.join(repoRoot, 'test-output', 'liveCharts');
const runs = recordedRuns();
const [abmil, , aem] = runs; // lambda0-s0, lambda0-s1, lambda0.1-s0, lambda0.1-s1 in the order they started

function run(r: RecordedRun | undefined): RecordedRun {
  assert.ok(r, 'the recording has fewer runs than the test expects');
  return r;
}

function init(): HostMessage {
  return { type: 'init', v: 1, smoothing: 0, runs: runs.map((r) => r.info) };
}

function snapshotOf(r: RecordedRun, state: 'running' | 'done' = 'done'): HostMessage {
  const best = r.events.reduce<number | null>((b, e) => (e.type === 'epoch' ? e.bestEpoch : b), null);
  return { type: 'snapshot', run: { ...r.info, state, epochsDone: r.epochs.length }, epochs: r.epochs, bestEpoch: best, progress: null };
}

function seriesOf(d: PanelDescription, chart: string, runId: string, series: string) {
  const found = d.charts[chart]?.find((s) => s.runId === runId && s.series === series);
  assert.ok(found, `no ${series} dataset of ${runId} in the ${chart} chart`);
  return found;
}

async function waitForPosted(w: WebviewPage, type: string, count = 1): Promise<unknown[]> {
  for (let i = 0; i < 100; i++) {
    const found = (await w.posted()).filter((m) => (m as { type?: string }).type === type);
    if (found.length >= count) return found;
    await w.page.waitForTimeout(20);
  }
  assert.fail(`the webview never posted ${count} "${type}" message(s)`);
}

async function assertClean(w: WebviewPage): Promise<void> {
  assert.deepEqual(await w.cspViolations(), [], 'the strict CSP blocked something');
  assert.deepEqual(w.errors, [], 'the page logged errors');
  for (const m of await w.posted()) assert.ok(parseWebviewMessage(m).ok, `the webview posted an invalid message: ${JSON.stringify(m).slice(0, 200)}`);
}

async function setRange(w: WebviewPage, selector: string, value: number): Promise<void> {
  await w.page.locator(selector).evaluate((el, v) => {
    const input = el as HTMLInputElement;
    input.value = String(v);
    input.dispatchEvent(new Event('input', { bubbles: true }));
  }, value);
}

describe('Live Charts webview (headless Chromium, recorded real run)', () => {
  let browser: Browser;

  before(async () => {
    mkdirSync(outDir, { recursive: true });
    browser = await launchChromium();
  });
  after(async () => {
    await browser?.close();
  });

  it('says ready, then draws each epoch of the recorded run as its event arrives', async () => {
    const w = await openWebview(browser, { theme: 'dark' });
    const [ready] = await waitForPosted(w, 'ready');
    assert.deepEqual(ready, { type: 'ready', v: 1, selected: [] });
    await w.send(init());
    const r = run(abmil);
    await w.send({ type: 'show', runIds: [r.info.runId] });
    const [select] = await waitForPosted(w, 'select');
    assert.deepEqual(select, { type: 'select', runIds: [r.info.runId] });
    await w.send({ type: 'snapshot', run: r.info, epochs: [], bestEpoch: null, progress: null });
    assert.equal((await w.describe()).epochs, 0);
    assert.equal(await w.page.getAttribute('#aem-live-charts', 'data-aem-epochs'), '0');

    let drawn = 0;
    let sawProgress = false;
    for (const event of r.events) {
      const message = hostMessageFor(event);
      if (!message) continue;
      await w.send(message);
      const d = await w.describe();
      if (event.type === 'progress') {
        sawProgress = true;
        assert.match(d.header[0] ?? '', new RegExp(`${event.bagsPerSecond.toFixed(1)} bags/s`));
        assert.match(d.header[0] ?? '', /ETA \d+s/);
        continue;
      }
      if (event.type === 'run-finished') {
        assert.match(d.header[0] ?? '', /done/);
        continue;
      }
      if (event.type !== 'epoch') continue;
      drawn++;
      assert.equal(d.epochs, drawn);
      assert.equal(await w.page.getAttribute('#aem-live-charts', 'data-aem-epochs'), String(drawn));
      const id = r.info.runId;
      const expect: [string, string, number | null][] = [
        ['loss', 'train', event.train.loss],
        ['loss', 'val', event.val.loss],
        ['loss', 'test', event.test.loss],
        ['auroc', 'val', event.val.auroc],
        ['auroc', 'test', event.test.auroc],
        ['f1', 'test', event.test.f1],
        ['accuracy', 'val', event.val.accuracy],
        ['entropy', 'test', event.test.entropy],
        ['entropy', 'lambda', event.train.lambda],
      ];
      for (const [chart, series, value] of expect) {
        const points = seriesOf(d, chart, id, series).points;
        assert.equal(points.length, drawn, `${chart}/${series} after epoch ${drawn}`);
        assert.deepEqual(points[drawn - 1], [drawn, value], `${chart}/${series} point of epoch ${drawn}`);
        const axes = d.axes[chart] ?? {};
        const [xMin, xMax] = axes.x ?? [NaN, NaN];
        assert.ok(xMin <= 1 && xMax >= drawn, `${chart}: x axis ${xMin}..${xMax} does not show epochs 1..${drawn}`);
        const [yMin, yMax] = axes[series === 'lambda' ? 'y2' : 'y'] ?? [NaN, NaN];
        for (const [, y] of points) if (y !== null) assert.ok(y >= yMin && y <= yMax, `${chart}/${series}: ${y} is outside the drawn ${yMin}..${yMax}`);
      }
      const current = d.topk.find((c) => c.runId === id && c.role === 'current');
      assert.equal(current?.epoch, drawn);
      assert.deepEqual(
        current?.points.map(([k]) => k),
        event.test.topk.map((_, i) => i + 1),
      );
      current?.points.forEach(([, y], i) => assert.ok(Math.abs((y ?? NaN) - (event.test.topk[i] as number)) < 1e-6, `top-k value at k=${i + 1}`));
      assert.ok(d.topk.filter((c) => c.runId === id && c.role === 'faded').length <= 3);
      assert.deepEqual(d.axes.topk?.x, [1, 20]);
      assert.match(d.header[0] ?? '', new RegExp(`epoch ${drawn}/${event.epochs}`));
      assert.match(d.header[0] ?? '', new RegExp(`best epoch ${event.bestEpoch + 1}`));
      assert.match(d.header[0] ?? '', /wasm/);
      assert.equal(d.slider.max, drawn);
    }
    assert.equal(drawn, 6);
    assert.ok(sawProgress);
    await w.page.screenshot({ path: path.join(outDir, 'one-run-dark.png'), fullPage: true });
    await assertClean(w);
    await w.page.context().close();
  });

  it('the epoch slider picks the top-k curve of an earlier epoch, with earlier epochs fading behind it', async () => {
    const w = await openWebview(browser, { theme: 'light' });
    await waitForPosted(w, 'ready');
    const r = run(abmil);
    await w.sendAll([init(), { type: 'show', runIds: [r.info.runId] }, snapshotOf(r)]);
    let d = await w.describe();
    assert.deepEqual([d.slider.min, d.slider.max, d.slider.value], [1, 6, 6]);
    assert.equal(d.slider.label, '6/6 (latest)');
    await setRange(w, 'input.topk-epoch', 3);
    d = await w.describe();
    const curves = d.topk.filter((c) => c.runId === r.info.runId);
    const current = curves.find((c) => c.role === 'current');
    assert.equal(current?.epoch, 3);
    const third = r.epochs[2] as ChartEpoch;
    current?.points.forEach(([, y], i) => assert.ok(Math.abs((y ?? NaN) - (third.testTopk[i] as number)) < 1e-6));
    assert.deepEqual(
      curves.filter((c) => c.role === 'faded').map((c) => c.epoch),
      [1, 2],
    );
    assert.equal(d.slider.label, '3/6');
    assert.equal(d.topkEpoch, 3);
    assert.equal((await w.savedState() as { topkEpoch: number }).topkEpoch, 3);
    // A new epoch does not move a pinned slider.
    await w.send({ type: 'epoch', runId: r.info.runId, point: { ...(r.epochs[5] as ChartEpoch), epoch: 6 }, bestEpoch: 1 });
    d = await w.describe();
    assert.equal(d.topk.find((c) => c.role === 'current')?.epoch, 3);
    assert.equal(d.slider.max, 7);
    await setRange(w, 'input.topk-epoch', 7);
    d = await w.describe();
    assert.equal(d.topkEpoch, null, 'the last position follows the latest epoch again');
    assert.equal(d.topk.find((c) => c.role === 'current')?.epoch, 7);
    await assertClean(w);
    await w.page.context().close();
  });

  it('smooths with the debiased EMA and switches entropy to normalised units', async () => {
    const w = await openWebview(browser, { theme: 'dark' });
    await waitForPosted(w, 'ready');
    const r = run(abmil);
    await w.sendAll([init(), { type: 'show', runIds: [r.info.runId] }, snapshotOf(r)]);
    await setRange(w, 'input.smoothing', 0.6);
    let d = await w.describe();
    assert.equal(d.smoothing, 0.6);
    const expected = smoothSeries(
      r.epochs.map((e) => e.test.loss),
      0.6,
    );
    seriesOf(d, 'loss', r.info.runId, 'test').points.forEach(([, y], i) => assert.ok(Math.abs((y ?? NaN) - (expected[i] as number)) < 1e-12));
    assert.deepEqual(
      seriesOf(d, 'entropy', r.info.runId, 'lambda').points.map(([, y]) => y),
      r.epochs.map((e) => e.lambda),
      'λ is never smoothed',
    );
    await setRange(w, 'input.smoothing', 0);
    await w.page.locator('vscode-checkbox.normalised').click();
    d = await w.describe();
    assert.equal(d.normalisedEntropy, true);
    assert.deepEqual(
      seriesOf(d, 'entropy', r.info.runId, 'test').points.map(([, y]) => y),
      r.epochs.map((e) => e.test.entropyNormalised),
    );
    await assertClean(w);
    await w.page.context().close();
  });

  it('overlays ABMIL and AEM of one seed, one colour per run on every chart; the legend toggles a run; light and dark screenshots', async () => {
    const w = await openWebview(browser, { theme: 'light', width: 960 });
    await waitForPosted(w, 'ready');
    const a = run(abmil);
    const b = run(aem);
    assert.equal(a.info.seed, b.info.seed);
    await w.sendAll([init(), { type: 'show', runIds: [a.info.runId, b.info.runId] }]);
    const [select] = await waitForPosted(w, 'select');
    assert.deepEqual(select, { type: 'select', runIds: [a.info.runId, b.info.runId] });
    await w.sendAll([snapshotOf(a), snapshotOf(b)]);
    let d = await w.describe();
    const colourA = d.colours[a.info.runId];
    const colourB = d.colours[b.info.runId];
    assert.ok(colourA && colourB && colourA !== colourB, 'the runs share a colour');
    for (const [chart, datasets] of Object.entries(d.charts)) {
      for (const id of [a.info.runId, b.info.runId]) {
        const mine = datasets.filter((s) => s.runId === id);
        assert.ok(mine.length >= 2, `${chart} has no datasets of ${id}`);
        for (const s of mine) assert.equal(s.colour, d.colours[id], `${chart}/${s.series} of ${id} is not in its run's colour`);
        for (const s of mine) assert.equal(s.points.length, 6);
      }
    }
    assert.equal(d.header.length, 2);
    const picked = await w.page.locator('vscode-multi-select.run-picker').evaluate(async (el) => {
      await (el as unknown as { updateComplete: Promise<unknown> }).updateComplete;
      return (el as unknown as { value: string[] }).value;
    });
    assert.deepEqual(picked, [a.info.runId, b.info.runId], 'the run picker does not show the runs on the charts');

    // The readout under the pointer lists each run's values at the nearest epoch.
    const box = await w.page.locator('section.card[data-chart="loss"] canvas').boundingBox();
    assert.ok(box);
    await w.page.mouse.move(box.x + box.width * 0.6, box.y + box.height * 0.5);
    const readout = w.page.locator('section.card[data-chart="loss"] .hover-readout');
    await readout.waitFor({ state: 'visible' });
    const text = await readout.innerText();
    const n = Number(/^epoch (\d+)/.exec(text)?.[1]);
    assert.ok(n >= 1 && n <= 6, text);
    assert.ok(text.includes(`${a.info.title} · test loss: ${(a.epochs[n - 1] as ChartEpoch).test.loss.toPrecision(4)}`), text);
    assert.ok(text.includes(`${b.info.title} · val loss: ${(b.epochs[n - 1] as ChartEpoch).val.loss.toPrecision(4)}`), text);
    await w.page.screenshot({ path: path.join(outDir, 'overlay-light.png'), fullPage: true });
    await w.page.mouse.move(0, 0);

    await w.page.locator(`.run-row[data-run-id="${b.info.runId}"] .run-toggle`).click();
    d = await w.describe();
    assert.deepEqual(d.hidden, [b.info.runId]);
    for (const datasets of Object.values(d.charts)) {
      for (const s of datasets) assert.equal(s.hidden, s.runId === b.info.runId);
    }
    for (const c of d.topk) assert.equal(c.hidden, c.runId === b.info.runId);
    await w.page.locator(`.run-row[data-run-id="${b.info.runId}"] .run-toggle`).click();
    d = await w.describe();
    assert.deepEqual(d.hidden, []);

    await w.setTheme('dark');
    d = await w.describe();
    assert.notEqual(d.colours[a.info.runId], colourA, 'the charts did not take the dark theme colours');
    for (const s of d.charts.loss ?? []) assert.equal(s.colour, d.colours[s.runId]);
    await w.page.screenshot({ path: path.join(outDir, 'overlay-dark.png'), fullPage: true });
    // As wide as a narrow side bar: one chart per row, nothing wider than the panel.
    await w.page.setViewportSize({ width: 280, height: 1900 });
    await w.page.waitForTimeout(100);
    d = await w.describe();
    assert.equal(d.axes.loss?.x?.[1], 6, 'the charts did not follow the narrower panel');
    const overflow = await w.page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    assert.equal(overflow, 0, 'the panel is wider than the side bar');
    await w.page.screenshot({ path: path.join(outDir, 'overlay-dark-sidebar.png'), fullPage: true });
    await w.setTheme('high-contrast');
    await w.page.screenshot({ path: path.join(outDir, 'overlay-high-contrast.png'), fullPage: true });
    await assertClean(w);
    await w.page.context().close();
  });

  it('exports the data as CSV and a chart as PNG through messages the host accepts', async () => {
    const w = await openWebview(browser, { theme: 'dark' });
    await waitForPosted(w, 'ready');
    const a = run(abmil);
    const b = run(aem);
    await w.sendAll([init(), { type: 'show', runIds: [a.info.runId, b.info.runId] }, snapshotOf(a), snapshotOf(b)]);
    await w.page.locator('vscode-button.export-csv').click();
    const [csvMessage] = await waitForPosted(w, 'saveCsv');
    const csv = parseWebviewMessage(csvMessage);
    assert.ok(csv.ok && csv.value.type === 'saveCsv');
    assert.equal(csv.value.fileName, 'live-charts-live-fixture.csv');
    const lines = csv.value.content.trim().split('\n');
    const header = (lines[0] ?? '').split(',');
    assert.equal(lines.length, 1 + 12);
    const row = (lines[1 + 6 + 2] ?? '').split(','); // AEM, epoch 3
    const cell = (name: string) => row[header.indexOf(name)];
    const third = b.epochs[2] as ChartEpoch;
    assert.equal(cell('run'), b.info.runId);
    assert.equal(cell('epoch'), '3');
    assert.equal(Number(cell('test_loss')), third.test.loss);
    assert.equal(Number(cell('val_auroc')), third.val.auroc);
    assert.equal(Number(cell('lambda')), third.lambda);
    assert.ok(Math.abs(Number(cell('test_top20')) - (third.testTopk[19] as number)) < 1e-6);

    await w.page.locator('section.card[data-chart="loss"] vscode-button.export-png').click();
    const [pngMessage] = await waitForPosted(w, 'savePng');
    const png = parseWebviewMessage(pngMessage);
    assert.ok(png.ok && png.value.type === 'savePng');
    assert.equal(png.value.fileName, 'loss-live-fixture.png');
    const bytes = Buffer.from(png.value.content.slice('data:image/png;base64,'.length), 'base64');
    assert.deepEqual([...bytes.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
    assert.ok(bytes.readUInt32BE(16) > 100 && bytes.readUInt32BE(20) > 100, 'the PNG is not the chart');
    await assertClean(w);
    await w.page.context().close();
  });

  it('keeps its state across a reload and asks the host for the same runs again', async () => {
    const first = await openWebview(browser, { theme: 'dark' });
    await waitForPosted(first, 'ready');
    const a = run(abmil);
    const b = run(aem);
    await first.sendAll([init(), { type: 'show', runIds: [a.info.runId, b.info.runId] }, snapshotOf(a), snapshotOf(b)]);
    await setRange(first, 'input.smoothing', 0.3);
    await first.page.locator(`.run-row[data-run-id="${a.info.runId}"] .run-toggle`).click();
    const state = await first.savedState();
    await first.page.context().close();

    const second = await openWebview(browser, { theme: 'dark', state });
    const [ready] = await waitForPosted(second, 'ready');
    assert.deepEqual(ready, { type: 'ready', v: 1, selected: [a.info.runId, b.info.runId] });
    await second.sendAll([{ ...init(), smoothing: 0 } as HostMessage, snapshotOf(a, 'running'), snapshotOf(b, 'running')]);
    const d = await second.describe();
    assert.equal(d.smoothing, 0.3, 'the panel setting wins over the initial setting');
    assert.deepEqual(d.hidden, [a.info.runId]);
    assert.equal(d.epochs, 6);
    assert.equal(seriesOf(d, 'loss', b.info.runId, 'test').points.length, 6);
    await assertClean(second);
    await second.page.context().close();
  });

  it('ignores messages that do not follow the protocol', async () => {
    const w = await openWebview(browser, { theme: 'dark' });
    await waitForPosted(w, 'ready');
    const r = run(abmil);
    await w.sendAll([init(), { type: 'show', runIds: [r.info.runId] }, snapshotOf(r)]);
    await w.page.evaluate((id) => {
      window.dispatchEvent(new MessageEvent('message', { data: { type: 'epoch', runId: id, point: { epoch: 'x' }, bestEpoch: 0 } }));
      window.dispatchEvent(new MessageEvent('message', { data: 'garbage' }));
    }, r.info.runId);
    assert.equal((await w.describe()).epochs, 6);
    assert.equal(w.errors.filter((e) => !e.startsWith('console')).length, 0);
    await w.page.context().close();
  });
  it('draws a model\'s own loss terms in the loss chart, one dash-dot line each, from the first epoch that has them', async () => {
    const w = await openWebview(browser, { theme: 'light' });
    await waitForPosted(w, 'ready');
    await w.send(init());
    const r = run(abmil);
    const id = r.info.runId;
    await w.send({ type: 'show', runIds: [id] });
    await waitForPosted(w, 'select');
    const withTerms = (e: ChartEpoch, i: number): ChartEpoch => ({ ...e, testTerms: { instance: 0.5 / (i + 1), diversity: 0.1 } });
    const [first, second, third] = r.epochs;
    assert.ok(first && second && third);
    // Two epochs without terms, then one with them: the chart grows the lines when they first come.
    await w.send({ type: 'snapshot', run: { ...r.info, state: 'running', epochsDone: 2 }, epochs: [first, second], bestEpoch: 0, progress: null });
    let d = await w.describe();
    assert.equal(d.charts.loss?.filter((s) => s.series.startsWith('term:')).length, 0);
    await w.send({ type: 'epoch', runId: id, point: withTerms(third, 2), bestEpoch: 0 });
    d = await w.describe();
    assert.deepEqual(seriesOf(d, 'loss', id, 'term:instance').points, [[1, null], [2, null], [3, 0.5 / 3]]);
    assert.deepEqual(seriesOf(d, 'loss', id, 'term:diversity').points.at(-1), [3, 0.1]);
    assert.deepEqual(seriesOf(d, 'loss', id, 'test').points.at(-1), [3, third.test.loss], 'the loss lines stay');
    await assertClean(w);
    await w.page.context().close();
  });
});
