// The notebook renderer bundle (media/dist/notebookRenderer.js) in headless Chromium, outside VS Code:
// a strict-CSP page imports it as VS Code would, and renders each output kind from payloads made by the
// real query code (collect + compare) over a run-store fixture. Asserts the DOM (table rows, bold best,
// p-values, seeds, copy buttons writing Markdown/CSV/LaTeX to the clipboard) and what each chart was
// given, that the canvases were drawn on, that an invalid payload is refused in words, and that nothing
// breaks the CSP or logs an error. Screenshots of every kind, light and dark, go to test-output/notebook/.
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { chromium, type Browser, type Page } from 'playwright-core';
import { loadRuns } from '../../src/notebook/collect.js';
import { runComparison } from '../../src/notebook/compare.js';
import { parseQuery } from '../../src/notebook/query.js';
import { COMPARISON_MIME, parseRendererMessage, type ComparisonOutput } from '../../src/protocol/notebook.js';
import { writeStore } from '../notebook/fixture.js';
import { ensureTools, repoRoot } from '../vscode/harness/tools.js';

const ORIGIN = 'https://aem-notebook-renderer.test';
const NONCE = 'bm90ZWJvb2stcmVuZGVyZXItdGVzdA';
const outDir = path.join(repoRoot, 'test-output', 'notebook');

type Theme = 'light' | 'dark';
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

interface RendererPage {
  page: Page;
  errors: string[];
  render(id: string, payload: unknown): Promise<void>;
  violations(): Promise<string[]>;
}

