// Mocha entry point that VS Code's extension host loads through `extensionTestsPath`, in code-server
// (npm run test:vscode) and in desktop VS Code (npm run test:electron). The extension host require()s
// it, so it is built to CommonJS as out/test/vscode/suite/index.cjs (test/vscode/harness/build-suite.mjs);
// it then loads every compiled out/test/vscode/suite/*.test.js (ES modules) with mocha's async loader.
// Test files use mocha's BDD globals (describe/it/before/after) and may `import * as vscode from 'vscode'`.
//
// Prints `N passed, N failed`, writes {passed, failed, pending, failures} to $AEM_VSCODE_TEST_RESULT
// when set, and rejects (so VS Code exits non-zero) on any failure or when no test ran.
import { readdirSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import * as path from 'node:path';
import { format } from 'node:util';
import Mocha from 'mocha';

interface Failure {
  title: string;
  error: string;
}

/** Folder of this file: CommonJS build (`__dirname`) or, if loaded as an ES module, from import.meta. */
function here(): string {
  if (typeof __dirname === 'string') return __dirname;
  return path.dirname(new URL(import.meta.url).pathname);
}

/**
 * ES modules resolve `import 'vscode'` with Node's resolver, which knows nothing of VS Code's module;
 * VS Code only intercepts require(). Where the host does not handle it itself, map 'vscode' to a
 * module that re-exports the API object require('vscode') returns for this extension.
 */
async function ensureEsmCanImportVscode(dir: string): Promise<void> {
  try {
    await import('vscode');
    console.log(`${tag()}ES modules import 'vscode' through the extension host`);
    return;
  } catch {
    // not handled by the host: install the hook below
  }
  const req = createRequire(path.join(dir, 'index.cjs'));
  const api = req('vscode') as Record<string, unknown>;
  const key = '__aemStudioVscodeApi';
  (globalThis as Record<string, unknown>)[key] = api;
  const names = Object.keys(api).filter((k) => /^[A-Za-z_$][\w$]*$/.test(k) && k !== 'default');
  const source =
    `const api = globalThis[${JSON.stringify(key)}];\nexport default api;\n` +
    names.map((n) => `export const ${n} = api[${JSON.stringify(n)}];`).join('\n');
  const url = 'aem-studio-test:vscode';
  const mod = req('node:module') as {
    registerHooks?: (hooks: {
      resolve: (s: string, c: unknown, next: (s: string, c: unknown) => unknown) => unknown;
      load: (u: string, c: unknown, next: (u: string, c: unknown) => unknown) => unknown;
    }) => unknown;
  };
  if (typeof mod.registerHooks !== 'function') {
    throw new Error(`Node ${process.version} has no module.registerHooks, so test files cannot import 'vscode' as an ES module`);
  }
  console.log(`${tag()}ES modules import 'vscode' through a module hook of the test index`);
  mod.registerHooks({
    resolve: (s, c, next) => (s === 'vscode' ? { url, format: 'module', shortCircuit: true } : next(s, c)),
    load: (u, c, next) => (u === url ? { format: 'module', source, shortCircuit: true } : next(u, c)),
  });
}

/** Prefix of the lines the suite prints, so a harness can pick them out of the workbench's console. */
function tag(): string {
  return process.env.AEM_VSCODE_LOG_TAG ?? '';
}

export async function run(): Promise<void> {
  const dir = here();
  const say = (...data: unknown[]): void => console.log(tag() + format(...data));
  Mocha.reporters.Base.consoleLog = say;
  const files = readdirSync(dir).filter((f) => f.endsWith('.test.js')).sort();
  const timeout = Number(process.env.AEM_VSCODE_TEST_TIMEOUT_MS ?? 60_000);
  const mocha = new Mocha({ ui: 'bdd', color: false, timeout, reporter: 'spec' });
  // AEM_VSCODE_GREP=pattern runs only the tests whose full title matches (while developing one feature).
  if (process.env.AEM_VSCODE_GREP) mocha.grep(new RegExp(process.env.AEM_VSCODE_GREP));
  for (const f of files) mocha.addFile(path.join(dir, f));
  say(`mocha: ${files.length} test file(s) in ${dir}: ${files.join(', ')}`);

  const failures: Failure[] = [];
  let passed = 0;
  let pending = 0;
  let loadError: Failure | undefined;
  try {
    await ensureEsmCanImportVscode(dir);
    await mocha.loadFilesAsync();
  } catch (e) {
    loadError = { title: 'loading the test files', error: e instanceof Error ? (e.stack ?? e.message) : String(e) };
    failures.push(loadError);
  }
  if (!loadError) {
    await new Promise<void>((resolve) => {
      const runner = mocha.run(() => resolve());
      runner.on('pass', () => passed++);
      runner.on('pending', () => pending++);
      runner.on('fail', (t, err: unknown) => {
        const error = err instanceof Error ? (err.stack ?? err.message) : String(err);
        failures.push({ title: t.fullTitle(), error });
      });
    });
  }
  const failed = failures.length;
  const summary = `${passed} passed, ${failed} failed`;
  for (const f of failures.filter((x) => x === loadError)) say(`FAILED: ${f.title}\n${f.error}`);
  say(summary);
  const out = process.env.AEM_VSCODE_TEST_RESULT;
  if (out) writeFileSync(out, JSON.stringify({ passed, failed, pending, failures }, null, 2));
  if (loadError) throw new Error(`could not load the tests: ${loadError.error}`);
  if (failed > 0) throw new Error(summary);
  if (passed === 0) throw new Error('no tests ran');
}
