// The extension host require()s `extensionTestsPath`, and this package is "type": "module", so tsc's
// output of test/vscode/suite/index.ts is an ES module that older hosts cannot require(). This builds
// the same source to CommonJS beside the compiled tests: out/test/vscode/suite/index.cjs.
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import * as esbuild from 'esbuild';
import { repoRoot } from './tools.js';

export const suiteDir = path.join(repoRoot, 'out', 'test', 'vscode', 'suite');
export const suiteIndex = path.join(suiteDir, 'index.cjs');

export async function buildSuiteIndex(): Promise<string> {
  const src = path.join(repoRoot, 'test', 'vscode', 'suite', 'index.ts');
  if (!existsSync(suiteDir)) throw new Error(`${suiteDir} is missing: run \`npm run compile\` first`);
  await esbuild.build({
    entryPoints: [src],
    outfile: suiteIndex,
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    external: ['mocha', 'vscode'],
    sourcemap: 'inline',
    logLevel: 'error',
  });
  await esbuild.stop(); // no esbuild service left running beside the tests
  return suiteIndex;
}