async function openPage(browser: Browser, theme: Theme, messaging = true): Promise<RendererPage> {
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

const QUERIES: Record<ComparisonOutput['kind'], string> = {
  table: 'runs: exp-*/*\ngroup: [aem.schedule, aem.lambda]\nmetrics: [test.auroc, test.f1, test.accuracy, test.entropy]\nbaseline: {aem.schedule: cosine, aem.lambda: 0}',
  curves: 'runs: exp-cos/*\nshow: curves\nmetrics: test.auroc',
  scatter: 'runs: exp-*/*\nshow: scatter\nx: test.entropy\ny: test.auroc',
  topk: 'runs: exp-cos/*\nshow: topk',
  sensitivity: 'runs: exp-*/*\nshow: sensitivity\nmetrics: test.auroc\nx: aem.lambda\nlines: aem.schedule',
  roc: 'runs: exp-cos/*\nshow: roc',
  confusion: 'runs: exp-cos/*\nshow: confusion',
};

async function drawnPixels(page: Page, id: string): Promise<number> {
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

async function seriesOf(page: Page, id: string): Promise<{ label: string; points: number }[][]> {
  const all = await page.locator(`#${id} canvas`).evaluateAll((canvases) => canvases.map((c) => (c as HTMLCanvasElement).dataset.series ?? '[]'));
  return all.map((s) => JSON.parse(s) as { label: string; points: number }[]);
}

describe('notebook renderer (headless Chromium, strict CSP)', () => {
  let browser: Browser;
  let store: string;
  const payloads = {} as Record<ComparisonOutput['kind'], ComparisonOutput>;

  before(async () => {
    mkdirSync(outDir, { recursive: true });
    store = writeStore();
    const runs = loadRuns([store]);
    for (const [kind, query] of Object.entries(QUERIES)) payloads[kind as ComparisonOutput['kind']] = runComparison(parseQuery(query), runs);
    browser = await chromium.launch({ executablePath: ensureTools().chromium, headless: true, args: ['--no-sandbox', '--disable-gpu'] });
  });
  after(async () => {
    await browser?.close();
    rmSync(store, { recursive: true, force: true });
  });

  for (const theme of ['light', 'dark'] as const) {
    it(`renders every output kind (${theme}) with the data it was given, draws the charts, and saves screenshots`, async () => {
      const r = await openPage(browser, theme);
      for (const kind of Object.keys(QUERIES) as ComparisonOutput['kind'][]) {
        await r.render(`out-${kind}`, payloads[kind]);
        assert.equal(await r.page.locator(`#out-${kind} .aem-output`).getAttribute('data-kind'), kind);
      }

      // table: one row per group, the seeds, bold best, p-values against the baseline
      const table = payloads.table;
      assert.equal(table.kind, 'table');
      if (table.kind !== 'table') return;
      const rows = r.page.locator('#out-table tbody tr');
      assert.equal(await rows.count(), 4);
      assert.deepEqual(await rows.evaluateAll((trs) => trs.map((tr) => (tr as HTMLElement).dataset.group)), table.rows.map((row) => row.group));
      assert.deepEqual(await r.page.locator('#out-table td.aem-seeds').allTextContents(), ['5', '5', '5', '5']);
      const bestAuroc = await r.page.locator('#out-table td.aem-best[data-metric="test.auroc"] strong').allTextContents();
      assert.deepEqual(bestAuroc, ['0.852 ± 0.017'], 'the highest test AUROC (constant schedule, lambda 0.1) is bold');
      assert.equal(await r.page.locator('#out-table td[data-metric="test.entropy"] strong').count(), 0, 'entropy is never bolded');
      assert.deepEqual(await r.page.locator('#out-table tbody tr', { hasText: '(baseline)' }).evaluateAll((trs) => trs.map((tr) => (tr as HTMLElement).dataset.group)), ['aem.schedule=cosine, aem.lambda=0']);
      assert.deepEqual(await r.page.locator('#out-table tr[data-group="aem.schedule=cosine, aem.lambda=0.1"] td[data-metric="test.auroc"] .aem-p').allTextContents(), ['p = 0.063']);
      // exp-const and exp-cos have the same AUROC at lambda 0, seed for seed: nothing to test
      assert.deepEqual(await r.page.locator('#out-table tr[data-group="aem.schedule=constant, aem.lambda=0"] td[data-metric="test.auroc"] .aem-p').allTextContents(), ['p: no difference']);

      // copy buttons put the three formats on the clipboard
      for (const [format, text] of [['Markdown', table.markdown], ['CSV', table.csv], ['LaTeX', table.latex]] as const) {
        await r.page.locator(`#out-table vscode-button[data-format="${format}"]`).click();
        await r.page.locator('#out-table .aem-copy-status', { hasText: `Copied as ${format}` }).waitFor();
        assert.equal(await r.page.evaluate(() => navigator.clipboard.readText()), text);
      }

      // charts: what each was given, and that it drew
      const curves = payloads.curves;
      if (curves.kind !== 'curves') return assert.fail(curves.kind);
      assert.deepEqual(await seriesOf(r.page, 'out-curves'), [[{ label: 'aem.lambda=0', points: 3 }, { label: 'aem.lambda=0.1', points: 3 }]]);
      const scatter = payloads.scatter;
      if (scatter.kind !== 'scatter') return assert.fail(scatter.kind);
      assert.deepEqual(await seriesOf(r.page, 'out-scatter'), [[{ label: 'experiment=exp-const, aem.lambda=0', points: 5 }, { label: 'experiment=exp-const, aem.lambda=0.1', points: 5 }, { label: 'experiment=exp-cos, aem.lambda=0', points: 5 }, { label: 'experiment=exp-cos, aem.lambda=0.1', points: 5 }]]);
      const caption = r.page.locator('#out-scatter .aem-caption');
      assert.equal(Number(await caption.getAttribute('data-pearson')), scatter.pearson);
      assert.match((await caption.textContent()) ?? '', /^Pearson r = -?\d\.\d{3} · Spearman ρ = -?\d\.\d{3} · n = 20 runs$/);
      assert.deepEqual(await seriesOf(r.page, 'out-topk'), [[{ label: 'aem.lambda=0', points: 3 }, { label: 'aem.lambda=0.1', points: 3 }]]);
      assert.deepEqual(await seriesOf(r.page, 'out-sensitivity'), [[{ label: 'aem.schedule=constant', points: 2 }, { label: 'aem.schedule=cosine', points: 2 }]]);
      // roc: one pooled curve per group with its AUROC; confusion: one matrix per group, counts as computed
      const roc = payloads.roc;
      if (roc.kind !== 'roc') return assert.fail(roc.kind);
      const rocSeries = JSON.parse((await r.page.locator('#out-roc canvas').getAttribute('data-series')) ?? '[]') as { label: string; points: number; auroc: number }[];
      assert.deepEqual(rocSeries, roc.curves.map((c) => ({ label: c.label, points: c.fpr.length, auroc: c.auroc })));
      assert.equal(rocSeries.length, 2);
      const confusion = payloads.confusion;
      if (confusion.kind !== 'confusion') return assert.fail(confusion.kind);
      for (const g of confusion.groups) {
        const cells = await r.page.locator(`#out-confusion table[data-group="${g.label}"] td`).evaluateAll((tds) => tds.map((td) => Number((td as HTMLElement).dataset.count)));
        assert.deepEqual(cells, g.counts.flat());
      }
      for (const kind of ['curves', 'scatter', 'topk', 'sensitivity', 'roc']) {
        const box = await r.page.locator(`#out-${kind} .aem-chart`).boundingBox();
        assert.equal(box?.height, 260, `${kind}: the chart has the fixed output height`);
        assert.ok((await drawnPixels(r.page, `out-${kind}`)) > 2000, `${kind}: the canvas is blank`);
      }

      for (const kind of Object.keys(QUERIES)) await r.page.locator(`#out-${kind}`).screenshot({ path: path.join(outDir, `${kind}-${theme}.png`) });
      assert.deepEqual(await r.violations(), [], 'the strict CSP blocked something');
      assert.deepEqual(r.errors, []);
      await r.page.context().close();
    });
  }

  it('has an "Attention maps…" button that posts the output\'s run names, where the renderer can post', async () => {
    const r = await openPage(browser, 'light');
    const posted = () => r.page.evaluate(() => (window as unknown as { __posted: unknown[] }).__posted);
    const table = payloads.table;
    assert.equal(table.runNames?.length, 20, 'the 20 finished runs (the interrupted one is left out)');
    await r.render('maps-table', table);
    const button = r.page.locator('#maps-table vscode-button[data-action="attention-maps"]');
    assert.equal(await button.textContent(), 'Attention maps…');
    assert.equal(await button.getAttribute('title'), 'Open the attention maps of one or two of these 20 runs');
    await button.click();
    await r.page.locator('#maps-table .aem-maps [role="status"]', { hasText: 'Pick the runs' }).waitFor();
    const [message] = (await posted()) as unknown[];
    assert.deepEqual(parseRendererMessage(message), { ok: true, value: { type: 'openAttentionMaps', runNames: table.runNames } });

    const two = runComparison(parseQuery('runs: [exp-cos/lambda0-s0-*, exp-cos/lambda0.1-s0-*]\nshow: curves'), loadRuns([store]));
    await r.render('maps-two', two);
    assert.equal(await r.page.locator('#maps-two vscode-button[data-action="attention-maps"]').getAttribute('title'), `Open the attention maps of ${two.runNames?.join(' and ')}`);
    await r.page.locator('#maps-two vscode-button[data-action="attention-maps"]').click();
    assert.deepEqual(((await posted()) as { runNames: string[] }[])[1]?.runNames, two.runNames);

    // An output saved before outputs named their runs draws as before, without the button.
    const { runNames: _names, ...older } = payloads.topk;
    await r.render('maps-older', older);
    assert.equal(await r.page.locator('#maps-older .aem-output').getAttribute('data-kind'), 'topk');
    assert.equal(await r.page.locator('#maps-older vscode-button[data-action="attention-maps"]').count(), 0);
    await r.page.locator('#maps-table').screenshot({ path: path.join(outDir, 'maps-button-light.png') });
    assert.deepEqual(await r.violations(), []);
    assert.deepEqual(r.errors, []);
    await r.page.context().close();

    const silent = await openPage(browser, 'light', false);
    await silent.render('no-messaging', table);
    assert.equal(await silent.page.locator('#no-messaging tbody tr').count(), 4);
    assert.equal(await silent.page.locator('#no-messaging vscode-button[data-action="attention-maps"]').count(), 0, 'no button without a channel to the extension');
    assert.deepEqual(silent.errors, []);
    await silent.page.context().close();
  });

  it('refuses a payload that is not a comparison output, in words, and disposes charts on re-render', async () => {
    const r = await openPage(browser, 'dark');
    await r.render('bad', { kind: 'histogram', bins: [1, 2] });
    assert.equal(await r.page.locator('#bad .aem-output').getAttribute('data-kind'), 'invalid');
    assert.match((await r.page.locator('#bad').textContent()) ?? '', /not a comparison this renderer understands/);
    await r.render('again', payloads.curves);
    await r.page.evaluate(() => (window as unknown as { __dispose(id: string): void }).__dispose('again'));
    assert.deepEqual(await r.violations(), []);
    assert.deepEqual(r.errors, []);
    await r.page.context().close();
  });
});
