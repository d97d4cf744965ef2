// aem.schedule "auto" in the notebook renderer bundle (headless Chromium, the strict-CSP page of
// notebookRendererPage.ts). Payloads come from the real query code over a run store with a fixed lambda
// grid (constant and cosine) and auto at two targets, 5 seeds. Asserts what is drawn: the sensitivity
// chart has one line per fixed schedule and each auto target as a dashed flat band across the grid's x
// range at mean ± std (values recomputed here from the fixture), and the band adds ink to the canvas; the
// table shows p against ABMIL and p_best against the best fixed lambda, marks that best group and does
// not test it against itself. The notebook shipped in media/auto-lambda renders its saved outputs the same way.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { chromium, type Browser } from 'playwright-core';
import { loadRuns } from '../../src/notebook/collect.js';
import { runComparison } from '../../src/notebook/compare.js';
import { formatP } from '../../src/notebook/format.js';
import { parseQuery } from '../../src/notebook/query.js';
import { deserializeNotebook } from '../../src/notebook/serializer.js';
import { mean, sampleStd, wilcoxonSignedRank } from '../../src/notebook/stats.js';
import { COMPARISON_MIME, ComparisonOutputSchema, type SensitivityOutput, type TableOutput } from '../../src/protocol/notebook.js';
import { writeAutoRuns, writeRun } from '../notebook/fixture.js';
import { ensureTools, repoRoot } from '../vscode/harness/tools.js';
import { drawnPixels, openPage, seriesOf } from './notebookRendererPage.js';

const outDir = path.join(repoRoot, 'test-output', 'notebook');
const seeds = [0, 1, 2, 3, 4];

// test AUROC per seed. Fixed grid: ABMIL (constant 0) lowest, constant 0.1 the best fixed lambda.
// Auto 0.8 beats ABMIL on every seed but wobbles around constant 0.1; auto 0.95 loses to both.
const wobble = [-0.004, -0.002, -0.003, 0.005, 0.001];
const fixed: Record<string, Record<number, (s: number) => number>> = {
  constant: { 0: (s) => 0.7 + 0.01 * s, 0.1: (s) => 0.75 + 0.01 * s, 0.5: (s) => 0.66 + 0.01 * s },
  cosine: { 0.1: (s) => 0.74 + 0.01 * s, 0.5: (s) => 0.71 + 0.012 * s },
};
const auto: Record<number, (s: number) => number> = {
  0.8: (s) => 0.75 + 0.01 * s + (wobble[s] as number),
  0.95: (s) => 0.6 + 0.015 * s,
};

const SENSITIVITY = 'runs: [grid-constant/*, grid-cosine/*, auto/*]\nmetrics: [test.auroc]\nx: aem.lambda\nlines: aem.schedule\nshow: sensitivity';
const TABLE = 'runs: [grid-constant/*, grid-cosine/*, auto/*]\ngroup: [aem.schedule, config]\nmetrics: [test.auroc]\nshow: table\nbaseline: {aem.schedule: constant, config: lambda0}\nversusBest: {aem.schedule: [constant, cosine]}';

interface DrawnBand {
  label: string;
  x: number[];
  lower: number[];
  mean: number[];
  upper: number[];
  dashed: boolean;
  filled: boolean;
  /** Where the chart put it, in canvas pixels (deviceScaleFactor 1). */
  pixels: { x: number[]; mean: number; lower: number; upper: number } | null;
}

/**
 * Along one canvas row from x0 to x1: how many columns have ink of at least `minAlpha` (the band's fill is
 * translucent, its mean line opaque), and how many ink / no-ink runs there are.
 */
async function rowInk(page: import('playwright-core').Page, id: string, y: number, x0: number, x1: number, minAlpha: number): Promise<{ columns: number; inked: number; runs: number }> {
  return page.evaluate(
    ([outputId, row, from, to, alpha]) => {
      const canvas = document.querySelector(`#${outputId} canvas`) as HTMLCanvasElement;
      const ctx = canvas.getContext('2d') as CanvasRenderingContext2D;
      const left = Math.ceil(from);
      const width = Math.floor(to) - left;
      const { data } = ctx.getImageData(left, Math.floor(row), width, 1);
      let inked = 0;
      let runs = 0;
      let previous: boolean | undefined;
      for (let i = 0; i < width; i++) {
        const on = (data[4 * i + 3] as number) >= alpha;
        if (on) inked++;
        if (on !== previous) runs++;
        previous = on;
      }
      return { columns: width, inked, runs };
    },
    [id, y, x0, x1, minAlpha] as const,
  );
}

