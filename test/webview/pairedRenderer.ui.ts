// show: paired in the notebook renderer bundle (headless Chromium, the strict-CSP page of
// notebookRendererPage.ts): the payload made by the real query code over an arch x lambda x 5 seeds run
// store draws a bar chart (without / with AEM per model, ± std whiskers) and the table of means, the
// difference and the paired Wilcoxon p-value; the copy buttons put Markdown, CSV and LaTeX on the
// clipboard; nothing breaks the CSP or logs an error. Screenshots go to test-output/notebook/paired-*.png.
import assert from 'node:assert/strict';
import { mkdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { chromium, type Browser } from 'playwright-core';
import { loadRuns } from '../../src/notebook/collect.js';
import { runComparison } from '../../src/notebook/compare.js';
import { parseQuery } from '../../src/notebook/query.js';
import type { PairedOutput } from '../../src/protocol/notebook.js';
import { writePairedStore } from '../notebook/pairedFixture.js';
import { ensureTools, repoRoot } from '../vscode/harness/tools.js';
import { drawnPixels, openPage } from './notebookRendererPage.js';

const outDir = path.join(repoRoot, 'test-output', 'notebook');

describe('notebook renderer: show: paired (headless Chromium, strict CSP)', () => {
  let browser: Browser;
  let store: string;
  let payload: PairedOutput;

  before(async () => {
    mkdirSync(outDir, { recursive: true });
    store = writePairedStore();
    const out = runComparison(parseQuery('runs: zoo/*\nshow: paired\ngroup: model.arch\nx: aem.lambda\nbaseline: {aem.lambda: 0}\nmetrics: test.auroc'), loadRuns([store]));
    assert.equal(out.kind, 'paired');
    payload = out as PairedOutput;
    browser = await chromium.launch({ executablePath: ensureTools().chromium, headless: true, args: ['--no-sandbox', '--disable-gpu'] });
  });
  after(async () => {
    await browser?.close();
    rmSync(store, { recursive: true, force: true });
  });

  for (const theme of ['light', 'dark'] as const) {
    it(`draws the bars and the table with the numbers it was given, copies three formats (${theme})`, async () => {
      const r = await openPage(browser, theme);
      await r.render('out-paired', payload);
      const root = r.page.locator('#out-paired .aem-output');
      assert.equal(await root.getAttribute('data-kind'), 'paired');

      // the chart: two bar series (without, with), one bar per model, the means and stds of the payload
      const series = JSON.parse((await r.page.locator('#out-paired canvas').getAttribute('data-series')) ?? '[]') as { label: string; points: number; means: number[]; stds: number[] }[];
      assert.deepEqual(series.map((s) => [s.label, s.points]), [['aem.lambda = 0', 3], ['aem.lambda = 0.1', 3]]);
      assert.deepEqual(series[0]?.means, payload.rows.map((row) => row.without.mean));
      assert.deepEqual(series[1]?.stds, payload.rows.map((row) => row.withSide.std));
      const box = await r.page.locator('#out-paired .aem-chart').boundingBox();
      assert.equal(box?.height, 260, 'the chart has the fixed output height');
      assert.ok((await drawnPixels(r.page, 'out-paired')) > 2000, 'the canvas is blank');

      // the table: a row per model, without / with as mean ± std, the signed difference coloured by direction, p, pairs
      const rows = r.page.locator('#out-paired tbody tr');
      assert.equal(await rows.count(), 3);
      assert.deepEqual(await rows.evaluateAll((trs) => trs.map((tr) => (tr as HTMLElement).dataset.group)), ['model.arch=abmil', 'model.arch=dsmil', 'model.arch=mha']);
      assert.deepEqual(await r.page.locator('#out-paired td[data-field="without"]').allTextContents(), ['0.810 ± 0.016', '0.704 ± 0.011', '0.760 ± 0.016']);
      assert.deepEqual(await r.page.locator('#out-paired td[data-field="with"]').allTextContents(), ['0.844 ± 0.011', '0.692 ± 0.008', '0.780 ± 0.016']);
      assert.deepEqual(await r.page.locator('#out-paired td[data-field="difference"]').allTextContents(), ['+0.034', '−0.012', '+0.020']);
      assert.deepEqual(await r.page.locator('#out-paired td[data-field="p"]').allTextContents(), ['0.063', '0.063', '0.19']);
      assert.deepEqual(await r.page.locator('#out-paired td.aem-better').allTextContents(), ['+0.034', '+0.020'], 'AUROC up: better');
      assert.deepEqual(await r.page.locator('#out-paired td.aem-worse').allTextContents(), ['−0.012']);
      assert.deepEqual(await r.page.locator('#out-paired td.aem-seeds').allTextContents(), ['5', '5', '5']);
      assert.match((await r.page.locator('#out-paired .aem-caption').textContent()) ?? '', /^30 runs at each run’s best epoch/);

      for (const [format, text] of [['Markdown', payload.markdown], ['CSV', payload.csv], ['LaTeX', payload.latex]] as const) {
        await r.page.locator(`#out-paired vscode-button[data-format="${format}"]`).click();
        await r.page.locator('#out-paired .aem-copy-status', { hasText: `Copied as ${format}` }).waitFor();
        assert.equal(await r.page.evaluate(() => navigator.clipboard.readText()), text);
      }

      await r.page.locator('#out-paired').screenshot({ path: path.join(outDir, `paired-${theme}.png`) });
      assert.deepEqual(await r.violations(), [], 'the strict CSP blocked something');
      assert.deepEqual(r.errors, []);
      await r.page.context().close();
    });
  }
});
