// Set Up Backend without vscode: what it offers (GPU and CPU backends, matching the catalog the engine's
// backends are checked against), and why an install failed, from what npm really printed here:
// fixtures/npm-tfjs-node-no-libtensorflow.txt is `npm install --prefix /tmp/x @tensorflow/tfjs-node@4.22.0` on a
// machine that reaches the npm registry but not storage.googleapis.com; fixtures/npm-registry-refused.txt is
// `npm install --registry http://127.0.0.1:9/ left-pad@1.3.0`.
import assert from 'node:assert/strict';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { BACKEND_CATALOG } from '../../src/extension/core/backendCatalog.js';
import { BACKEND_SETUPS, installFailureReason, isSetupBackend, npmInstall } from '../../src/extension/core/backendSetup.js';
import { projectRoot } from '../helpers/paths.js';

const fixtures = path.join(projectRoot, 'test/extension/fixtures');
const lines = (file: string) => readFileSync(path.join(fixtures, file), 'utf8').split('\n').filter((l) => l.trim());
const TFJS_NODE = ['@tensorflow/tfjs-node@4.22.0'];
const LIBTENSORFLOW_URL = 'https://storage.googleapis.com/tensorflow/libtensorflow/libtensorflow-cpu-linux-x86_64-2.9.1.tar.gz';

test('Set Up Backend offers every optional backend of the catalog, the CPU one (tfjs-node) included, at the engine\'s tfjs-core version', () => {
  const optional = BACKEND_CATALOG.filter((e) => e.packages.length > 0);
  assert.deepEqual(BACKEND_SETUPS.map((s) => s.backend).sort(), optional.map((e) => e.name).sort());
  for (const entry of optional) {
    const setup = BACKEND_SETUPS.find((s) => s.backend === entry.name);
    const names = setup?.specs('4.22.0').map((spec) => spec.replace(/(.)@.*$/, '$1'));
    assert.deepEqual(names, entry.packages, `${entry.name}: installs what the catalog checks for`);
    assert.match(entry.needs, /"AEM: Set Up Backend"/, `${entry.name}: the catalog names the command`);
  }
  const cpu = BACKEND_SETUPS.find((s) => s.backend === 'tensorflow');
  assert.equal(cpu?.device, 'CPU');
  assert.deepEqual(cpu?.specs('4.22.0'), TFJS_NODE);
  assert.match(cpu?.detail ?? '', /storage\.googleapis\.com: its install downloads libtensorflow 2\.9\.1 \(CPU\)/);
  assert.match(cpu?.detail ?? '', /wasm/);
  assert.deepEqual(BACKEND_SETUPS.filter((s) => s.device === 'GPU').map((s) => s.backend), ['webgpu', 'tensorflow-gpu']);
  assert.equal(isSetupBackend('tensorflow'), true);
  assert.equal(isSetupBackend('wasm'), false, 'wasm is built in, nothing to set up');
  assert.equal(isSetupBackend(7), false);
});

test('the command is "AEM: Set Up Backend", and its old id still activates the extension', () => {
  const manifest = JSON.parse(readFileSync(path.join(projectRoot, 'package.json'), 'utf8')) as {
    activationEvents: string[];
    contributes: { commands: { command: string; title: string; category?: string }[] };
  };
  const command = manifest.contributes.commands.find((c) => c.command === 'aemStudio.setUpBackend');
  assert.equal(`${command?.category}: ${command?.title}`, 'AEM: Set Up Backend');
  assert.equal(manifest.contributes.commands.some((c) => /GPU Backend/.test(c.title)), false);
  assert.ok(manifest.activationEvents.includes('onCommand:aemStudio.setUpGpuBackend'));
  const extension = readFileSync(path.join(projectRoot, 'src/extension/extension.ts'), 'utf8');
  assert.match(extension, /command\(SET_UP_BACKEND_OLD_COMMAND, setUp\)/, 'the old id is registered as an alias');
});

