/// <reference types="mocha" />
// Smoke test of the extension in a real VS Code extension host: it is present, activates, and the
// JSON Schema its jsonValidation contribution points at exists.
import * as assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import * as vscode from 'vscode';

import { EXTENSION_ID } from './support.js';

interface Manifest {
  contributes?: { jsonValidation?: { fileMatch: string | string[]; url: string }[] };
}

function extension(): vscode.Extension<unknown> {
  const ext = vscode.extensions.getExtension(EXTENSION_ID);
  assert.ok(ext, `${EXTENSION_ID} is not loaded; extensions: ${vscode.extensions.all.map((e) => e.id).filter((id) => !id.startsWith('vscode.')).join(', ')}`);
  return ext;
}

describe('extension activation (real VS Code extension host)', () => {
  it('is present and activates', async () => {
    const ext = extension();
    await ext.activate();
    assert.equal(ext.isActive, true);
  });

  it('validates *.aem.json against a schema file that exists', () => {
    const ext = extension();
    const manifest = ext.packageJSON as Manifest;
    const entry = manifest.contributes?.jsonValidation?.find((j) => [j.fileMatch].flat().includes('*.aem.json'));
    assert.ok(entry, 'no jsonValidation contribution for *.aem.json');
    const schema = vscode.Uri.joinPath(ext.extensionUri, entry.url).fsPath;
    assert.ok(existsSync(schema), `${schema} does not exist`);
    const parsed = JSON.parse(readFileSync(schema, 'utf8')) as { type?: unknown; properties?: Record<string, unknown> };
    assert.equal(parsed.type, 'object');
    assert.ok(parsed.properties && 'data' in parsed.properties, 'the schema describes no `data` property');
  });
});
