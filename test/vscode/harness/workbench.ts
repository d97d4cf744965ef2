// Helpers shared by the extension-host runner and the UI end-to-end test.
import * as path from 'node:path';
import type { Page } from 'playwright-core';
import type { CodeServer } from './codeServer.js';
import { log, withTimeout } from './tools.js';

/** URL of the workbench on `folder`, with an optional VS Code `payload` (extension development/test paths). */
export function workbenchUrl(cs: CodeServer, folder: string, payload?: [string, string][]): string {
  let url = `${cs.origin}/?folder=${encodeURIComponent(folder)}`;
  if (payload) url += `&payload=${encodeURIComponent(JSON.stringify(payload))}`;
  return url;
}

/** vscode-remote URI of a path on the code-server machine. */
export function remoteUri(cs: CodeServer, p: string): string {
  return `vscode-remote://${cs.authority}${path.resolve(p)}`;
}

/** Opens the workbench and waits (with a timeout) until it and its status bar are drawn. */
export async function openWorkbench(page: Page, url: string, timeoutMs = 90_000): Promise<void> {
  await page.goto(url, { timeout: timeoutMs });
  await page.locator('.monaco-workbench').waitFor({ timeout: timeoutMs });
  await page.locator('.part.statusbar').waitFor({ timeout: timeoutMs });
}

/** Screenshot that never throws (a failing screenshot must not hide the real failure). */
export async function screenshot(page: Page, file: string): Promise<void> {
  try {
    await withTimeout(`screenshot ${file}`, 20_000, page.screenshot({ path: file }));
    log(`screenshot ${path.relative(process.cwd(), file)}`);
  } catch (e) {
    log(`could not save screenshot ${file}: ${(e as Error).message}`);
  }
}
