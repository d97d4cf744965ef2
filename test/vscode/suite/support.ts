// What the extension-host test files share: the extension's test API, the workspace folder, tiny
// synthetic experiments written into it, and a polling wait with a timeout.
import * as assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { AemStudioApi } from '../../../src/extension/extension.js';

export const EXTENSION_ID = 'aem-studio.aem-studio';

export async function api(): Promise<AemStudioApi> {
  const ext = vscode.extensions.getExtension<AemStudioApi>(EXTENSION_ID);
  assert.ok(ext, `${EXTENSION_ID} is not loaded`);
  return ext.activate();
}

export function workspaceDir(): string {
  const folder = vscode.workspace.workspaceFolders?.[0];
  assert.ok(folder, 'the tests need a workspace folder');
  return folder.uri.fsPath;
}

/**
 * Writes `<name>.aem.json` into the workspace: the tiny synthetic preset on wasm, `epochs` epochs, lr
 * 1e-3, top-k 20, run store .aem/runs; `extra` adds or replaces top-level sections (seeds, aem, sweep...).
 */
export function writeTinyExperiment(name: string, epochs: number, extra: Record<string, unknown>): vscode.Uri {
  const file = path.join(workspaceDir(), `${name}.aem.json`);
  const experiment = {
    name,
    data: { format: 'synthetic', synthetic: { preset: 'tiny', seed: 0 } },
    train: { epochs, lr: 1e-3, topK: 20 },
    compute: { backend: 'wasm' },
    output: '.aem/runs',
    ...extra,
  };
  writeFileSync(file, `${JSON.stringify(experiment, null, 2)}\n`);
  return vscode.Uri.file(file);
}

/** Polls `probe` every `everyMs` until it gives a value (not undefined or false); fails after `ms`. */
export async function until<T>(what: string, probe: () => T | undefined | false | Promise<T | undefined | false>, ms = 60_000, everyMs = 100): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}
