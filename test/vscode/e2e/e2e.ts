// `npm run test:e2e`: UI click-through of AEM Studio in code-server (VS Code 1.139 server, real Node
// extension host) driven by headless chromium. Packages the .vsix as `npm run package` does and installs
// it with `code-server --install-extension` (not the development folder), opens a fresh workspace, runs "AEM: Open Demo
// Experiment" and "AEM: Run Experiment" from the command palette on the tiny synthetic preset,
// waits (with timeouts) for epochs on disk, opens "AEM: Show Live Charts" and waits until they draw two
// epochs, waits for every run to finish, opens "AEM: Compare Seeds" and waits until its notebook shows a
// table and a chart, clicks the output's "Attention maps…" button, picks two runs and waits until both maps
// are drawn (patch size from the h5 files), reloads the window and waits until the maps panel is back,
// checks that the engine that trained is the installed one, and saves a screenshot of every step to test-output/e2e/ (kept by CI). Exits
// non-zero on any failure, with a screenshot of it.
import { copyFileSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { applyEdits, modify } from 'jsonc-parser';
import type { FrameLocator, Page } from 'playwright-core';
import { launchBrowser, type Browser } from '../harness/browser.js';
import { installVsix, printLog, shutDownCodeServer, startCodeServer, type CodeServer } from '../harness/codeServer.js';
import { packageVsix } from '../../helpers/vsix.js';
import { ensureTools, envNumber, log, repoRoot } from '../harness/tools.js';
import { openWorkbench, screenshot, workbenchUrl } from '../harness/workbench.js';

const outDir = path.join(repoRoot, 'test-output', 'e2e');

interface Manifest {
  name: string;
  publisher: string;
  version: string;
  contributes?: { commands?: { command: string; title: string; category?: string }[] };
}

const manifest = JSON.parse(readFileSync(path.join(repoRoot, 'package.json'), 'utf8')) as Manifest;

/** The command-palette label of a contributed command, found by id or by a title pattern. */
function paletteLabel(id: string | undefined, title?: RegExp): string | undefined {
  const c = manifest.contributes?.commands?.find((x) => x.command === id || (title !== undefined && title.test(x.title)));
  if (!c) return undefined;
  return c.category ? `${c.category}: ${c.title}` : c.title;
}

function escapeRe(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Runs a command from the palette (F1), retrying while the extension host is still starting. */
async function runFromPalette(page: Page, label: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  const input = page.locator('.quick-input-widget .quick-input-box input');
  for (;;) {
    await page.keyboard.press('F1');
    await input.waitFor({ state: 'visible', timeout: 10_000 });
    await input.fill(`>${label}`);
    const row = page
      .locator('.quick-input-widget .monaco-list-row')
      .filter({ has: page.locator('.label-name', { hasText: new RegExp(`^\\s*${escapeRe(label)}\\s*$`) }) })
      .first();
    const shown = await row.waitFor({ timeout: 3000 }).then(() => true, () => false);
    if (shown) {
      // The command may open a quick pick of its own at once, so do not wait for the palette to close.
      await row.click();
      log(`ran "${label}" from the command palette`);
      await page.waitForTimeout(500);
      return;
    }
    {
      await page.keyboard.press('Escape');
      if (Date.now() > deadline) throw new Error(`"${label}" did not show in the command palette within ${timeoutMs / 1000} s`);
      await page.waitForTimeout(1000);
    }
  }
}

/** Polls `probe` until it returns a value, or throws after `timeoutMs` naming `what`. */
async function waitFor<T>(what: string, timeoutMs: number, probe: () => T | undefined | Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs / 1000} s waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 500));
  }
}

interface RunOnDisk {
  dir: string;
  valEpochs: number;
  status?: string;
}

/** Runs of `experiment` under the workspace's run store, with their epochs done and status. */
function runsOnDisk(workspace: string, experiment: string): RunOnDisk[] {
  const root = path.join(workspace, '.aem', 'runs', experiment);
  if (!existsSync(root)) return [];
  return readdirSync(root).map((name) => {
    const dir = path.join(root, name);
    const run: RunOnDisk = { dir, valEpochs: 0 };
    const metrics = path.join(dir, 'metrics.jsonl');
    if (existsSync(metrics)) {
      const epochs = new Set<number>();
      for (const line of readFileSync(metrics, 'utf8').split('\n')) {
        try {
          const m = JSON.parse(line) as { split?: string; epoch?: number };
          if (m.split === 'val' && typeof m.epoch === 'number') epochs.add(m.epoch);
        } catch {
          // a line being written
        }
      }
      run.valEpochs = epochs.size;
    }
    try {
      run.status = (JSON.parse(readFileSync(path.join(dir, 'summary.json'), 'utf8')) as { status?: string }).status;
    } catch {
      // not written yet
    }
    return run;
  });
}