test('a tfjs-node install that reaches npm but not the libtensorflow download says so, with the URL, the error and what to do', () => {
  const reason = installFailureReason(TFJS_NODE, lines('npm-tfjs-node-no-libtensorflow.txt'), 1, '/storage/backends');
  assert.ok(
    reason.startsWith(
      `@tensorflow/tfjs-node came from the npm registry, but its install script could not download libtensorflow from ${LIBTENSORFLOW_URL} ` +
        '(getaddrinfo ENOTFOUND storage.googleapis.com): this machine cannot reach storage.googleapis.com. ',
    ),
    reason,
  );
  assert.match(reason, /HTTPS_PROXY/);
  assert.match(reason, /run Set Up Backend again, or run `npm install --prefix DIR @tensorflow\/tfjs-node@4\.22\.0` on a machine of the same system that can reach it and copy DIR\/node_modules to \/storage\/backends\/node_modules;/);
  assert.match(reason, /the bundled wasm backend trains without it$/);
});

test('a registry that cannot be reached is named as such, not as a libtensorflow problem', () => {
  const reason = installFailureReason(TFJS_NODE, lines('npm-registry-refused.txt'), 1, '/storage/backends');
  assert.equal(
    reason,
    'npm cannot reach the registry (request to http://127.0.0.1:9/left-pad failed, reason: connect ECONNREFUSED 127.0.0.1:9); this machine is offline or behind a proxy ' +
      "(set HTTPS_PROXY, or npm's registry setting): @tensorflow/tfjs-node@4.22.0 must come from the npm registry",
  );
  assert.match(installFailureReason(TFJS_NODE, ['npm error code E404', 'npm error 404 Not Found - GET https://registry.npmjs.org/x'], 1, '/p'), /has no @tensorflow\/tfjs-node@4\.22\.0 \(404\)/);
  assert.equal(installFailureReason(TFJS_NODE, ['npm error something else'], 3, '/p'), 'npm exited with code 3; its last lines are in the log');
});

test('npmInstall runs npm install --prefix with the specs, streams its lines and returns the reason', { skip: process.platform === 'win32' ? 'the stand-in npm is a POSIX script' : false }, async () => {
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'aem-setup-'));
  try {
    // A stand-in npm: records its arguments, prints the real failure output, exits 1.
    const fakeNpm = path.join(tmp, 'npm');
    const argsFile = path.join(tmp, 'args.json');
    writeFileSync(
      fakeNpm,
      `#!${process.execPath}\nconst fs = require('fs');\nfs.writeFileSync(${JSON.stringify(argsFile)}, JSON.stringify(process.argv.slice(2)));\n` +
        `process.stdout.write('added 0 packages\\n');\nprocess.stderr.write(fs.readFileSync(${JSON.stringify(path.join(fixtures, 'npm-tfjs-node-no-libtensorflow.txt'))}, 'utf8'));\nprocess.exit(1);\n`,
    );
    chmodSync(fakeNpm, 0o755);
    const prefix = path.join(tmp, 'backends');
    const seen: string[] = [];
    const result = await npmInstall(prefix, TFJS_NODE, (line) => seen.push(line), fakeNpm);
    assert.deepEqual(JSON.parse(readFileSync(argsFile, 'utf8')), ['install', '--prefix', prefix, '--no-audit', '--no-fund', ...TFJS_NODE]);
    assert.ok(existsSync(path.join(prefix, 'package.json')), 'the install folder gets a package.json of its own');
    assert.equal(result.ok, false);
    assert.equal(result.code, 1);
    assert.equal(seen.length, 29);
    assert.deepEqual(result.tail, seen.slice(-30));
    assert.match(result.reason ?? '', /could not download libtensorflow from https:\/\/storage\.googleapis\.com\/.*\(getaddrinfo ENOTFOUND storage\.googleapis\.com\)/);

    const missing = await npmInstall(prefix, TFJS_NODE, () => undefined, path.join(tmp, 'no-such-npm'));
    assert.equal(missing.ok, false);
    assert.match(missing.reason ?? '', /^npm could not be started \(spawn .*no-such-npm ENOENT\): install Node\.js with npm/);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
});
