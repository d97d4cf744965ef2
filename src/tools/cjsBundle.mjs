// esbuild options for a CommonJS bundle that runs in Node (the extension host loads CommonJS), shared by
// the build and the test that loads the bundled h5 path (test/attentionMaps/bundledH5.test.ts).
//
// ES modules bundled into CommonJS lose `import.meta` (esbuild leaves it `{}`), and h5wasm's Emscripten
// glue calls `createRequire(import.meta.url)` and finds itself through it: without a URL it throws and no
// h5 file opens. So `import.meta.url` is defined as a variable that the banner sets to the bundle's own
// file URL, which is what it is in the ES module build.
export const cjsImportMetaUrl = '__aemImportMetaUrl';

export const cjsNodeBundle = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  mainFields: ['module', 'main'],
  // "use strict" first: a banner before esbuild's own directive would otherwise leave the bundle sloppy.
  banner: { js: `"use strict"; var ${cjsImportMetaUrl} = require('url').pathToFileURL(__filename).href;` },
  define: { 'import.meta.url': cjsImportMetaUrl },
};
