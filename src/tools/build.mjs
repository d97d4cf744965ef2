// Bundles the engine CLI (and, as they appear, the extension and the webviews) with esbuild.
import * as esbuild from 'esbuild';
import { existsSync } from 'node:fs';

// Packages that load their own .wasm or native files at run time stay outside the bundle.
const external = ['h5wasm', 'h5wasm/*', '@tensorflow/*', 'webgpu'];

const targets = [
  { entryPoints: ['src/trainer/cli.ts'], outfile: 'dist/engine.mjs', format: 'esm', banner: { js: '#!/usr/bin/env node\nimport { createRequire as __aemCreateRequire } from "node:module"; const require = __aemCreateRequire(import.meta.url);' } },
  // Bag reading runs in a worker thread; the engine finds this file next to itself.
  { entryPoints: ['src/data/bagReaderWorker.ts'], outfile: 'dist/bagReaderWorker.js', format: 'esm', banner: { js: 'import { createRequire as __aemCreateRequire } from "node:module"; const require = __aemCreateRequire(import.meta.url);' } },
  // The extension host loads CommonJS; `vscode` is provided by VS Code itself.
  { entryPoints: ['src/extension/extension.ts'], outfile: 'dist/extension.cjs', format: 'cjs', external: [...external, 'vscode'] },
].filter((t) => t.entryPoints.every((p) => existsSync(p)));

await Promise.all(
  targets.map((t) =>
    esbuild.build({ bundle: true, platform: 'node', target: 'node20', sourcemap: true, external, mainFields: ['module', 'main'], logLevel: 'warning', ...t }),
  ),
);
console.log(`built ${targets.map((t) => t.outfile).join(', ')}`);
