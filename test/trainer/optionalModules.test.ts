// Optional backend packages: found first where the engine itself resolves packages, then in each folder of
// AEM_BACKEND_MODULES, imported by file URL, with the folder recorded; a backend package loaded from such a
// folder registers with this engine's tfjs-core and becomes the active backend, or the run stops saying why.
// Each test builds real node_modules folders in a tmp dir: a copy of the installed `yaml` package and
// small hand-written packages (package.json + index.js).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { backendModuleFolders, findOptionalModule, loadModule, OptionalModuleNotFoundError, requireOptionalModule } from '../../src/trainer/optionalModules.js';
import { BackendUnavailableError, selectBackend } from '../../src/trainer/backend.js';

const require = createRequire(import.meta.url);
const tmp = mkdtempSync(path.join(os.tmpdir(), 'aem-optional-'));
process.on('exit', () => rmSync(tmp, { recursive: true, force: true }));

/** Writes <root>/node_modules/<name>/{package.json,index.js} and returns that node_modules folder. */
function writePackage(root: string, name: string, pkg: Record<string, unknown>, files: Record<string, string>): string {
  const dir = path.join(root, 'node_modules', ...name.split('/'));
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name, ...pkg }));
  for (const [file, text] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
    writeFileSync(path.join(dir, file), text);
  }
  return path.join(root, 'node_modules');
}

const folderA = writePackage(path.join(tmp, 'a'), 'aem-probe', { version: '1.0.0', type: 'module', main: 'index.js' }, { 'index.js': "export const where = 'a';\n" });
const folderB = writePackage(path.join(tmp, 'b'), 'aem-probe', { version: '2.0.0', exports: { '.': { import: './lib/main.mjs', require: './lib/main.cjs' } } }, {
  'lib/main.mjs': "export const where = 'b';\n",
  'lib/main.cjs': "exports.where = 'b-cjs';\n",
});
writePackage(path.join(tmp, 'b'), '@aem-test/scoped', { version: '3.1.4' }, { 'index.js': "module.exports = { scoped: true };\n" });

test('AEM_BACKEND_MODULES: a path-delimiter list, empty entries dropped, made absolute', () => {
  assert.deepEqual(backendModuleFolders({ AEM_BACKEND_MODULES: `${folderA}${path.delimiter}${path.delimiter}${folderB} ${path.delimiter}${folderA}` }), [folderA, folderB]);
  assert.deepEqual(backendModuleFolders({}), []);
  assert.deepEqual(backendModuleFolders({ AEM_BACKEND_MODULES: 'rel/node_modules' }), [path.resolve('rel/node_modules')]);
});

test('extra folders are searched in order; the folder and version found are recorded; it loads by file URL', async () => {
  const first = findOptionalModule('aem-probe', { extraFolders: [folderA, folderB] });
  assert.ok(first);
  assert.equal(first.version, '1.0.0');
  assert.equal(first.folder, folderA);
  assert.equal(first.origin, 'AEM_BACKEND_MODULES');
  assert.equal(first.dir, path.join(folderA, 'aem-probe'));
  assert.equal(((await loadModule(first)) as { where: string }).where, 'a');

  const second = findOptionalModule('aem-probe', { extraFolders: [folderB, folderA] });
  assert.ok(second);
  assert.equal(second.version, '2.0.0');
  assert.equal(second.entry, path.join(folderB, 'aem-probe', 'lib', 'main.mjs'), 'exports["."] with the import condition');
  assert.equal(((await loadModule(second)) as { where: string }).where, 'b');

  const scoped = findOptionalModule('@aem-test/scoped', { extraFolders: [folderA, folderB] });
  assert.ok(scoped);
  assert.equal(scoped.folder, folderB);
  assert.equal(((await loadModule(scoped)) as { default: { scoped: boolean } }).default.scoped, true);
});

test("the project's own node_modules comes before AEM_BACKEND_MODULES", async () => {
  // A copy of the real `yaml` package, with another version, in an extra folder: the project's wins.
  const extra = path.join(tmp, 'yaml-copy', 'node_modules');
  const projectYaml = path.dirname(require.resolve('yaml/package.json'));
  cpSync(projectYaml, path.join(extra, 'yaml'), { recursive: true });
  const found = findOptionalModule('yaml', { extraFolders: [extra] });
  assert.ok(found);
  assert.equal(found.origin, 'project');
  assert.equal(found.dir, projectYaml);
  assert.equal(found.version, (require('yaml/package.json') as { version: string }).version);

  // Seen from a place with no yaml of its own, the same copy is found in the extra folder, and works.
  const elsewhere = path.join(tmp, 'elsewhere', 'engine.mjs');
  const fromExtra = findOptionalModule('yaml', { from: elsewhere, extraFolders: [folderA, extra] });
  assert.ok(fromExtra);
  assert.equal(fromExtra.origin, 'AEM_BACKEND_MODULES');
  assert.equal(fromExtra.dir, path.join(extra, 'yaml'));
  const yaml = await loadModule<{ parse: (text: string) => unknown }>(fromExtra);
  assert.deepEqual(yaml.parse('a: [1, 2]'), { a: [1, 2] });

  // A package in the engine's own tree (here: the tmp "project" of `from`) comes first.
  const ownRoot = path.join(tmp, 'own');
  writePackage(ownRoot, 'aem-probe', { version: '0.9.0', main: 'index.js' }, { 'index.js': "exports.where = 'own';\n" });
  const own = findOptionalModule('aem-probe', { from: path.join(ownRoot, 'dist', 'engine.mjs'), extraFolders: [folderA, folderB] });
  assert.ok(own);
  assert.equal(own.origin, 'project');
  assert.equal(own.version, '0.9.0');
});

