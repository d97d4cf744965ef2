// Bundles the engine CLI, the extension and the webviews with esbuild.
// The engine (dist/engine.mjs, dist/bagReaderWorker.js) carries tfjs, its wasm and cpu backends and
// h5wasm inside, so an installed .vsix needs no node_modules; the only files it loads from disk beside
// itself are the tfjs wasm binaries, copied into dist/ (RUNTIME_FILES lists everything the packaged
// extension loads; test/packaging checks the .vsix against it).
import * as esbuild from 'esbuild';
import { copyFileSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { cjsNodeBundle } from './cjsBundle.mjs';

// Optional backends, never bundled: the engine finds them at run time in node_modules or in
// AEM_BACKEND_MODULES (src/trainer/optionalModules.ts), because they ship native code or Dawn.
const optional = ['webgpu', '@tensorflow/tfjs-node', '@tensorflow/tfjs-node-gpu', '@tensorflow/tfjs-backend-webgpu'];

// tfjs-backend-wasm's Emscripten glue looks for its .wasm in `__dirname`, which ES modules lack; in the
// bundle it is the folder of the bundle itself (dist/), where the binaries are copied.
const esmBanner =
  'import { createRequire as __aemCreateRequire } from "node:module"; import { fileURLToPath as __aemFileURLToPath } from "node:url"; import { dirname as __aemDirnameOf } from "node:path"; const require = __aemCreateRequire(import.meta.url); const __aemFilename = __aemFileURLToPath(import.meta.url); const __aemDirname = __aemDirnameOf(__aemFilename);';
// AEM_BUNDLED: the versions of the packages bundled into the engine (src/trainer/bundle.ts).
const versionOf = (pkg) => JSON.parse(readFileSync(`node_modules/${pkg}/package.json`, 'utf8')).version;
const bundled = Object.fromEntries(['@tensorflow/tfjs-core', '@tensorflow/tfjs-backend-wasm', '@tensorflow/tfjs-backend-cpu', 'h5wasm'].map((p) => [p, versionOf(p)]));
const esmNode = { format: 'esm', external: optional, define: { AEM_BUNDLED: JSON.stringify(bundled), __dirname: '__aemDirname', __filename: '__aemFilename' } };

// In node, tfjs-backend-wasm itself loads the plain or the SIMD binary; the engine starts the threaded
// one when compute.threads is above 1 (src/trainer/wasmThreads.ts).
const wasmDir = 'node_modules/@tensorflow/tfjs-backend-wasm/dist';
const wasmBinaries = ['tfjs-backend-wasm.wasm', 'tfjs-backend-wasm-simd.wasm', 'tfjs-backend-wasm-threaded-simd.wasm'];

const targets = [
  { ...esmNode, entryPoints: ['src/trainer/cli.ts'], outfile: 'dist/engine.mjs', banner: { js: `#!/usr/bin/env node\n${esmBanner}` } },
  // Bag reading runs in a worker thread; the engine finds this file next to itself.
  { ...esmNode, entryPoints: ['src/data/bagReaderWorker.ts'], outfile: 'dist/bagReaderWorker.js', banner: { js: esmBanner } },
  // The extension host loads CommonJS; `vscode` is provided by VS Code itself. It never loads tfjs: the
  // engine does, in its own process. Set Up Backend installs optional backends for this tfjs-core.
  // `import.meta.url` is the bundle's own URL there too (h5wasm needs it; src/tools/cjsBundle.mjs).
  { ...cjsNodeBundle, entryPoints: ['src/extension/extension.ts'], outfile: 'dist/extension.cjs', external: ['vscode', ...optional], define: { ...cjsNodeBundle.define, AEM_TFJS_CORE_VERSION: JSON.stringify(bundled['@tensorflow/tfjs-core']) } },
  // Webviews and the notebook renderer run in the browser; their bundles live under media/ because
  // webviews may only load from the extension's media folder (localResourceRoots).
  { entryPoints: ['webview/liveCharts/main.ts'], outfile: 'media/dist/liveCharts.js', format: 'iife', platform: 'browser', target: 'es2022', minify: true },
  { entryPoints: ['webview/attentionMaps/main.ts'], outfile: 'media/dist/attentionMaps.js', format: 'iife', platform: 'browser', target: 'es2022', minify: true },
  { entryPoints: ['webview/notebookRenderer/main.ts'], outfile: 'media/dist/notebookRenderer.js', format: 'esm', platform: 'browser', target: 'es2022', minify: true },
].filter((t) => t.entryPoints.every((p) => existsSync(p)));

// `--watch` (the F5 task in .vscode/tasks.json) rebuilds on every change and prints the two lines that
// task waits for; otherwise one build.
const watch = process.argv.includes('--watch');
const copyWasm = () => {
  mkdirSync('dist', { recursive: true });
  for (const name of wasmBinaries) copyFileSync(`${wasmDir}/${name}`, `dist/${name}`);
};
const options = targets.map((t) => ({ bundle: true, platform: 'node', target: 'node20', sourcemap: true, mainFields: ['module', 'main'], logLevel: 'warning', ...t }));
if (watch) {
  let pending = 0;
  const announce = {
    name: 'aem-watch',
    setup(build) {
      build.onStart(() => {
        if (pending++ === 0) console.log('[watch] build started');
      });
      build.onEnd(() => {
        if (--pending === 0) console.log('[watch] build finished');
      });
    },
  };
  copyWasm();
  const contexts = await Promise.all(options.map((o) => esbuild.context({ ...o, plugins: [announce] })));
  await Promise.all(contexts.map((c) => c.watch()));
} else {
  await Promise.all(options.map((o) => esbuild.build(o)));
  copyWasm();
  console.log(`built ${targets.map((t) => t.outfile).join(', ')}; copied ${wasmBinaries.map((n) => `dist/${n}`).join(', ')}`);
}
