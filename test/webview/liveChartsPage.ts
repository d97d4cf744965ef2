// Loads the Live Charts webview bundle in headless Chromium outside VS Code: the page is the extension's
// own HTML (same strict CSP and nonce) served from a fake webview origin, with a stand-in for
// acquireVsCodeApi that records what the webview posts and keeps its state, and the VS Code theme
// variables of a light, a dark and a high-contrast theme. CSP violations and page errors are collected.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { chartEpochOf } from '../../src/liveCharts/points.js';
import { liveChartsHtml } from '../../src/liveCharts/html.js';
import type { EngineEvent } from '../../src/protocol/events.js';
import { recordedEvents } from '../helpers/recordedRun.js';
import type { ChartEpoch, ChartRunInfo, HostMessage } from '../../src/protocol/liveCharts.js';
import { ensureTools, repoRoot } from '../vscode/harness/tools.js';

export const ORIGIN = 'https://aem-webview.test';
export type ThemeName = 'light' | 'dark' | 'high-contrast';

const THEMES: Record<ThemeName, Record<string, string>> = {
  light: {
    '--vscode-foreground': '#3b3b3b',
    '--vscode-descriptionForeground': '#717171',
    '--vscode-editor-background': '#ffffff',
    '--vscode-sideBar-background': '#f8f8f8',
    '--vscode-panel-border': '#e5e5e5',
    '--vscode-focusBorder': '#005fb8',
    '--vscode-button-background': '#005fb8',
    '--vscode-button-foreground': '#ffffff',
    '--vscode-button-secondaryBackground': '#e5e5e5',
    '--vscode-button-secondaryForeground': '#3b3b3b',
    '--vscode-list-hoverBackground': '#f2f2f2',
    '--vscode-settings-dropdownBackground': '#ffffff',
    '--vscode-settings-dropdownForeground': '#3b3b3b',
    '--vscode-settings-dropdownBorder': '#cecece',
    '--vscode-settings-dropdownListBorder': '#cecece',
    '--vscode-settings-checkboxBackground': '#f8f8f8',
    '--vscode-settings-checkboxBorder': '#cecece',
    '--vscode-settings-checkboxForeground': '#3b3b3b',
    '--vscode-settings-textInputBackground': '#ffffff',
    '--vscode-settings-textInputForeground': '#3b3b3b',
    '--vscode-settings-textInputBorder': '#cecece',
    '--vscode-input-placeholderForeground': '#767676',
    '--vscode-button-secondaryHoverBackground': '#cccccc',
    '--vscode-badge-background': '#cccccc',
    '--vscode-badge-foreground': '#3b3b3b',
    '--vscode-list-activeSelectionBackground': '#e8e8e8',
    '--vscode-list-activeSelectionForeground': '#000000',
    '--vscode-errorForeground': '#a1260d',
    '--vscode-charts-blue': '#1a85ff',
    '--vscode-charts-red': '#e51400',
    '--vscode-charts-green': '#388a34',
    '--vscode-charts-orange': '#d18616',
    '--vscode-charts-purple': '#652d90',
    '--vscode-charts-yellow': '#bf8803',
    '--vscode-font-family': 'system-ui, sans-serif',
    '--vscode-font-size': '13px',
  },
  dark: {
    '--vscode-foreground': '#cccccc',
    '--vscode-descriptionForeground': '#9d9d9d',
    '--vscode-editor-background': '#1f1f1f',
    '--vscode-sideBar-background': '#181818',
    '--vscode-panel-border': '#2b2b2b',
    '--vscode-focusBorder': '#0078d4',
    '--vscode-button-background': '#0078d4',
    '--vscode-button-foreground': '#ffffff',
    '--vscode-button-secondaryBackground': '#313131',
    '--vscode-button-secondaryForeground': '#cccccc',
    '--vscode-list-hoverBackground': '#2a2d2e',
    '--vscode-errorForeground': '#f85149',
    '--vscode-charts-blue': '#3794ff',
    '--vscode-charts-red': '#f14c4c',
    '--vscode-charts-green': '#89d185',
    '--vscode-charts-orange': '#d18616',
    '--vscode-charts-purple': '#b180d7',
    '--vscode-charts-yellow': '#cca700',
    '--vscode-font-family': 'system-ui, sans-serif',
    '--vscode-font-size': '13px',
  },
  'high-contrast': {
    '--vscode-foreground': '#ffffff',
    '--vscode-descriptionForeground': '#ffffff',
    '--vscode-editor-background': '#000000',
    '--vscode-sideBar-background': '#000000',
    '--vscode-panel-border': '#6fc3df',
    '--vscode-contrastBorder': '#6fc3df',
    '--vscode-focusBorder': '#f38518',
    '--vscode-button-background': '#000000',
    '--vscode-button-foreground': '#ffffff',
    '--vscode-errorForeground': '#f48771',
    '--vscode-charts-blue': '#3794ff',
    '--vscode-charts-red': '#f14c4c',
    '--vscode-charts-green': '#89d185',
    '--vscode-charts-orange': '#d18616',
    '--vscode-charts-purple': '#b180d7',
    '--vscode-charts-yellow': '#ffff00',
    '--vscode-font-family': 'system-ui, sans-serif',
    '--vscode-font-size': '13px',
  },
};