function writeAutoStore(): string {
  const root = mkdtempSync(path.join(tmpdir(), 'aem-nb-auto-ui-'));
  for (const seed of seeds) {
    for (const [schedule, grid] of Object.entries(fixed)) {
      for (const [lambda, f] of Object.entries(grid)) {
        writeRun(root, { experiment: `grid-${schedule}`, lambda: Number(lambda), schedule: schedule as 'constant' | 'cosine', seed, epochs: 2, bestEpoch: 1, status: 'done', auroc: () => f(seed), entropy: 3 });
      }
    }
    writeAutoRuns(root, auto, seed);
  }
  return root;
}

const bandsOf = async (page: import('playwright-core').Page, id: string): Promise<DrawnBand[]> =>
  JSON.parse((await page.locator(`#${id} canvas`).getAttribute('data-bands')) ?? 'null') as DrawnBand[];

function near(actual: readonly number[], expected: readonly number[], what: string): void {
  assert.equal(actual.length, expected.length, what);
  actual.forEach((v, i) => assert.ok(Math.abs(v - (expected[i] as number)) <= 1e-12, `${what}[${i}]: ${v} != ${expected[i]}`));
}

describe('notebook renderer: aem.schedule "auto" (headless Chromium, strict CSP)', () => {
  let browser: Browser;
  let store: string;
  let sensitivity: SensitivityOutput;
  let table: TableOutput;

  before(async () => {
    mkdirSync(outDir, { recursive: true });
    store = writeAutoStore();
    const runs = loadRuns([store]);
    const s = runComparison(parseQuery(SENSITIVITY), runs);
    const t = runComparison(parseQuery(TABLE), runs);
    if (s.kind !== 'sensitivity' || t.kind !== 'table') throw new Error(`${s.kind}, ${t.kind}`);
    sensitivity = s;
    table = t;
    browser = await chromium.launch({ executablePath: ensureTools().chromium, headless: true, args: ['--no-sandbox', '--disable-gpu'] });
  });
  after(async () => {
    await browser?.close();
    rmSync(store, { recursive: true, force: true });
  });

  it('draws each auto target as a dashed band at its mean ± std across the grid\'s lambda range', async () => {
    const r = await openPage(browser, 'light');
    await r.render('out-sens', sensitivity);
    assert.equal(await r.page.locator('#out-sens .aem-output').getAttribute('data-kind'), 'sensitivity');

    const labels = ['aem.schedule=auto, target 0.8, lambdaLr 0.05, start 0.1', 'aem.schedule=auto, target 0.95, lambdaLr 0.05, start 0.1'];
    assert.deepEqual(await seriesOf(r.page, 'out-sens'), [
      [
        { label: 'aem.schedule=constant', points: 3 },
        { label: 'aem.schedule=cosine', points: 2 },
        { label: labels[0], points: 2 },
        { label: labels[1], points: 2 },
      ],
    ]);

    const bands = await bandsOf(r.page, 'out-sens');
    assert.deepEqual(bands.map((b) => b.label), labels);
    for (const [i, target] of [0.8, 0.95].entries()) {
      const band = bands[i] as DrawnBand;
      const values = seeds.map(auto[target] as (s: number) => number);
      const m = mean(values);
      const sd = sampleStd(values);
      assert.ok(sd > 0.005, 'the fixture gives the band a visible width');
      assert.deepEqual(band.x, [0, 0.5], `${target}: the band spans the grid's lambda range, smallest to largest`);
      near(band.mean, [m, m], `${target} mean`);
      near(band.lower, [m - sd, m - sd], `${target} lower edge`);
      near(band.upper, [m + sd, m + sd], `${target} upper edge`);
      assert.ok(band.dashed, 'the auto mean line is dashed, unlike the grid\'s lines');
      assert.ok(band.filled, 'the area between the edges is filled');
    }
    // what the canvas shows where the chart says it put each band: inside the band (between the mean and
    // the upper edge) every column is filled; along the mean line ink alternates with gaps (the dash)
    for (const band of bands) {
      const px = band.pixels;
      assert.ok(px, `${band.label}: the chart placed the band`);
      const [x0, x1] = [(px.x[0] as number) + 3, (px.x[1] as number) - 3];
      assert.ok(x1 - x0 > 300, `${band.label}: the band spans the plot (${x0}..${x1} px)`);
      assert.ok(px.upper < px.mean - 3 && px.mean < px.lower - 3, `${band.label}: the band has a height on screen (${px.upper}, ${px.mean}, ${px.lower} px)`);
      for (const y of [(px.mean + px.upper) / 2, (px.mean + px.lower) / 2]) {
        const fill = await rowInk(r.page, 'out-sens', y, x0, x1, 1);
        assert.ok(fill.inked >= 0.97 * fill.columns, `${band.label}: filled at y = ${y} px (${fill.inked} of ${fill.columns} columns)`);
      }
      const line = await rowInk(r.page, 'out-sens', px.mean, x0, x1, 200);
      assert.ok(line.inked >= 0.4 * line.columns, `${band.label}: the mean line is drawn (${line.inked} of ${line.columns} columns opaque)`);
      assert.ok(line.runs >= 20 && line.inked <= 0.85 * line.columns, `${band.label}: the mean line is dashed (${line.runs} ink/gap runs, ${line.inked} of ${line.columns} columns)`);
    }

    // the payload and the drawing agree
    near(bands.map((b) => b.mean[0] as number), sensitivity.bands.map((b) => b.mean), 'payload means');
    near(bands.map((b) => (b.upper[0] as number) - (b.mean[0] as number)), sensitivity.bands.map((b) => b.std ?? 0), 'payload stds');

    // the bands put ink on the canvas: the same payload without them draws less
    await r.render('out-sens-nobands', { ...sensitivity, bands: [] });
    assert.deepEqual(await bandsOf(r.page, 'out-sens-nobands'), []);
    const withBands = await drawnPixels(r.page, 'out-sens');
    const without = await drawnPixels(r.page, 'out-sens-nobands');
    assert.ok(without > 2000, 'the grid lines alone are drawn');
    assert.ok(withBands > without + 1000, `the bands add ink: ${withBands} vs ${without} pixels`);

    await r.page.locator('#out-sens').screenshot({ path: path.join(outDir, 'auto-sensitivity-light.png') });
    assert.deepEqual(await r.violations(), [], 'the strict CSP blocked something');
    assert.deepEqual(r.errors, []);
    await r.page.context().close();
  });

  it('shows p against ABMIL and p_best against the best fixed lambda, and marks the best', async () => {
    const r = await openPage(browser, 'dark');
    await r.render('out-table', table);
    const best = 'aem.schedule=constant, config=lambda0.1';
    const baseline = 'aem.schedule=constant, config=lambda0';
    assert.equal(table.versus, best);
    const pOf = (group: string, cls: string) => r.page.locator(`#out-table tr[data-group="${group}"] td[data-metric="test.auroc"] ${cls}`).allTextContents();

    const auto08 = 'aem.schedule=auto, config=targetEntropy0.8';
    const expectedP = wilcoxonSignedRank(seeds.map(auto[0.8] as (s: number) => number), seeds.map(fixed.constant?.[0] as (s: number) => number)).pValue;
    const expectedBest = wilcoxonSignedRank(seeds.map(auto[0.8] as (s: number) => number), seeds.map(fixed.constant?.[0.1] as (s: number) => number)).pValue;
    assert.equal(formatP(expectedP), '0.063', 'auto 0.8 beats ABMIL on all 5 seeds');
    assert.equal(formatP(expectedBest), '0.81', 'auto 0.8 against the best fixed lambda: signed ranks -4 -2 -3 +5 +1, W+ = 6');
    // .aem-p matches both spans; the p_best span is the second
    assert.deepEqual(await pOf(auto08, '.aem-p'), ['p = 0.063', 'p_best = 0.81']);
    assert.deepEqual(await pOf(auto08, '.aem-p-versus'), ['p_best = 0.81']);
    assert.deepEqual(await pOf('aem.schedule=auto, config=targetEntropy0.95', '.aem-p-versus'), ['p_best = 0.063']);
    assert.deepEqual(await pOf('aem.schedule=cosine, config=lambda0.5', '.aem-p-versus'), [`p_best = ${formatP(wilcoxonSignedRank(seeds.map(fixed.cosine?.[0.5] as (s: number) => number), seeds.map(fixed.constant?.[0.1] as (s: number) => number)).pValue)}`]);
    assert.deepEqual(await pOf(best, '.aem-p-versus'), [], 'the best group is not tested against itself');
    assert.deepEqual(await pOf(best, '.aem-p'), ['p = 0.063']);
    assert.deepEqual(await pOf(baseline, '.aem-p-versus'), ['p_best = 0.063'], 'ABMIL against the best fixed lambda');
    assert.equal(await r.page.locator(`#out-table tr[data-group="${best}"] td:first-child .aem-baseline`).textContent(), '(best of versusBest)');
    assert.equal(await r.page.locator(`#out-table tr[data-group="${baseline}"] td:first-child .aem-baseline`).textContent(), '(baseline)');
    assert.equal(
      await r.page.locator(`#out-table tr[data-group="${auto08}"] .aem-p-versus`).getAttribute('title'),
      `Two-sided Wilcoxon signed-rank test against ${best} over 5 seed pairs`,
    );
    assert.match((await r.page.locator('#out-table .aem-caption').textContent()) ?? '', new RegExp(`p_best: the same test against ${best.replace(/[.=]/g, '\\$&')}, the best of the versusBest groups`));

    await r.page.locator('#out-table vscode-button[data-format="Markdown"]').click();
    await r.page.locator('#out-table .aem-copy-status', { hasText: 'Copied as Markdown' }).waitFor();
    const markdown = await r.page.evaluate(() => navigator.clipboard.readText());
    assert.equal(markdown, table.markdown);
    assert.match(markdown, /\(p = 0\.063; p_best = 0\.81\)/);

    await r.page.locator('#out-table').screenshot({ path: path.join(outDir, 'auto-table-dark.png') });
    assert.deepEqual(await r.violations(), []);
    assert.deepEqual(r.errors, []);
    await r.page.context().close();
  });

  it('renders the shipped auto-lambda notebook\'s saved sensitivity outputs with their bands', async () => {
    const notebook = deserializeNotebook(readFileSync(path.join(repoRoot, 'media', 'auto-lambda', 'auto-lambda.aemnb')));
    const saved = notebook.cells
      .flatMap((c) => c.outputs.flatMap((o) => o.items))
      .filter((i) => i.mime === COMPARISON_MIME)
      .map((i) => ComparisonOutputSchema.parse(JSON.parse(new TextDecoder().decode(i.data))))
      .filter((o): o is SensitivityOutput => o.kind === 'sensitivity');
    assert.ok(saved.length >= 2, 'the notebook has a saved sensitivity output per dataset');
    const r = await openPage(browser, 'light');
    for (const [i, output] of saved.entries()) {
      await r.render(`saved-${i}`, output);
      const bands = await bandsOf(r.page, `saved-${i}`);
      assert.deepEqual(bands.map((b) => b.label), output.bands.map((b) => b.label));
      assert.equal(bands.length, 3, 'three auto targets');
      near(bands.map((b) => b.mean[0] as number), output.bands.map((b) => b.mean), `saved ${i} means`);
      near(bands.map((b) => (b.mean[0] as number) - (b.lower[0] as number)), output.bands.map((b) => b.std ?? 0), `saved ${i} stds`);
      const xs = output.series.flatMap((s) => s.x);
      for (const b of bands) assert.deepEqual(b.x, [Math.min(...xs), Math.max(...xs)]);
    }
    assert.deepEqual(r.errors, []);
    await r.page.context().close();
  });
});
