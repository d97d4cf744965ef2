// The notebook renderer's test page: media/dist/notebookRenderer.js imported by a strict-CSP page as VS
// Code's output webview does, in a light or dark theme, with page errors, CSP violations and what the
// renderer posts collected; and what a rendered chart was given (its data-series) and whether its canvas
// was drawn on.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { COMPARISON_MIME } from '../../src/protocol/notebook.js';
import { repoRoot } from '../vscode/harness/tools.js';

const ORIGIN = 'https://aem-notebook-renderer.test';
const NONCE = 'bm90ZWJvb2stcmVuZGVyZXItdGVzdA';

export type Theme = 'light' | 'dark';
const THEMES: Record<Theme, Record<string, string>> = {
  light: {
    '--vscode-editor-foreground': '#3b3b3b',
    '--vscode-descriptionForeground': '#717171',
    '--vscode-editor-background': '#ffffff',
    '--vscode-editorWidget-border': '#c8c8c8',
    '--vscode-button-background': '#005fb8',
    '--vscode-button-foreground': '#ffffff',
    '--vscode-button-secondaryBackground': '#e5e5e5',
    '--vscode-button-secondaryForeground': '#3b3b3b',
    '--vscode-button-secondaryHoverBackground': '#cccccc',
    '--vscode-button-hoverBackground': '#0258a8',
    '--vscode-focusBorder': '#005fb8',
    '--vscode-charts-blue': '#1a85ff',
    '--vscode-charts-orange': '#d18616',
    '--vscode-charts-green': '#388a34',
    '--vscode-charts-purple': '#652d90',
    '--vscode-charts-red': '#e51400',
    '--vscode-charts-yellow': '#bf8803',
    '--vscode-font-family': 'system-ui, sans-serif',
    '--vscode-font-size': '13px',
  },
  dark: {
    '--vscode-editor-foreground': '#cccccc',
    '--vscode-descriptionForeground': '#9d9d9d',
    '--vscode-editor-background': '#1f1f1f',
    '--vscode-editorWidget-border': '#454545',
    '--vscode-button-background': '#0078d4',
    '--vscode-button-foreground': '#ffffff',
    '--vscode-button-secondaryBackground': '#313131',
    '--vscode-button-secondaryForeground': '#cccccc',
    '--vscode-button-secondaryHoverBackground': '#3c3c3c',
    '--vscode-button-hoverBackground': '#026ec1',
    '--vscode-focusBorder': '#0078d4',
    '--vscode-charts-blue': '#3794ff',
    '--vscode-charts-orange': '#d18616',
    '--vscode-charts-green': '#89d185',
    '--vscode-charts-purple': '#b180d7',
    '--vscode-charts-red': '#f14c4c',
    '--vscode-charts-yellow': '#cca700',
    '--vscode-font-family': 'system-ui, sans-serif',
    '--vscode-font-size': '13px',
  },
};

function themeCss(theme: Theme): string {
  const vars = Object.entries(THEMES[theme]).map(([k, v]) => `  ${k}: ${v};`);
  return `:root {\n${vars.join('\n')}\n}\nbody { background: var(--vscode-editor-background); margin: 12px; }\n`;
}

// 'strict-dynamic' lets the nonce'd loader import the renderer module, as VS Code's output webview does.
// With `messaging`, the renderer context has postMessage (VS Code gives it to renderers with
// requiresMessaging); what the renderer posts is kept in window.__posted.
function pageHtml(messaging: boolean): string {
  const csp = `default-src 'none'; img-src ${ORIGIN} data:; style-src ${ORIGIN}; script-src 'nonce-${NONCE}' 'strict-dynamic'; font-src ${ORIGIN}`;
  return `<!DOCTYPE html>
<html><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<link rel="stylesheet" href="${ORIGIN}/theme.css">
</head><body><div id="outputs"></div>
<script type="module" nonce="${NONCE}">
import { activate } from '${ORIGIN}/media/dist/notebookRenderer.js';
window.__posted = [];
const renderer = activate({ workspace: { isTrusted: true }, setState() {}, getState() { return undefined; }${messaging ? ', postMessage(m) { window.__posted.push(m); }' : ''} });
window.__render = (id, mime, payload) => {
  const element = document.createElement('div');
  element.id = id;
  document.getElementById('outputs').append(element);
  const text = JSON.stringify(payload);
  renderer.renderOutputItem({ id, mime, metadata: {}, json: () => JSON.parse(text), text: () => text, data: () => new TextEncoder().encode(text), blob: () => new Blob([text]) }, element);
};
window.__dispose = (id) => renderer.disposeOutputItem(id);
window.__ready = true;
</script></body></html>`;
}

export interface RendererPage {
  page: Page;
  errors: string[];
  render(id: string, payload: unknown): Promise<void>;
  violations(): Promise<string[]>;
}

export async function openPage(browser: Browser, theme: Theme, messaging = true): Promise<RendererPage> {
  const context = await browser.newContext({ viewport: { width: 960, height: 700 }, deviceScaleFactor: 1 });
  await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: ORIGIN });
  const page = await context.newPage();
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(`console: ${m.text()}`);
  });
  await page.addInitScript(() => {
    const w = window as unknown as { __csp: string[] };
    w.__csp = [];
    document.addEventListener('securitypolicyviolation', (e) => w.__csp.push(`${e.violatedDirective} blocked ${e.blockedURI}`));
  });
  const files: Record<string, { body: string | Buffer; type: string }> = {
    '/index.html': { body: pageHtml(messaging), type: 'text/html' },
    '/theme.css': { body: themeCss(theme), type: 'text/css' },
    '/media/dist/notebookRenderer.js': { body: readFileSync(path.join(repoRoot, 'media', 'dist', 'notebookRenderer.js')), type: 'text/javascript' },
  };
  await page.route(`${ORIGIN}/**`, async (route) => {
    const file = files[new URL(route.request().url()).pathname];
    await route.fulfill(file ? { status: 200, body: file.body, contentType: file.type } : { status: 404, body: 'not found' });
  });
  await page.goto(`${ORIGIN}/index.html`);
  await page.waitForFunction(() => (window as unknown as { __ready?: boolean }).__ready === true);
  return {
    page,
    errors,
    render: (id, payload) => page.evaluate(([i, m, p]) => (window as unknown as { __render(i: string, m: string, p: unknown): void }).__render(i, m, p), [id, COMPARISON_MIME, payload] as const),
    violations: () => page.evaluate(() => (window as unknown as { __csp: string[] }).__csp),
  };
}

export async function drawnPixels(page: Page, id: string): Promise<number> {
  return page.evaluate((outputId) => {
    const canvas = document.querySelector(`#${outputId} canvas`) as HTMLCanvasElement | null;
    if (!canvas) return 0;
    const ctx = canvas.getContext('2d');
    if (!ctx) return 0;
    const { data } = ctx.getImageData(0, 0, canvas.width, canvas.height);
    let n = 0;
    for (let i = 3; i < data.length; i += 4) if ((data[i] as number) > 0) n++;
    return n;
  }, id);
}

export async function seriesOf(page: Page, id: string): Promise<{ label: string; points: number }[][]> {
  const all = await page.locator(`#${id} canvas`).evaluateAll((canvases) => canvases.map((c) => (c as HTMLCanvasElement).dataset.series ?? '[]'));
  return all.map((s) => JSON.parse(s) as { label: string; points: number }[]);
}
