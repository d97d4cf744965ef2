// The Live Charts webview's head toggles, in headless Chromium, on the recorded event stream of a real
// four-head MHA run (test/fixtures/liveCharts/mha-events.jsonl): the entropy and top-k charts draw the
// mean over heads; a head's checkbox adds that head's line to both (its values from the run's perHead
// metrics) and removes it again; the choice survives a reload through the webview state; a single-head
// run shows no toggles. No CSP violation, page error or invalid message anywhere.
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Browser } from 'playwright-core';
import { recordedEvents } from '../helpers/recordedRun.js';
import { parseWebviewMessage, type ChartEpoch, type HostMessage } from '../../src/protocol/liveCharts.js';
import { repoRoot } from '../vscode/harness/tools.js';
import { launchChromium, openWebview, recordedRuns, type PanelDescription, type RecordedRun, type WebviewPage } from './liveChartsPage.js';

const outDir = path.join(repoRoot, 'test-output', 'liveCharts');
const mha = recordedRuns(recordedEvents('mha-events.jsonl'))[0];
const abmil = recordedRuns()[0];

function run(r: RecordedRun | undefined): RecordedRun {
  assert.ok(r, 'the recording has no run');
  return r;
}

function init(runs: RecordedRun[]): HostMessage {
  return { type: 'init', v: 1, smoothing: 0, runs: runs.map((r) => r.info) };
}

function snapshotOf(r: RecordedRun): HostMessage {
  const best = r.events.reduce<number | null>((b, e) => (e.type === 'epoch' ? e.bestEpoch : b), null);
  return { type: 'snapshot', run: { ...r.info, state: 'done', epochsDone: r.epochs.length }, epochs: r.epochs, bestEpoch: best, progress: null };
}

async function waitForPosted(w: WebviewPage, type: string): Promise<void> {
  for (let i = 0; i < 100; i++) {
    if ((await w.posted()).some((m) => (m as { type?: string }).type === type)) return;
    await w.page.waitForTimeout(20);
  }
  assert.fail(`the webview never posted "${type}"`);
}

async function assertClean(w: WebviewPage): Promise<void> {
  assert.deepEqual(await w.cspViolations(), [], 'the strict CSP blocked something');
  assert.deepEqual(w.errors, [], 'the page logged errors');
  for (const m of await w.posted()) assert.ok(parseWebviewMessage(m).ok, `the webview posted an invalid message: ${JSON.stringify(m).slice(0, 200)}`);
}

const entropyLines = (d: PanelDescription, runId: string) => (d.charts.entropy ?? []).filter((s) => s.runId === runId).map((s) => s.series);
/** The epoch's per-head metrics (the recording has them at every epoch). */
const perHeadOf = (e: ChartEpoch) => {
  const p = e.testPerHead;
  assert.ok(p, `epoch ${e.epoch + 1} has no perHead`);
  return p;
};

async function toggle(w: WebviewPage, head: number): Promise<void> {
  await w.page.locator(`vscode-checkbox.head-toggle[data-head="${head}"]`).click();
}

