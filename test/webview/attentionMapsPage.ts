// Loads the Attention Maps webview bundle in headless Chromium outside VS Code: the extension's own
// page (strict CSP, nonce) from a fake webview origin, a stand-in acquireVsCodeApi that records posts
// and keeps state, the theme variables of the live-charts page, and a host that answers each
// `requestSlide` from real runs through the real data layer (RunMaps).
import type { Browser, Page } from 'playwright-core';
import { attentionMapsHtml } from '../../src/attentionMaps/html.js';
import { mapRunMessage, slideMapMessage } from '../../src/attentionMaps/messages.js';
import type { RunMaps } from '../../src/attentionMaps/runMaps.js';
import type { HostMessage, MapRun, SlideMapMessage } from '../../src/protocol/attentionMaps.js';
import { BODY_CLASS, ORIGIN, openWebviewPage, type ThemeName } from './liveChartsPage.js';

export interface HostRun {
  runId: string;
  title: string;
  maps: RunMaps;
}

export interface MapsPage {
  page: Page;
  errors: string[];
  posted(): Promise<unknown[]>;
  send(message: HostMessage): Promise<void>;
  /** Answers every requestSlide posted so far that has not been answered (returns how many). */
  serve(): Promise<number>;
  describe(): Promise<MapsDescription>;
  pixelAt(pane: number, instance: number): Promise<[number, number, number] | null>;
  clientPointOf(pane: number, instance: number): Promise<[number, number] | null>;
  cspViolations(): Promise<string[]>;
  savedState(): Promise<unknown>;
  /** Waits until the view has reported this many draws, serving slides meanwhile. */
  waitForDraws(count: number): Promise<MapsDescription>;
}

export interface MapsDescription {
  kind: string;
  scale: string;
  head: string;
  slides: string[];
  selected: string | null;
  zoom: number;
  centre: [number, number] | null;
  readout: string;
  draws: number;
  panes: { runId: string; slideId: string | null; n: number; patchSource: string | null; patchSize: number | null; grid: [number, number] | null; topk: { index: number; attention: number; cumulative: number }[]; message: string; summary: string; lastDrawMs: number }[];
}

export function mapsPageHtml(theme: ThemeName): string {
  const html = attentionMapsHtml({ cspSource: ORIGIN, scriptUri: `${ORIGIN}/media/dist/attentionMaps.js`, styleUri: `${ORIGIN}/media/attentionMaps.css`, nonce: 'bWFwcy10ZXN0LW5vbmNlLTEyMzQ1Ng' });
  return html.replace('<body>', `<body class="${BODY_CLASS[theme]}">`).replace('<link rel="stylesheet"', `<link rel="stylesheet" href="${ORIGIN}/theme.css">\n<link rel="stylesheet"`);
}

export function initMessage(runs: HostRun[], topK = 20): HostMessage & { type: 'init' } {
  const mapRuns: MapRun[] = runs.map((r) => mapRunMessage(r.runId, r.title, r.maps));
  return { type: 'init', v: 1, runs: mapRuns, topK };
}

export async function openMapsView(
  browser: Browser,
  runs: HostRun[],
  options: { theme?: ThemeName; state?: unknown; width?: number; height?: number; transform?: (m: SlideMapMessage) => SlideMapMessage } = {},
): Promise<MapsPage> {
  const { page, errors } = await openWebviewPage(browser, { html: mapsPageHtml(options.theme ?? 'dark'), bundle: 'attentionMaps', readyGlobal: 'aemAttentionMaps', state: options.state, width: options.width ?? 1400, height: options.height ?? 900 });
  const send = async (message: HostMessage) => {
    await page.evaluate((m) => window.dispatchEvent(new MessageEvent('message', { data: m })), message);
  };
  const posted = () => page.evaluate(() => (window as unknown as { __posted: unknown[] }).__posted);
  let answered = 0;
  const serve = async (): Promise<number> => {
    const all = await posted();
    let count = 0;
    const requests = all.filter((m): m is { type: 'requestSlide'; runId: string; kind: 'best' | 'last'; slideId: string } => (m as { type?: string }).type === 'requestSlide');
    for (const r of requests.slice(answered)) {
      const run = runs.find((x) => x.runId === r.runId);
      if (!run) continue;
      try {
        const map = slideMapMessage(r.runId, r.kind, await run.maps.slide(r.kind, r.slideId));
        await send({ type: 'slide', map: options.transform ? options.transform(map) : map });
      } catch (err) {
        await send({ type: 'slideError', runId: r.runId, kind: r.kind, slideId: r.slideId, text: err instanceof Error ? err.message : String(err) });
      }
      count++;
    }
    answered = requests.length;
    return count;
  };
  const describe = () => page.evaluate(() => (window as unknown as { aemAttentionMaps: { describe(): MapsDescription } }).aemAttentionMaps.describe());
  return {
    page,
    errors,
    posted,
    send,
    serve,
    describe,
    pixelAt: (pane, i) => page.evaluate(([p, x]) => (window as unknown as { aemAttentionMaps: { pixelAt(a: number, b: number): [number, number, number] | null } }).aemAttentionMaps.pixelAt(p, x), [pane, i] as const),
    clientPointOf: (pane, i) => page.evaluate(([p, x]) => (window as unknown as { aemAttentionMaps: { clientPointOf(a: number, b: number): [number, number] | null } }).aemAttentionMaps.clientPointOf(p, x), [pane, i] as const),
    cspViolations: () => page.evaluate(() => (window as unknown as { __csp: string[] }).__csp),
    savedState: () => page.evaluate(() => (window as unknown as { __state: () => unknown }).__state()),
    waitForDraws: async (count) => {
      for (let i = 0; i < 200; i++) {
        await serve();
        const d = await describe();
        if (d.draws >= count) return d;
        await page.waitForTimeout(20);
      }
      throw new Error(`the view never reported ${count} draw(s)`);
    },
  };
}
