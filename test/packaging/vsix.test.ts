// The .vsix that `npm run package` builds: it holds every file the installed extension loads at run time
// and nothing else but its documents, within a size budget, and the engine inside it trains from an
// unpacked copy outside the repository, with no node_modules anywhere (the "nothing else installed"
// claim). Runs on the dist/ and media/ that `npm test` has just built.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { parseEngineEventLine, type EngineEvent } from '../../src/protocol/events.js';
import { projectRoot } from '../helpers/paths.js';
import { extractVsix, packageVsix, vsixEntries, type VsixEntry } from '../helpers/vsix.js';

/** Every file the installed extension loads, and what loads it. */
const LOADED_AT_RUN_TIME: Record<string, string> = {
  'package.json': 'VS Code (the manifest)',
  'dist/extension.cjs': 'VS Code (package.json main)',
  'dist/engine.mjs': 'the run manager forks it (src/extension/extension.ts)',
  'dist/bagReaderWorker.js': 'the engine starts it as a worker thread (src/data/bagReaderPool.ts)',
  'dist/tfjs-backend-wasm.wasm': "tfjs-backend-wasm, from beside the engine, on CPUs without wasm SIMD",
  'dist/tfjs-backend-wasm-simd.wasm': 'tfjs-backend-wasm, from beside the engine, with wasm SIMD',
  'dist/tfjs-backend-wasm-threaded-simd.wasm': 'the engine, on wasm with compute.threads above 1 (src/trainer/wasmThreads.ts)',
  'media/dist/liveCharts.js': 'the Live Charts webview (src/extension/liveCharts/viewProvider.ts)',
  'media/liveCharts.css': 'the Live Charts webview',
  'media/dist/attentionMaps.js': 'the Attention Maps webview (src/extension/attentionMaps/)',
  'media/attentionMaps.css': 'the Attention Maps webview',
  'media/dist/notebookRenderer.js': 'VS Code (contributes.notebookRenderer)',
  'media/experiment.schema.json': 'VS Code (contributes.jsonValidation)',
  'media/demo.aem.json': 'Open Demo Experiment (src/extension/experimentCommands.ts)',
  'media/aem.svg': 'VS Code (the activity-bar and view icons)',
  'media/icon.png': 'VS Code and the Marketplace (package.json icon)',
};

/** Shown, not loaded: the README (and what it links to), changelog and licence, as vsce names them. */
const DOCUMENTS = ['readme.md', 'changelog.md', 'LICENSE.txt', 'docs/gpu.md', 'docs/attention-pack.md', 'docs/auto-lambda.md', 'docs/cpu.md', 'docs/memory.md', 'docs/transmil-learning.md', 'media/screenshots/04-live-charts.png', 'media/screenshots/05-compare-seeds.png', 'media/screenshots/06-attention-maps.png'];

/** The archive's own files, outside extension/. */
const VSIX_OWN = ['[Content_Types].xml', 'extension.vsixmanifest'];

/** The .vsix must stay small enough to install quickly; it is about 3.7 MB today. */
const SIZE_BUDGET_BYTES = 6 * 1024 * 1024;

/** Packages loaded at run time from node_modules or AEM_BACKEND_MODULES, never bundled (optional backends). */
const OPTIONAL_PACKAGES = ['webgpu', '@tensorflow/tfjs-node', '@tensorflow/tfjs-node-gpu', '@tensorflow/tfjs-backend-webgpu'];

const work = mkdtempSync(path.join(os.tmpdir(), 'aem-vsix-test-'));
test.after(() => rmSync(work, { recursive: true, force: true }));

let packaged: { file: string; output: string; entries: VsixEntry[] } | undefined;
async function vsix(): Promise<{ file: string; output: string; entries: VsixEntry[] }> {
  if (!packaged) {
    const { file, output } = packageVsix(path.join(work, 'aem-studio.vsix'));
    packaged = { file, output, entries: await vsixEntries(file) };
  }
  return packaged;
}

