// Whether this code runs from the esbuild bundle (dist/engine.mjs), which carries tfjs-core, the wasm and
// cpu backends and h5wasm inside, or from the tsc output, which loads them from node_modules.
// build.mjs defines AEM_BUNDLED as the versions of the packages it bundled; elsewhere the name is
// undeclared and `typeof` says so.
declare const AEM_BUNDLED: Record<string, string> | undefined;

/** The version of `pkg` inside the bundle, or undefined when it is not bundled (or this is not the bundle). */
export function bundledVersion(pkg: string): string | undefined {
  return typeof AEM_BUNDLED !== 'undefined' ? AEM_BUNDLED[pkg] : undefined;
}