export const BODY_CLASS: Record<ThemeName, string> = { light: 'vscode-light', dark: 'vscode-dark', 'high-contrast': 'vscode-high-contrast' };

export function themeCss(): string {
  return Object.entries(THEMES)
    .map(([name, vars]) => `body.${BODY_CLASS[name as ThemeName]} {\n${Object.entries(vars).map(([k, v]) => `  ${k}: ${v};`).join('\n')}\n}`)
    .join('\n');
}

export function pageHtml(theme: ThemeName): string {
  const html = liveChartsHtml({ cspSource: ORIGIN, scriptUri: `${ORIGIN}/media/dist/liveCharts.js`, styleUri: `${ORIGIN}/media/liveCharts.css`, nonce: 'dGVzdC1ub25jZS0xMjM0NTY3OA' });
  return html.replace('<body>', `<body class="${BODY_CLASS[theme]}">`).replace('<link rel="stylesheet"', `<link rel="stylesheet" href="${ORIGIN}/theme.css">\n<link rel="stylesheet"`);
}

export async function launchChromium(): Promise<Browser> {
  const tools = ensureTools();
  return chromium.launch({ executablePath: tools.chromium, headless: true, args: ['--no-sandbox', '--disable-gpu', '--enable-precise-memory-info', '--js-flags=--expose-gc'] });
}

export interface WebviewPage {
  page: Page;
  errors: string[];
  /** Messages the webview posted to the "host", in order. */
  posted(): Promise<unknown[]>;
  send(message: HostMessage): Promise<void>;
  sendAll(messages: HostMessage[]): Promise<void>;
  describe(): Promise<PanelDescription>;
  setTheme(theme: ThemeName): Promise<void>;
  cspViolations(): Promise<string[]>;
  savedState(): Promise<unknown>;
}

export interface DatasetView {
  runId: string;
  series: string;
  hidden: boolean;
  colour: string;
  points: [number, number | null][];
}

export interface PanelDescription {
  epochs: number;
  selected: string[];
  hidden: string[];
  smoothing: number;
  normalisedEntropy: boolean;
  /** 0-based heads whose lines are toggled on. */
  heads: number[];
  headToggles: { head: number; label: string; checked: boolean }[];
  topkEpoch: number | null;
  slider: { min: number; max: number; value: number; label: string };
  colours: Record<string, string>;
  header: string[];
  charts: Record<string, DatasetView[]>;
  topk: { runId: string; role: 'current' | 'faded' | 'best' | 'head'; epoch: number | null; head?: number; hidden: boolean; colour: string; points: [number, number | null][] }[];
  /** Drawn [min, max] of each axis, per chart. */
  axes: Record<string, Record<string, [number, number]>>;
  chartCount: number;
}

/**
 * A webview bundle in a page served from ORIGIN, as VS Code would give it: a fake acquireVsCodeApi that
 * records posts and keeps state, CSP violations and page errors collected, the theme CSS and the
 * view's own CSS and bundle from media/. Resolves once the bundle has published `readyGlobal`.
 */