/** The packaged files, relative to the extension's folder. */
async function extensionFiles(): Promise<string[]> {
  return (await vsix()).entries.map((e) => e.name).filter((n) => n.startsWith('extension/')).map((n) => n.slice('extension/'.length));
}

test('vsce packages the extension without a warning', async () => {
  const { output } = await vsix();
  assert.doesNotMatch(output, /\bWARN/i, output);
  assert.match(output, /DONE\s+Packaged:/, output);
});

test('every file the manifest names is in the list of files loaded at run time', () => {
  const manifest = JSON.parse(readFileSync(path.join(projectRoot, 'package.json'), 'utf8')) as Record<string, unknown>;
  const named = new Set<string>();
  const walk = (v: unknown, key: string): void => {
    if (key === 'scripts' || key === 'bin') return; // development commands, not what VS Code loads
    if (typeof v === 'string' && /^(\.\/)?(dist|media)\//.test(v)) named.add(v.replace(/^\.\//, ''));
    else if (Array.isArray(v)) v.forEach((x) => walk(x, key));
    else if (v && typeof v === 'object') for (const [k, x] of Object.entries(v)) walk(x, k);
  };
  walk(manifest, '');
  assert.ok(named.size >= 4, `found only ${[...named].join(', ')} in package.json`);
  for (const file of named) assert.ok(file in LOADED_AT_RUN_TIME, `package.json names ${file}, which LOADED_AT_RUN_TIME does not list`);
});

test('the .vsix holds exactly the run-time files and the documents, within its size budget', async () => {
  const { file, entries } = await vsix();
  const inExtension = await extensionFiles();
  const expected = [...Object.keys(LOADED_AT_RUN_TIME), ...DOCUMENTS];
  const missing = expected.filter((f) => !inExtension.includes(f));
  assert.deepEqual(missing, [], `missing from the .vsix: ${missing.map((f) => `${f} (${LOADED_AT_RUN_TIME[f] ?? 'document'})`).join(', ')}`);
  const unexpected = inExtension.filter((f) => !expected.includes(f));
  assert.deepEqual(unexpected, [], `in the .vsix but neither loaded at run time nor a document: ${unexpected.join(', ')}`);
  const outside = entries.map((e) => e.name).filter((n) => !n.startsWith('extension/'));
  assert.deepEqual(outside.sort(), [...VSIX_OWN].sort());
  const size = statSync(file).size;
  console.log(`# .vsix: ${entries.length} files, ${(size / 1024 / 1024).toFixed(2)} MB (budget ${SIZE_BUDGET_BYTES / 1024 / 1024} MB)`);
  assert.ok(size <= SIZE_BUDGET_BYTES, `the .vsix is ${size} bytes, over its budget of ${SIZE_BUDGET_BYTES}`);
});

test("every relative link and image of the README is in the .vsix (VS Code shows the README from the installed folder)", async () => {
  const readme = readFileSync(path.join(projectRoot, 'README.md'), 'utf8');
  const targets = [...readme.matchAll(/\]\(([^)\s#]+)(?:#[^)]*)?\)/g)].map((m) => m[1] ?? '').filter((t) => !/^[a-z]+:/i.test(t));
  assert.ok(targets.length > 0);
  const inExtension = await extensionFiles();
  for (const t of targets) assert.ok(inExtension.includes(path.posix.normalize(t)), `README links ${t}, which is not in the .vsix`);
});

test('the packaged engine and worker import nothing but Node built-ins and the optional backends', async () => {
  for (const bundle of ['dist/engine.mjs', 'dist/bagReaderWorker.js']) {
    const code = readFileSync(path.join(projectRoot, bundle), 'utf8');
    // Module specifiers shaped like package names ("h5wasm/node", "@tensorflow/tfjs-core", "fs").
    const specifiers = new Set([...code.matchAll(/(?:\bfrom\s*|\bimport\s*\(\s*|\brequire\s*\(\s*)"((?:@[\w.-]+\/)?[\w.:-]+(?:\/[\w.-]+)*)"/g)].map((m) => m[1] ?? ''));
    assert.ok(specifiers.has('node:fs') || specifiers.has('fs'), `no imports recognised in ${bundle}`);
    const foreign = [...specifiers].filter((s) => !s.startsWith('node:') && !builtinModules.includes(s) && !OPTIONAL_PACKAGES.includes(s) && !s.startsWith('.'));
    assert.deepEqual(foreign, [], `${bundle} would load ${foreign.join(', ')} from a node_modules the installed extension does not have`);
  }
});

function nodeModulesAbove(dir: string): string[] {
  const found: string[] = [];
  for (let d = path.resolve(dir); ; d = path.dirname(d)) {
    if (existsSync(path.join(d, 'node_modules'))) found.push(path.join(d, 'node_modules'));
    if (path.dirname(d) === d) return found;
  }
}

function findNodeModules(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true }).filter((e) => e.isDirectory() && e.name === 'node_modules').map((e) => path.join(e.parentPath, e.name));
}

test('the engine of the unpacked .vsix trains on its own: wasm backend, h5wasm worker, no node_modules anywhere', async () => {
  const unpacked = path.join(work, 'unpacked');
  await extractVsix((await vsix()).file, unpacked);
  const extension = path.join(unpacked, 'extension');
  assert.deepEqual(findNodeModules(extension), [], 'the packaged extension holds no node_modules');
  assert.deepEqual(nodeModulesAbove(extension), [], 'no node_modules above the unpacked copy either, so nothing of the repository can be found');

  const ws = path.join(work, 'ws');
  const file = path.join(ws, 'tiny.aem.json');
  rmSync(ws, { recursive: true, force: true });
  mkdirSync(ws, { recursive: true });
  writeFileSync(file, JSON.stringify({ name: 'tiny', data: { format: 'synthetic', synthetic: { preset: 'tiny' } }, train: { epochs: 1 }, seeds: [0], compute: { backend: 'wasm' }, output: '.aem/runs' }));
  const env = { ...process.env };
  delete env.AEM_BACKEND_MODULES;
  delete env.NODE_PATH;
  const engine = path.join(extension, 'dist', 'engine.mjs');
  const r = spawnSync(process.execPath, [engine, file, '--json'], { cwd: ws, env, encoding: 'utf8', timeout: 180_000 });
  assert.equal(r.status, 0, `engine exited ${String(r.status ?? r.signal)}:\n${r.stderr}`);
  const events = r.stdout.split('\n').filter((l) => l.trim() !== '').map((l) => parseEngineEventLine(l)).flatMap((p) => (p.ok ? [p.value] : []));
  const started = events.find((e): e is Extract<EngineEvent, { type: 'run-started' }> => e.type === 'run-started');
  assert.equal(started?.backend.name, 'wasm');
  const finished = events.find((e): e is Extract<EngineEvent, { type: 'run-finished' }> => e.type === 'run-finished');
  assert.equal(finished?.status, 'done', r.stderr);
  assert.ok(existsSync(path.join(ws, '.aem', 'datasets')), 'the synthetic dataset (h5 files read by the worker) was written');

  const probe = spawnSync(process.execPath, [engine, 'backends', '--json'], { cwd: ws, env, encoding: 'utf8', timeout: 120_000 });
  assert.equal(probe.status, 0, probe.stderr);
  const probes = JSON.parse(probe.stdout) as { name: string; available: boolean; packages: { found?: string }[] }[];
  for (const name of ['wasm', 'cpu']) {
    const p = probes.find((x) => x.name === name);
    assert.equal(p?.available, true, `${name} starts from the unpacked engine`);
    assert.match(p?.packages[0]?.found ?? '', /bundled in .*dist[/\\]engine\.mjs$/);
  }
});