test('a package in no folder: undefined, or an error naming the package and every folder searched', () => {
  const options = { from: path.join(tmp, 'elsewhere', 'engine.mjs'), extraFolders: [folderA, folderB] };
  assert.equal(findOptionalModule('aem-no-such-package', options), undefined);
  assert.throws(
    () => requireOptionalModule('aem-no-such-package', options),
    (err: unknown) => {
      assert.ok(err instanceof OptionalModuleNotFoundError);
      assert.equal(
        err.message,
        `aem-no-such-package is not installed (looked in ${path.join(tmp, 'elsewhere', 'node_modules')} (and the folders above it), ${folderA} (AEM_BACKEND_MODULES), ${folderB} (AEM_BACKEND_MODULES))`,
      );
      return true;
    },
  );
});

test('webgpu missing everywhere: the backend error names the AEM_BACKEND_MODULES folder and how to install', async (t) => {
  if (findOptionalModule('webgpu', { extraFolders: [] })) return t.skip('webgpu is installed in this project');
  const saved = process.env.AEM_BACKEND_MODULES;
  process.env.AEM_BACKEND_MODULES = folderA;
  try {
    await assert.rejects(selectBackend('webgpu'), (err: unknown) => {
      assert.ok(err instanceof BackendUnavailableError);
      assert.match(err.message, /^backend "webgpu" is not available: webgpu is not installed; install it with `npm install webgpu @tensorflow\/tfjs-backend-webgpu`/);
      assert.match(err.message, /; looked in \S*node_modules \(and the folders above it\), /);
      assert.ok(err.message.endsWith(`, ${folderA} (AEM_BACKEND_MODULES)`), err.message);
      return true;
    });
  } finally {
    if (saved === undefined) delete process.env.AEM_BACKEND_MODULES;
    else process.env.AEM_BACKEND_MODULES = saved;
  }
});

test('a backend package from AEM_BACKEND_MODULES registers with this engine and becomes the active backend, or fails saying so', async (t) => {
  if (findOptionalModule('@tensorflow/tfjs-node', { extraFolders: [] })) return t.skip('@tensorflow/tfjs-node is installed in this project');
  // A stand-in @tensorflow/tfjs-node: registers the cpu kernels' backend under tfjs's name "tensorflow".
  const core = JSON.stringify(require.resolve('@tensorflow/tfjs-core'));
  const cpu = JSON.stringify(require.resolve('@tensorflow/tfjs-backend-cpu'));
  const good = writePackage(path.join(tmp, 'gpu-backend'), '@tensorflow/tfjs-node', { version: '4.22.0', main: 'dist/index.js' }, {
    'dist/index.js': `const tf = require(${core}); const { MathBackendCPU } = require(${cpu});\ntf.registerBackend('tensorflow', () => new MathBackendCPU());\n`,
  });
  const silent = writePackage(path.join(tmp, 'broken-backend'), '@tensorflow/tfjs-node', { version: '4.22.0', main: 'index.js' }, { 'index.js': '// registers nothing\n' });
  const saved = process.env.AEM_BACKEND_MODULES;
  try {
    process.env.AEM_BACKEND_MODULES = `${silent}${path.delimiter}${good}`;
    await assert.rejects(selectBackend('tensorflow'), /@tensorflow\/tfjs-node 4\.22\.0 from .*broken-backend.* \(AEM_BACKEND_MODULES\) loaded but did not register a "tensorflow" backend/);
    assert.equal(tf.findBackendFactory('tensorflow'), null);

    process.env.AEM_BACKEND_MODULES = `${path.join(tmp, 'missing')}${path.delimiter}${good}`;
    const info = await selectBackend('tensorflow');
    assert.equal(tf.getBackend(), 'tensorflow');
    assert.equal(info.tfName, 'tensorflow');
    assert.equal(info.version, '4.22.0');
    assert.equal(info.from, `@tensorflow/tfjs-node 4.22.0 from ${good} (AEM_BACKEND_MODULES)`);
  } finally {
    if (saved === undefined) delete process.env.AEM_BACKEND_MODULES;
    else process.env.AEM_BACKEND_MODULES = saved;
  }
});
