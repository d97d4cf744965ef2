// aemStudio.nodePath: a usable Node is taken and named with its version; one that is missing, is not
// Node, or is older than the engine needs is refused with the reason, and the editor's Node trains.
import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { checkNode, engineProcess, MIN_NODE_MAJOR } from '../../src/extension/core/engineProcess.js';

const work = mkdtempSync(path.join(os.tmpdir(), 'aem-node-check-'));
test.after(() => rmSync(work, { recursive: true, force: true }));

/** An executable that answers `-p process.versions.node` as the given Node would. */
function fakeNodeReporting(version: string): string {
  const file = path.join(work, `node-${version}`);
  writeFileSync(file, `#!/bin/sh\necho ${version}\n`);
  chmodSync(file, 0o755);
  return file;
}

test('no nodePath: the Node running the extension host, named as such', () => {
  const e = engineProcess('', { PATH: '/usr/bin' });
  assert.equal(e.execPath, process.execPath);
  assert.equal(e.problem, undefined);
  assert.match(e.description, /^the Node of this editor \(v\d+\.\d+\.\d+\)$/);
});

test('a configured, recent Node is used and named with its version', () => {
  const e = engineProcess(process.execPath, { ELECTRON_RUN_AS_NODE: '1' });
  assert.equal(e.execPath, process.execPath);
  assert.equal(e.problem, undefined);
  assert.equal(e.env.ELECTRON_RUN_AS_NODE, undefined);
  assert.equal(e.description, `${process.execPath} (${process.version}, from aemStudio.nodePath)`);
});

test('a missing Node is refused with its path, and the editor Node is used instead', () => {
  const missing = path.join(work, 'no-such-node');
  assert.deepEqual(checkNode(missing), { ok: false, problem: `${missing} does not exist` });
  const e = engineProcess(missing, {});
  assert.equal(e.execPath, process.execPath);
  assert.equal(e.problem, `aemStudio.nodePath: ${missing} does not exist`);
});

test('a Node older than the engine needs is refused, naming both versions', () => {
  const old = fakeNodeReporting('18.19.0');
  assert.deepEqual(checkNode(old), { ok: false, problem: `${old} is Node v18.19.0; the engine needs Node ${MIN_NODE_MAJOR} or later` });
  assert.deepEqual(checkNode(fakeNodeReporting('20.0.0')), { ok: true, version: 'v20.0.0' });
});

test('a binary that is not Node is refused with what it printed', () => {
  const r = checkNode('/bin/true');
  assert.equal(r.ok, false);
  assert.match(r.ok ? '' : r.problem, /^\/bin\/true is not a Node\.js binary \(`true -p process\.versions\.node` printed ""\)$/);
});