/**
 * Drags the side bar's edge to 60 % of the window and folds the Experiments tree so the Live Charts view
 * gets the room; returns how to undo both. Only layout: a step that cannot find the sash leaves it as is.
 */
async function giveChartsRoom(page: Page): Promise<() => Promise<void>> {
  const box = await page.locator('.part.sidebar').boundingBox();
  const viewport = page.viewportSize();
  const tree = page.locator('.part.sidebar .pane-header', { hasText: 'Experiments' }).first();
  if (!box || !viewport) return async () => undefined;
  const drag = async (fromX: number, toX: number): Promise<void> => {
    await page.mouse.move(fromX, box.y + box.height / 2);
    await page.mouse.down();
    await page.mouse.move(toX, box.y + box.height / 2, { steps: 8 });
    await page.mouse.up();
  };
  const edge = box.x + box.width + 1;
  const wide = Math.round(viewport.width * 0.6);
  await drag(edge, wide);
  const folded = await tree.click({ timeout: 5000 }).then(() => true, () => false);
  return async () => {
    if (folded) await tree.click({ timeout: 5000 }).catch(() => undefined);
    const now = await page.locator('.part.sidebar').boundingBox();
    if (now) await drag(now.x + now.width + 1, edge);
  };
}

/** true when `probe` holds in the document of some ready webview (panel, view or notebook outputs). */
async function inSomeWebview(page: Page, probe: (inner: FrameLocator) => Promise<boolean>): Promise<true | undefined> {
  const count = await page.locator('iframe.webview.ready').count();
  for (let i = 0; i < count; i++) {
    if (await probe(page.frameLocator('iframe.webview.ready').nth(i).frameLocator('#active-frame'))) return true;
  }
  return undefined;
}

