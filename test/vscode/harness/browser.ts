// Headless Debian chromium driven by playwright-core (never `playwright install`).
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import * as path from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { onInterrupt } from './processes.js';
import type { Tools } from './tools.js';

export interface Browser {
  context: BrowserContext;
  page: Page;
  close(): Promise<void>;
}

export async function launchBrowser(tools: Tools, runDir: string, viewport = { width: 1400, height: 900 }): Promise<Browser> {
  mkdirSync(runDir, { recursive: true });
  const udd = mkdtempSync(path.join(runDir, 'chromium-profile-'));
  const context = await chromium.launchPersistentContext(udd, {
    executablePath: tools.chromium,
    headless: true,
    viewport,
    timeout: 60_000,
    env: { ...process.env, XDG_CONFIG_HOME: path.join(runDir, 'xdg', 'config'), XDG_CACHE_HOME: path.join(runDir, 'xdg', 'cache') },
    args: [
      '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage',
    ],
  });
  context.setDefaultTimeout(30_000);
  const page = context.pages()[0] ?? (await context.newPage());
  let closed = false;
  const close = async (): Promise<void> => {
    if (closed) return;
    closed = true;
    unregister();
    await context.close().catch(() => undefined);
    rmSync(udd, { recursive: true, force: true });
  };
  const unregister = onInterrupt(close);
  return { context, page, close };
}
