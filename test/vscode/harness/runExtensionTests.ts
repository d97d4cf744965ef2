// `npm run test:vscode`: runs the mocha suite (out/test/vscode/suite) inside the real Node extension
// host of code-server (VS Code's server), driven by headless chromium. The repository is the
// extension under development. Prints `N passed, N failed`; exits non-zero on any failure, on zero
// tests, on a timeout, or when the suite never reports. Artifacts: test-output/vscode/.
import { appendFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { format } from 'node:util';
import { launchBrowser, type Browser } from './browser.js';
import { printLog, shutDownCodeServer, startCodeServer, type CodeServer } from './codeServer.js';
import { buildSuiteIndex } from './suiteIndex.js';
import { ensureTools, envNumber, log, repoRoot, withTimeout } from './tools.js';
import { openWorkbench, remoteUri, screenshot, workbenchUrl } from './workbench.js';

export interface SuiteResult {
  passed: number;
  failed: number;
  pending: number;
  failures: { title: string; error: string }[];
}

const outDir = path.join(repoRoot, 'test-output', 'vscode');
const TAG = '[aem-suite] ';

async function main(): Promise<number> {
  const testsIndex = await buildSuiteIndex();
  const tools = ensureTools();
  rmSync(outDir, { recursive: true, force: true });
  mkdirSync(outDir, { recursive: true });
  // Server state and the workspace live outside the repository (nothing there for eslint/tsc to find).
  const runDir = mkdtempSync(path.join(os.tmpdir(), 'aem-vscode-suite-'));
  const workspace = path.join(runDir, 'workspace');
  const resultFile = path.join(outDir, 'results.json');
  const consoleFile = path.join(outDir, 'workbench-console.log');
  const testEnv = { AEM_VSCODE_TEST_RESULT: resultFile, AEM_VSCODE_TEST_WORKSPACE: workspace, AEM_VSCODE_LOG_TAG: TAG, ...(process.env.AEM_VSCODE_GREP ? { AEM_VSCODE_GREP: process.env.AEM_VSCODE_GREP } : {}) };
  const suiteTimeoutMs = envNumber('AEM_VSCODE_SUITE_TIMEOUT_S', 600) * 1000;

  let cs: CodeServer | undefined;
  let browser: Browser | undefined;
  let code = 1;
  try {
    // enable-smoke-test-driver makes the workbench call window.codeAutomationExit / codeAutomationLog.
    cs = await startCodeServer({ tools, runDir, workspace, extraArgs: ['--vscode-option', 'enable-smoke-test-driver'], env: testEnv });
    browser = await launchBrowser(tools, runDir);
    const { page } = browser;
    let resolveExit: (c: number) => void = () => undefined;
    const exited = new Promise<number>((r) => (resolveExit = r));
    // The workbench's console (its own and the extension host's) goes to a file; the suite's lines,
    // tagged by the test index, also to stdout.
    await page.exposeFunction('codeAutomationLog', (_type: string, args: unknown) => {
      const list = Array.isArray(args) ? (args as unknown[]) : [args];
      const text = typeof list[0] === 'string' ? format(...(list as [string, ...unknown[]])) : list.map((a) => JSON.stringify(a)).join(' ');
      appendFileSync(consoleFile, text + '\n');
      if (text.startsWith(TAG)) for (const line of text.slice(TAG.length).split('\n')) console.log(`  ${line}`);
    });
    await page.exposeFunction('codeAutomationExit', (c: number) => resolveExit(c));
    page.on('pageerror', (e) => appendFileSync(consoleFile, `[page error] ${e.message}\n`));

    const payload: [string, string][] = [
      ['extensionDevelopmentPath', remoteUri(cs, repoRoot)],
      ['extensionTestsPath', remoteUri(cs, testsIndex)],
      ['extensionEnvironment', JSON.stringify(testEnv)],
    ];
    log('opening the workbench with the extension under development and its tests');
    try {
      await openWorkbench(page, workbenchUrl(cs, workspace, payload));
    } catch (e) {
      await screenshot(page, path.join(outDir, 'failure-workbench.png'));
      throw e;
    }
    log('workbench drawn; the extension host runs the suite');
    let exitCode: number;
    try {
      exitCode = await withTimeout('the extension-host suite to finish', suiteTimeoutMs, exited);
    } catch (e) {
      await screenshot(page, path.join(outDir, 'failure-timeout.png'));
      throw e;
    }
    log(`extension host exited with code ${exitCode}`);

    if (!existsSync(resultFile)) {
      console.log(`the suite never reported (no ${path.relative(repoRoot, resultFile)}): the test index did not load or crashed; see ${path.relative(repoRoot, consoleFile)}`);
      console.log('0 passed, 1 failed');
      return 1;
    }
    const r = JSON.parse(readFileSync(resultFile, 'utf8')) as SuiteResult;
    if (r.failures.length > 0) console.log('\nfailures:');
    for (const f of r.failures) console.log(`  ${f.title}: ${f.error.split('\n')[0] ?? ''}`);
    if (r.passed + r.failed === 0) console.log('no tests ran: the suite is empty or no *.test.js file was found');
    code = r.failed === 0 && r.passed > 0 && exitCode === 0 ? 0 : 1;
    console.log(`${r.passed} passed, ${r.failed} failed${r.pending ? `, ${r.pending} pending` : ''}`);
    return code;
  } catch (e) {
    if (cs) printLog('code-server log', cs.logTail(80));
    console.log(`ERROR: ${(e as Error).message}`);
    console.log('0 passed, 1 failed');
    return 1;
  } finally {
    await browser?.close();
    await shutDownCodeServer(cs, runDir, path.join(outDir, 'logs'));
    if (code !== 0) log(`logs and screenshots: ${path.relative(process.cwd(), outDir)}/`);
  }
}

process.exitCode = await main();
