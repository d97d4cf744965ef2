// The notebook renderer bundle (media/dist/notebookRenderer.js) in headless Chromium, outside VS Code:
// a strict-CSP page imports it as VS Code would, and renders each output kind from payloads made by the
// real query code (collect + compare) over a run-store fixture. Asserts the DOM (table rows, bold best,
// p-values, seeds, copy buttons writing Markdown/CSV/LaTeX to the clipboard) and what each chart was
// given, that the canvases were drawn on, that an invalid payload is refused in words, and that nothing
// breaks the CSP or logs an error. Screenshots of every kind, light and dark, go to test-output/notebook/.
import assert from 'node:assert/strict';
import { mkdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { chromium, type Browser } from 'playwright-core';
import { loadRuns } from '../../src/notebook/collect.js';
import { runComparison } from '../../src/notebook/compare.js';
import { parseQuery } from '../../src/notebook/query.js';
import { parseRendererMessage, type ComparisonOutput } from '../../src/protocol/notebook.js';
import { writeStore } from '../notebook/fixture.js';
import { ensureTools, repoRoot } from '../vscode/harness/tools.js';
import { drawnPixels, openPage, seriesOf } from './notebookRendererPage.js';

const outDir = path.join(repoRoot, 'test-output', 'notebook');

// show: paired has its own page test, pairedRenderer.ui.ts.
const QUERIES: Record<Exclude<ComparisonOutput['kind'], 'paired'>, string> = {
  table: 'runs: exp-*/*\ngroup: [aem.schedule, aem.lambda]\nmetrics: [test.auroc, test.f1, test.accuracy, test.entropy]\nbaseline: {aem.schedule: cosine, aem.lambda: 0}',
  curves: 'runs: exp-cos/*\nshow: curves\nmetrics: test.auroc',
  scatter: 'runs: exp-*/*\nshow: scatter\nx: test.entropy\ny: test.auroc',
  topk: 'runs: exp-cos/*\nshow: topk',
  sensitivity: 'runs: exp-*/*\nshow: sensitivity\nmetrics: test.auroc\nx: aem.lambda\nlines: aem.schedule',
  roc: 'runs: exp-cos/*\nshow: roc',
  confusion: 'runs: exp-cos/*\nshow: confusion',
};

describe('notebook renderer (headless Chromium, strict CSP)', () => {
  let browser: Browser;
  let store: string;
  const payloads = {} as Record<keyof typeof QUERIES, ComparisonOutput>;

  before(async () => {
    mkdirSync(outDir, { recursive: true });
    store = writeStore();
    const runs = loadRuns([store]);
    for (const [kind, query] of Object.entries(QUERIES)) payloads[kind as keyof typeof QUERIES] = runComparison(parseQuery(query), runs);
    browser = await chromium.launch({ executablePath: ensureTools().chromium, headless: true, args: ['--no-sandbox', '--disable-gpu'] });
  });
  after(async () => {
    await browser?.close();
    rmSync(store, { recursive: true, force: true });
  });

  for (const theme of ['light', 'dark'] as const) {
    it(`renders every output kind (${theme}) with the data it was given, draws the charts, and saves screenshots`, async () => {
      const r = await openPage(browser, theme);
      for (const kind of Object.keys(QUERIES) as (keyof typeof QUERIES)[]) {
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
