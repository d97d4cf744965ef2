// The extension asks the real engine bundle (dist/engine.mjs, built by `npm test`) which backends start
// here, and validates its answer.
import assert from 'node:assert/strict';
import path from 'node:path';
import { test } from 'node:test';
import { probeEngineBackends } from '../../src/extension/core/backendProbe.js';
import { parseBackendProbes } from '../../src/protocol/backends.js';
import { projectRoot } from '../helpers/paths.js';

const enginePath = path.join(projectRoot, 'dist', 'engine.mjs');

test('the engine lists every backend in its order of preference, and wasm and cpu start here', async () => {
  const probes = await probeEngineBackends({ execPath: process.execPath, enginePath, env: { ...process.env, AEM_BACKEND_MODULES: '' } });
  assert.deepEqual(
    probes.map((p) => p.name),
    ['tensorflow-gpu', 'webgpu', 'tensorflow', 'wasm', 'cpu'],
  );
  const byName = new Map(probes.map((p) => [p.name, p]));
  assert.equal(byName.get('wasm')?.available, true);
  // Bundled into the engine, so an installed .vsix has it with no node_modules.
  assert.match(byName.get('wasm')?.packages[0]?.found ?? '', /^@tensorflow\/tfjs-backend-wasm 4\.\d+\.\d+ bundled in .*dist[/\\]engine\.mjs$/);
  assert.equal(byName.get('cpu')?.available, true);
  // Not installed in this project: each says so and how to get it.
  const gpu = byName.get('tensorflow-gpu');
  assert.equal(gpu?.available, false);
  assert.equal(gpu?.packages[0]?.found, undefined);
  assert.match(gpu?.reason ?? '', /@tensorflow\/tfjs-node-gpu is not installed.*npm install/);
});

test('an engine that cannot run is reported with its error, not as an empty list', async () => {
  await assert.rejects(
    probeEngineBackends({ execPath: process.execPath, enginePath: path.join(projectRoot, 'dist', 'no-such-engine.mjs'), env: process.env }),
    /the engine could not list its backends .*no-such-engine/s,
  );
});

test('a malformed backend list is rejected with what is wrong', () => {
  assert.throws(() => parseBackendProbes('hello\n'), /printed no backend list/);
  assert.throws(() => parseBackendProbes('[{"name":"cuda","packages":[],"available":true}]\n'), /malformed/);
  const ok = parseBackendProbes('log line\n[{"name":"cpu","packages":[{"name":"@tensorflow/tfjs-backend-cpu","found":"x"}],"available":true}]\n');
  assert.equal(ok[0]?.name, 'cpu');
});