export async function openWebviewPage(
  browser: Browser,
  o: { html: string; bundle: string; readyGlobal: string; state?: unknown; width: number; height: number },
): Promise<{ page: Page; errors: string[] }> {
  const context = await browser.newContext({ viewport: { width: o.width, height: o.height }, deviceScaleFactor: 1 });
  const page = await context.newPage();
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(`console: ${m.text()}`);
  });
  await page.addInitScript((initial: unknown) => {
    const w = window as unknown as Record<string, unknown>;
    const posted: unknown[] = [];
    const violations: string[] = [];
    let state: unknown = initial ?? undefined;
    w.__posted = posted;
    w.__csp = violations;
    w.__state = () => state;
    document.addEventListener('securitypolicyviolation', (e) => violations.push(`${e.violatedDirective} blocked ${e.blockedURI}`));
    w.acquireVsCodeApi = () => ({
      postMessage: (m: unknown) => posted.push(JSON.parse(JSON.stringify(m))),
      getState: () => state,
      setState: (s: unknown) => {
        state = JSON.parse(JSON.stringify(s));
      },
    });
  }, o.state ?? null);
  const files: Record<string, { body: string | Buffer; type: string }> = {
    '/index.html': { body: o.html, type: 'text/html' },
    '/theme.css': { body: themeCss(), type: 'text/css' },
    [`/media/${o.bundle}.css`]: { body: readFileSync(path.join(repoRoot, 'media', `${o.bundle}.css`)), type: 'text/css' },
    [`/media/dist/${o.bundle}.js`]: { body: readFileSync(path.join(repoRoot, 'media', 'dist', `${o.bundle}.js`)), type: 'text/javascript' },
  };
  await page.route(`${ORIGIN}/**`, async (route) => {
    const file = files[new URL(route.request().url()).pathname];
    if (file) await route.fulfill({ status: 200, body: file.body, contentType: file.type });
    else await route.fulfill({ status: 404, body: 'not found' });
  });
  await page.goto(`${ORIGIN}/index.html`);
  await page.waitForFunction((name) => name in window, o.readyGlobal);
  return { page, errors };
}

export async function openWebview(browser: Browser, options: { theme?: ThemeName; state?: unknown; width?: number; height?: number } = {}): Promise<WebviewPage> {
  const { page, errors } = await openWebviewPage(browser, { html: pageHtml(options.theme ?? 'dark'), bundle: 'liveCharts', readyGlobal: 'aemLiveCharts', state: options.state, width: options.width ?? 900, height: options.height ?? 1300 });
  const send = async (message: HostMessage) => {
    await page.evaluate((m) => window.dispatchEvent(new MessageEvent('message', { data: m })), message);
  };
  return {
    page,
    errors,
    posted: () => page.evaluate(() => (window as unknown as { __posted: unknown[] }).__posted),
    send,
    sendAll: async (messages) => {
      await page.evaluate((ms) => {
        for (const m of ms) window.dispatchEvent(new MessageEvent('message', { data: m }));
      }, messages);
    },
    describe: () => page.evaluate(() => (window as unknown as { aemLiveCharts: { describe(): PanelDescription } }).aemLiveCharts.describe()),
    setTheme: async (theme) => {
      await page.evaluate((cls) => {
        document.body.className = cls;
      }, BODY_CLASS[theme]);
      await page.waitForTimeout(50);
    },
    cspViolations: () => page.evaluate(() => (window as unknown as { __csp: string[] }).__csp),
    savedState: () => page.evaluate(() => (window as unknown as { __state: () => unknown }).__state()),
  };
}

export interface RecordedRun {
  info: ChartRunInfo;
  events: EngineEvent[];
  epochs: ChartEpoch[];
}

/** The runs of the recording, with the run info a host would send and their epochs as chart points. */
export function recordedRuns(events = recordedEvents()): RecordedRun[] {
  const runs: RecordedRun[] = [];
  for (const e of events) {
    if (e.type === 'run-started') {
      runs.push({
        info: {
          runId: e.runId,
          experiment: e.experiment,
          title: `${e.configLabel.replace('lambda', 'λ=')} · seed ${e.seed}`,
          configLabel: e.configLabel,
          seed: e.seed,
          state: 'running',
          epochs: e.epochs,
          epochsDone: 0,
          backend: e.backend.name,
          createdAt: '2026-01-01T00:00:00.000Z',
        },
        events: [e],
        epochs: [],
      });
      continue;
    }
    if (!('runId' in e) || !e.runId) continue;
    const run = runs.find((r) => r.info.runId === e.runId);
    if (!run) continue;
    run.events.push(e);
    if (e.type === 'epoch') run.epochs.push(chartEpochOf(e.train, e.val, e.test));
  }
  return runs;
}

/** What the extension host sends for one engine event of a shown run (undefined: nothing). */
export function hostMessageFor(e: EngineEvent): HostMessage | undefined {
  switch (e.type) {
    case 'progress':
      return { type: 'progress', runId: e.runId, progress: { epoch: e.epoch, iter: e.iter, iters: e.iters, bagsPerSecond: e.bagsPerSecond, etaSeconds: e.etaSeconds } };
    case 'epoch':
      return { type: 'epoch', runId: e.runId, point: chartEpochOf(e.train, e.val, e.test), bestEpoch: e.bestEpoch };
    case 'run-finished':
      return { type: 'finished', runId: e.runId, state: e.status };
    default:
      return undefined;
  }
}