describe('Live Charts head toggles (headless Chromium, recorded four-head MHA run)', () => {
  let browser: Browser;

  before(async () => {
    mkdirSync(outDir, { recursive: true });
    browser = await launchChromium();
  });
  after(async () => {
    await browser?.close();
  });

  it('draws the mean over heads; a head toggle adds and removes that head\'s line on the entropy and top-k charts', async () => {
    const r = run(mha);
    const id = r.info.runId;
    const last = r.epochs.at(-1) as ChartEpoch;
    assert.equal(r.epochs.length, 4);
    const w = await openWebview(browser, { theme: 'dark' });
    await waitForPosted(w, 'ready');
    await w.sendAll([init([r]), { type: 'show', runIds: [id] }, snapshotOf(r)]);
    let d = await w.describe();
    assert.deepEqual(
      d.headToggles.map((t) => [t.label, t.checked]),
      [
        ['head 1', false],
        ['head 2', false],
        ['head 3', false],
        ['head 4', false],
      ],
    );
    assert.deepEqual(entropyLines(d, id), ['test', 'lambda'], 'only the mean over heads before any toggle');
    assert.deepEqual(
      d.charts.entropy?.find((s) => s.series === 'test')?.points.map(([, y]) => y),
      r.epochs.map((e) => e.test.entropy),
    );
    assert.equal(d.topk.filter((c) => c.role === 'head').length, 0);

    await toggle(w, 2);
    d = await w.describe();
    assert.deepEqual(d.heads, [2]);
    assert.deepEqual(entropyLines(d, id), ['test', 'lambda', 'head:2'], 'the toggle added head 3\'s line');
    const head = d.charts.entropy?.find((s) => s.series === 'head:2');
    assert.deepEqual(
      head?.points,
      r.epochs.map((e) => [e.epoch + 1, perHeadOf(e).entropy[2]]),
    );
    assert.notEqual(head?.colour, d.colours[id], 'a head\'s line is fainter than the mean');
    assert.match(head?.colour ?? '', /^rgba\(/);
    const curves = d.topk.filter((c) => c.role === 'head');
    assert.equal(curves.length, 1);
    assert.equal(curves[0]?.head, 2);
    assert.equal(curves[0]?.epoch, 4, 'the head curve is of the chosen (latest) epoch');
    assert.deepEqual(
      curves[0]?.points,
      perHeadOf(last).topkKs.map((k, i) => [k, perHeadOf(last).topk[2]?.[i]]),
    );
    const mean = d.topk.find((c) => c.role === 'current');
    assert.ok(mean && mean.points.some(([, y], i) => Math.abs((y ?? 0) - (curves[0]?.points[i]?.[1] ?? 0)) > 1e-9), 'the head curve is not the mean curve');

    // Normalised units switch the head line too.
    await w.page.locator('vscode-checkbox.normalised').click();
    d = await w.describe();
    assert.deepEqual(
      d.charts.entropy?.find((s) => s.series === 'head:2')?.points.map(([, y]) => y),
      r.epochs.map((e) => perHeadOf(e).entropyNormalised[2]),
    );

    await toggle(w, 0);
    d = await w.describe();
    assert.deepEqual(d.heads, [0, 2]);
    assert.deepEqual(entropyLines(d, id), ['test', 'lambda', 'head:0', 'head:2']);
    assert.deepEqual(
      d.topk.filter((c) => c.role === 'head').map((c) => c.head),
      [0, 2],
    );
    await w.page.screenshot({ path: path.join(outDir, 'heads-dark.png'), fullPage: true });

    // The epoch slider moves the head curves with the mean.
    await w.page.locator('input.topk-epoch').evaluate((el) => {
      const input = el as HTMLInputElement;
      input.value = '2';
      input.dispatchEvent(new Event('input', { bubbles: true }));
    });
    d = await w.describe();
    const second = r.epochs[1] as ChartEpoch;
    assert.deepEqual(
      d.topk.find((c) => c.role === 'head' && c.head === 0)?.points.map(([, y]) => y),
      perHeadOf(second).topk[0],
    );

    await toggle(w, 2);
    await toggle(w, 0);
    d = await w.describe();
    assert.deepEqual(d.heads, []);
    assert.deepEqual(entropyLines(d, id), ['test', 'lambda'], 'the toggles removed the head lines');
    assert.equal(d.topk.filter((c) => c.role === 'head').length, 0);
    await assertClean(w);
    await w.page.context().close();
  });

  it('keeps the toggled heads across a reload; a single-head run has no toggles', async () => {
    const r = run(mha);
    const first = await openWebview(browser, { theme: 'light' });
    await waitForPosted(first, 'ready');
    await first.sendAll([init([r]), { type: 'show', runIds: [r.info.runId] }, snapshotOf(r)]);
    await toggle(first, 1);
    const state = await first.savedState();
    assert.deepEqual((state as { heads: number[] }).heads, [1]);
    await first.page.context().close();

    const second = await openWebview(browser, { theme: 'light', state });
    await waitForPosted(second, 'ready');
    await second.sendAll([init([r]), snapshotOf(r)]);
    let d = await second.describe();
    assert.deepEqual(d.heads, [1]);
    assert.deepEqual(
      d.headToggles.filter((t) => t.checked).map((t) => t.label),
      ['head 2'],
    );
    assert.deepEqual(entropyLines(d, r.info.runId), ['test', 'lambda', 'head:1']);
    assert.deepEqual(
      d.topk.filter((c) => c.role === 'head').map((c) => c.head),
      [1],
    );
    await assertClean(second);
    await second.page.context().close();

    // A state saved before head toggles existed still restores the rest.
    const { heads: _heads, ...older } = state as { heads: number[] };
    const third = await openWebview(browser, { theme: 'light', state: older });
    await waitForPosted(third, 'ready');
    const ready = (await third.posted()).find((m) => (m as { type?: string }).type === 'ready');
    assert.deepEqual((ready as { selected: string[] }).selected, [r.info.runId], 'the older state was read');
    const a = run(abmil);
    await third.sendAll([init([r, a]), { type: 'show', runIds: [a.info.runId] }, snapshotOf(a)]);
    d = await third.describe();
    assert.deepEqual(d.heads, []);
    assert.equal(d.headToggles.length, 0, 'ABMIL has one attention row: no toggles');
    assert.equal(await third.page.locator('.heads-field').isVisible(), false);
    assert.deepEqual(entropyLines(d, a.info.runId), ['test', 'lambda']);
    await assertClean(third);
    await third.page.context().close();
  });
});
