// Locates (and on first use installs) the tools the VS Code-in-the-loop tests need: Node 24,
// code-server and chromium, all cached outside the repository by install.sh.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import * as path from 'node:path';

/** The repository root (this file compiles to out/test/vscode/harness/tools.js). */
export const repoRoot = path.resolve(fileURLToPath(new URL('../../../../', import.meta.url)));

export interface Tools {
  cache: string;
  node: string;
  codeServerEntry: string;
  codeServerVersion: string;
  chromium: string;
}

/** Runs install.sh (a no-op when everything is cached) and returns the paths it reports. */
export function ensureTools(): Tools {
  const script = path.join(repoRoot, 'test', 'vscode', 'harness', 'install.sh');
  const t0 = Date.now();
  const r = spawnSync('bash', [script], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], timeout: 20 * 60_000 });
  if (r.error) throw new Error(`install.sh could not run: ${r.error.message}`);
  if (r.status !== 0) throw new Error(`install.sh failed with exit code ${String(r.status ?? r.signal)}`);
  const kv = new Map<string, string>();
  for (const line of r.stdout.split('\n')) {
    const m = /^([A-Z_]+)=(.*)$/.exec(line.trim());
    if (m?.[1] !== undefined && m[2] !== undefined) kv.set(m[1], m[2]);
  }
  const get = (k: string): string => {
    const v = kv.get(k);
    if (v === undefined || v === '') throw new Error(`install.sh did not report ${k}`);
    return v;
  };
  const tools: Tools = {
    cache: get('CACHE'),
    node: get('NODE'),
    codeServerEntry: get('CODE_SERVER_ENTRY'),
    codeServerVersion: get('CODE_SERVER_VERSION'),
    chromium: get('CHROMIUM'),
  };
  for (const p of [tools.node, tools.codeServerEntry, tools.chromium]) {
    if (!existsSync(p)) throw new Error(`install.sh reported ${p}, which does not exist`);
  }
  log(`tools ready in ${((Date.now() - t0) / 1000).toFixed(1)} s: code-server ${tools.codeServerVersion}, cache ${tools.cache}`);
  return tools;
}

const T0 = Date.now();
/** Timestamped harness log line (seconds since the harness started). */
export function log(...parts: unknown[]): void {
  console.log(`[harness ${((Date.now() - T0) / 1000).toFixed(1).padStart(6)}s]`, ...parts);
}

/** Rejects after `ms` with a message naming what was awaited; every wait in the harness goes through it. */
export async function withTimeout<T>(what: string, ms: number, p: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${(ms / 1000).toFixed(0)} s waiting for ${what}`)), ms);
  });
  try {
    return await Promise.race([p, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** A number from the environment, or the default. */
export function envNumber(name: string, dflt: number): number {
  const v = process.env[name];
  if (v === undefined || v === '') return dflt;
  const n = Number(v);
  if (!Number.isFinite(n) || n <= 0) throw new Error(`${name} must be a positive number, got ${JSON.stringify(v)}`);
  return n;
}
