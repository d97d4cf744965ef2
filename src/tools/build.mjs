// Bundles the engine CLI, the extension and the webviews with esbuild.
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
  // Webviews and the notebook renderer run in the browser; their bundles live under media/ because
  // webviews may only load from the extension's media folder (localResourceRoots).
  { entryPoints: ['webview/liveCharts/main.ts'], outfile: 'media/dist/liveCharts.js', format: 'iife', platform: 'browser', target: 'es2022', minify: true },
  { entryPoints: ['webview/attentionMaps/main.ts'], outfile: 'media/dist/attentionMaps.js', format: 'iife', platform: 'browser', target: 'es2022', minify: true },
  { entryPoints: ['webview/notebookRenderer/main.ts'], outfile: 'media/dist/notebookRenderer.js', format: 'esm', platform: 'browser', target: 'es2022', minify: true },
].filter((t) => t.entryPoints.every((p) => existsSync(p)));

await Promise.all(
  targets.map((t) =>
    esbuild.build({ bundle: true, platform: 'node', target: 'node20', sourcemap: true, external, mainFields: ['module', 'main'], logLevel: 'warning', ...t }),
  ),
);
console.log(`built ${targets.map((t) => t.outfile).join(', ')}`);
