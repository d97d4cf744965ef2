// The extension's cluster calls (src/extension/core/clusterCli.ts) against the real engine bundle:
// the dry run's script comes back, and the engine's own words come back when it refuses.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { readClusterAnswer, runClusterCli } from '../../src/extension/core/clusterCli.js';
import { projectRoot } from '../helpers/paths.js';

const work = mkdtempSync(path.join(os.tmpdir(), 'aem-cluster-cli-'));
const engine = { execPath: process.execPath, enginePath: path.join(projectRoot, 'dist', 'engine.mjs'), env: { ...process.env, PATH: path.join(work, 'no-bin') }, cwd: work };
const file = path.join(work, 'x.aem.json');
writeFileSync(file, JSON.stringify({ name: 'x', data: { format: 'synthetic', synthetic: { preset: 'tiny' } }, seeds: [0, 1, 2], compute: { cluster: { scheduler: 'slurm', qos: 'long' } }, output: 'runs' }));

test('a dry run through the extension\'s path: the script and the three runs, no job id', async () => {
  const a = await runClusterCli(engine, ['submit', file, '--dry-run']);
  assert.equal(a.ok, true, a.error);
  assert.equal(a.submitted?.jobId, null);
  assert.equal(a.submitted?.runDirs.length, 3);
  assert.match(a.submitted?.scriptText ?? '', /#SBATCH --qos=long/);
  assert.ok(a.messages.some((m) => /dry run: 3 runs/.test(m)));
});

test('no sbatch on PATH: not ok, with the engine\'s message', async () => {
  const a = await runClusterCli(engine, ['submit', file]);
  assert.equal(a.ok, false);
  assert.match(a.error ?? '', /^sbatch is not on PATH/);
});

test('an engine that cannot start is reported, not thrown', async () => {
  const a = await runClusterCli({ ...engine, execPath: path.join(work, 'no-such-node') }, ['queue', file]);
  assert.equal(a.ok, false);
  assert.match(a.error ?? '', /could not start the engine/);
});

test('answers: stderr is the error when the engine printed no JSON error line', () => {
  const a = readClusterAnswer('not json\n', 2, 'aem-train: something plain\n');
  assert.deepEqual([a.ok, a.error], [false, 'something plain']);
});