async function main(): Promise<number> {
  const tools = ensureTools();
  rmSync(outDir, { recursive: true, force: true });
  mkdirSync(outDir, { recursive: true });
  const runDir = mkdtempSync(path.join(os.tmpdir(), 'aem-vscode-e2e-'));
  const workspace = path.join(runDir, 'workspace');
  const stepTimeout = envNumber('AEM_E2E_STEP_TIMEOUT_S', 120) * 1000;
  const trainTimeout = envNumber('AEM_E2E_TRAIN_TIMEOUT_S', 600) * 1000;

  const openDemo = paletteLabel('aemStudio.openDemo');
  const runExperiment = paletteLabel('aemStudio.runExperiment');
  const liveCharts = paletteLabel('aemStudio.showLiveCharts', /live charts?/i);
  const compareSeeds = paletteLabel('aemStudio.compareSeeds', /compare seeds/i);

  let cs: CodeServer | undefined;
  let browser: Browser | undefined;
  let page: Page | undefined;
  let step = 'start';
  let ok = false;
  try {
    if (!openDemo || !runExperiment || !liveCharts || !compareSeeds) {
      throw new Error('package.json lacks one of the commands this test drives: Open Demo Experiment, Run Experiment, Show Live Charts, Compare Seeds');
    }
    // Install the extension the way a user does: the .vsix of `npm run package`, installed with
    // `code-server --install-extension` into this server's fresh extensions folder. The click-through then
    // runs the packaged extension, so a file left out of the package fails here.
    step = 'package the .vsix and install it';
    const vsix = packageVsix(path.join(runDir, `${manifest.name}-${manifest.version}.vsix`)).file;
    const installed = installVsix(tools, runDir, vsix, `${manifest.publisher}.${manifest.name}`);
    if (lstatSync(installed).isSymbolicLink() || existsSync(path.join(installed, 'node_modules'))) throw new Error(`${installed} is not a plain install of the .vsix`);
    log(`extension installed from ${path.basename(vsix)} (${(statSync(vsix).size / 1024 / 1024).toFixed(2)} MB) into ${installed}`);
    cs = await startCodeServer({ tools, runDir, workspace });
    browser = await launchBrowser(tools, runDir);
    page = browser.page;
    page.on('pageerror', (e) => log(`[page error] ${e.message}`));

    step = 'open the workspace';
    await openWorkbench(page, workbenchUrl(cs, workspace));
    await page.waitForTimeout(2000); // let the first notifications and views settle
    await screenshot(page, path.join(outDir, '01-workspace.png'));

    step = openDemo;
    await runFromPalette(page, openDemo, stepTimeout);
    const demoFile = path.join(workspace, 'demo.aem.json');
    await waitFor('demo.aem.json to be written', stepTimeout, () => (existsSync(demoFile) ? true : undefined));
    await page.locator('.tabs-container .tab.active', { hasText: 'demo.aem.json' }).waitFor({ timeout: stepTimeout });
    await page.waitForTimeout(1000);
    await screenshot(page, path.join(outDir, '02-demo-experiment.png'));

    // The tiny synthetic preset (28 training slides of 32-d features) keeps the run short; it barely
    // learns in 4 epochs, so the README's screenshots come from AEM_E2E_PRESET=demo AEM_E2E_EPOCHS=15.
    const preset = process.env.AEM_E2E_PRESET ?? 'tiny';
    if (!['tiny', 'demo'].includes(preset)) throw new Error(`AEM_E2E_PRESET must be tiny or demo, got ${preset}`);
    step = `switch the demo to the ${preset} preset`;
    let text = readFileSync(demoFile, 'utf8');
    const edit = { formattingOptions: { insertSpaces: true, tabSize: 2 } };
    text = applyEdits(text, modify(text, ['data', 'synthetic', 'preset'], preset, edit));
    text = applyEdits(text, modify(text, ['train', 'epochs'], envNumber('AEM_E2E_EPOCHS', 4), edit));
    writeFileSync(demoFile, text);
    await page.locator('.monaco-editor .view-lines', { hasText: `"${preset}"` }).first().waitFor({ timeout: stepTimeout });

    step = runExperiment;
    await runFromPalette(page, runExperiment, stepTimeout);
    const started = await waitFor('the first run to appear in .aem/runs/demo', stepTimeout, () => {
      const runs = runsOnDisk(workspace, 'demo');
      return runs.length > 0 ? runs : undefined;
    });
    log(`training started: ${started.length} run folder(s)`);
    await page.waitForTimeout(1500);
    await screenshot(page, path.join(outDir, '03-run-started.png'));

    // The charts must show this many epochs (2 in CI; more for the README's picture).
    const chartEpochs = envNumber('AEM_E2E_CHART_EPOCHS', 2);
    step = `${chartEpochs} epochs of training`;
    const two = await waitFor('a run with two finished epochs', trainTimeout, () => {
      const runs = runsOnDisk(workspace, 'demo').filter((r) => r.valEpochs >= chartEpochs);
      return runs.length > 0 ? runs : undefined;
    });
    log(`${two.length} run(s) have at least ${chartEpochs} epochs`);

    step = liveCharts;
    await runFromPalette(page, liveCharts, stepTimeout);
    // Contract with the live-charts webview: an element of it carries data-aem-epochs="N" (epochs drawn).
    await waitFor(`a webview showing ${chartEpochs} epochs of live charts (data-aem-epochs >= ${chartEpochs})`, stepTimeout, () =>
      inSomeWebview(page as Page, async (inner) => {
        const n = await inner.locator('[data-aem-epochs]').first().getAttribute('data-aem-epochs', { timeout: 1000 }).catch(() => null);
        return n !== null && Number(n) >= chartEpochs;
      }),
    );
    // For the picture: a wider side bar with the tree folded, as a user watching the charts would have it.
    const restore = await giveChartsRoom(page);
    await page.waitForTimeout(1500);
    await screenshot(page, path.join(outDir, '04-live-charts.png'));
    await restore();

    step = 'all runs to finish';
    const done = await waitFor('every run to finish', trainTimeout, () => {
      const runs = runsOnDisk(workspace, 'demo');
      const failed = runs.find((r) => r.status !== undefined && r.status !== 'done' && r.status !== 'running');
      if (failed) throw new Error(`run ${path.basename(failed.dir)} ended with status ${failed.status ?? '?'}`);
      return runs.length > 0 && runs.every((r) => r.status === 'done') ? runs : undefined;
    });
    log(`${done.length} run(s) finished`);
    step = 'the engine log names the installed engine';
    const engineLine = `engine: ${path.join(installed, 'dist', 'engine.mjs')} on `;
    const logs = path.join(runDir, 'user-data', 'logs');
    const named = readdirSync(logs, { recursive: true, encoding: 'utf8' })
      .filter((f) => f.endsWith('.log'))
      .find((f) => readFileSync(path.join(logs, f), 'utf8').includes(engineLine));
    if (!named) throw new Error(`no log under ${logs} has "${engineLine}…": the runs did not train with the installed .vsix`);
    log(`${named}: ${readFileSync(path.join(logs, named), 'utf8').split('\n').find((l) => l.includes(engineLine))?.trim() ?? ''}`);
    step = compareSeeds;
    await runFromPalette(page, compareSeeds, stepTimeout);
    // It may first ask which experiment to compare.
    const pick = page.locator('.quick-input-widget .monaco-list-row', { hasText: 'demo' }).first();
    if (await pick.waitFor({ timeout: 5000 }).then(() => true, () => false)) await pick.click();
    // Contract with the notebook renderer: each output's root is `.aem-output[data-kind=<show>]`; the
    // pre-filled notebook has a table and charts once its cells have run.
    await waitFor('the comparison notebook to show its table and a chart', trainTimeout, () =>
      inSomeWebview(page as Page, async (inner) => {
        const tables = await inner.locator('.aem-output[data-kind="table"] table').count().catch(() => 0);
        const charts = await inner.locator('.aem-output[data-kind="curves"] canvas').count().catch(() => 0);
        return tables > 0 && charts > 0;
      }),
    );
    await page.mouse.move(700, 880); // off the tab it clicked, so no tooltip covers the picture
    await page.waitForTimeout(1500);
    await screenshot(page, path.join(outDir, '05-compare-seeds.png'));

    // Attention maps from the notebook: the output's button, a pick of two of the six runs, both maps
    // drawn side by side with the patch size read from the h5 files; then a window reload brings the
    // panel back (its webview state names the runs).
    step = 'open the attention maps from the notebook output';
    await waitFor('the "Attention maps…" button of a notebook output', stepTimeout, () =>
      inSomeWebview(page as Page, async (inner) => {
        const button = inner.locator('.aem-output vscode-button[data-action="attention-maps"]').first();
        if ((await button.count().catch(() => 0)) === 0) return false;
        await button.click({ timeout: 2000 });
        return true;
      }),
    );
    const rows = page.locator('.quick-input-widget .quick-input-list .monaco-list-row');
    await rows.first().waitFor({ timeout: stepTimeout });
    await rows.nth(0).click();
    await rows.nth(1).click();
    const checked = await page.locator('.quick-input-widget .quick-input-list .monaco-list-row[aria-checked="true"]').count();
    if (checked !== 2) throw new Error(`picking two runs for the attention maps checked ${checked} rows`);
    await page.keyboard.press('Enter');
    const mapsDrawn = () =>
      waitFor('two attention maps drawn side by side, patch size from the h5 files', trainTimeout, () =>
        inSomeWebview(page as Page, async (inner) => {
          const panes = await inner.locator('[data-count]').first().getAttribute('data-count', { timeout: 1000 }).catch(() => null);
          const drawn = await inner.locator('[data-aem-drawn]').first().getAttribute('data-aem-drawn', { timeout: 1000 }).catch(() => null);
          const patch = await inner.getByText(/patch \d+ px \(h5 patch_size/).count().catch(() => 0);
          return panes === '2' && drawn !== null && Number(drawn) > 0 && patch > 0;
        }),
      );
    await mapsDrawn();
    await page.mouse.move(700, 880);
    await page.waitForTimeout(1000);
    await screenshot(page, path.join(outDir, '06-attention-maps.png'));
    step = 'the attention maps come back after a window reload';
    await runFromPalette(page, 'Developer: Reload Window', stepTimeout);
    await page.locator('.monaco-workbench').first().waitFor({ timeout: stepTimeout });
    await mapsDrawn();
    await screenshot(page, path.join(outDir, 'maps-restored.png'));
    ok = true;
  } catch (e) {
    console.log(`FAIL at step "${step}": ${(e as Error).message}`);
    if (page) await screenshot(page, path.join(outDir, 'failure.png'));
    if (cs) printLog('code-server log', cs.logTail(60));
  } finally {
    await browser?.close();
    await shutDownCodeServer(cs, runDir, path.join(outDir, 'logs'));
  }
  if (ok && process.env.AEM_E2E_UPDATE_MEDIA === '1') {
    // The README's screenshots come from this run: refresh them when the UI changes.
    const media = path.join(repoRoot, 'media', 'screenshots');
    mkdirSync(media, { recursive: true });
    for (const f of readdirSync(outDir).filter((x) => /^\d\d-.*\.png$/.test(x))) copyFileSync(path.join(outDir, f), path.join(media, f));
    console.log(`copied the step screenshots to ${path.relative(process.cwd(), media)}/`);
  }
  console.log(`screenshots: ${path.relative(process.cwd(), outDir)}/`);
  console.log(ok ? 'e2e passed' : 'e2e failed');
  return ok ? 0 : 1;
}

process.exitCode = await main();
