// Whether this code runs from the esbuild bundle (dist/engine.mjs), which carries tfjs-core and the wasm
// and cpu backends inside, or from the tsc output, which loads them from node_modules. build.mjs defines
// AEM_BUNDLED as true; elsewhere the name is undeclared and `typeof` says so.
declare const AEM_BUNDLED: boolean | undefined;

export const isBundled: boolean = typeof AEM_BUNDLED !== 'undefined' && AEM_BUNDLED;
