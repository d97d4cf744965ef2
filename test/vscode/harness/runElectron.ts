// `npm run test:electron`: the same mocha suite as `npm run test:vscode`, in desktop VS Code through
// @vscode/test-electron. VS Code comes from $VSCODE_EXECUTABLE_PATH when set, otherwise it is
// downloaded (version $AEM_VSCODE_VERSION, default stable) into the tool cache; where it can be
// neither found nor downloaded (no internet), this fails within seconds and says so.
// Prints `N passed, N failed`; exits non-zero on any failure or on zero tests.
import { spawnSync } from 'node:child_process';
import { lookup } from 'node:dns/promises';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { runTests } from '@vscode/test-electron';
import type { SuiteResult } from './runExtensionTests.js';
import { buildSuiteIndex } from './suiteIndex.js';
import { log, repoRoot, withTimeout } from './tools.js';

const outDir = path.join(repoRoot, 'test-output', 'electron');
const DOWNLOAD_HOST = 'update.code.visualstudio.com';

function hasCommand(cmd: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;
}

async function canDownload(): Promise<string | undefined> {
  try {
    await withTimeout(`DNS lookup of ${DOWNLOAD_HOST}`, 5000, lookup(DOWNLOAD_HOST));
    const r = await fetch(`https://${DOWNLOAD_HOST}/api/releases/stable`, { signal: AbortSignal.timeout(10_000) });
    return r.ok ? undefined : `https://${DOWNLOAD_HOST} answered HTTP ${r.status}`;
  } catch (e) {
    return `cannot reach ${DOWNLOAD_HOST}: ${(e as Error).message}`;
  }
}

function unavailable(reason: string): number {
  console.log(
    `test:electron needs desktop VS Code and cannot get it: ${reason}.\n` +
      '  Give one with VSCODE_EXECUTABLE_PATH=/path/to/code (a VS Code >= 1.90 desktop binary), or run the same\n' +
      '  suite offline in code-server with `npm run test:vscode`.',
  );
  console.log('0 passed, 0 failed (suite not run)');
  return 1;
}

async function main(): Promise<number> {
  const exe = process.env.VSCODE_EXECUTABLE_PATH;
  if (exe !== undefined && exe !== '' && !existsSync(exe)) return unavailable(`VSCODE_EXECUTABLE_PATH=${exe} does not exist`);
  if (!exe) {
    const why = await canDownload();
    if (why !== undefined) return unavailable(why);
  }
  // Electron needs a display; re-run under xvfb-run where there is none.
  if (!process.env.DISPLAY && process.env.AEM_UNDER_XVFB !== '1') {
    if (!hasCommand('xvfb-run')) return unavailable('there is no $DISPLAY and no xvfb-run (apt-get install xvfb)');
    const r = spawnSync('xvfb-run', ['-a', process.execPath, ...process.argv.slice(1)], { stdio: 'inherit', env: { ...process.env, AEM_UNDER_XVFB: '1' } });
    return r.status ?? 1;
  }

  const testsIndex = await buildSuiteIndex();
  rmSync(outDir, { recursive: true, force: true });
  mkdirSync(outDir, { recursive: true });
  const runDir = mkdtempSync(path.join(os.tmpdir(), 'aem-vscode-electron-'));
  const workspace = path.join(runDir, 'workspace');
  mkdirSync(workspace);
  const resultFile = path.join(outDir, 'results.json');
  const cache = process.env.AEM_VSCODE_CACHE ?? path.join(os.homedir(), '.cache', 'aem-studio-vscode');
  const rootArgs = process.getuid?.() === 0 ? ['--no-sandbox'] : [];
  let exitCode: number;
  try {
    exitCode = await runTests({
      ...(exe ? { vscodeExecutablePath: exe } : { version: process.env.AEM_VSCODE_VERSION ?? 'stable', cachePath: path.join(cache, 'vscode-test') }),
      extensionDevelopmentPath: repoRoot,
      extensionTestsPath: testsIndex,
      extensionTestsEnv: { AEM_VSCODE_TEST_RESULT: resultFile, AEM_VSCODE_TEST_WORKSPACE: workspace },
      launchArgs: [workspace, '--disable-extensions', '--disable-workspace-trust', '--skip-welcome', '--skip-release-notes',
        '--user-data-dir', path.join(runDir, 'user-data'), '--extensions-dir', path.join(runDir, 'extensions'), ...rootArgs],
    });
  } catch (e) {
    exitCode = 1;
    log(`VS Code exited with an error: ${(e as Error).message}`);
  } finally {
    rmSync(runDir, { recursive: true, force: true });
  }
  if (!existsSync(resultFile)) {
    console.log('the suite never reported: VS Code did not start or the test index did not load');
    console.log('0 passed, 1 failed');
    return 1;
  }
  const r = JSON.parse(readFileSync(resultFile, 'utf8')) as SuiteResult;
  for (const f of r.failures) console.log(`  FAILED ${f.title}: ${f.error.split('\n')[0] ?? ''}`);
  console.log(`${r.passed} passed, ${r.failed} failed${r.pending ? `, ${r.pending} pending` : ''}`);
  return r.failed === 0 && r.passed > 0 && exitCode === 0 ? 0 : 1;
}

process.exitCode = await main();
