// The extension host runs the attention maps' data layer from a CommonJS bundle (dist/extension.cjs),
// where `import.meta` does not exist unless the build defines it: h5wasm then cannot start and the
// patch size silently fell back to the coordinate spacing. This bundles datasetFiles.ts with the very
// options of the extension bundle (src/tools/cjsBundle.mjs), loads it with require() and reads the
// patch_size / patch_level of a real h5 file through it; an unreadable h5 gives a note naming the file.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { after, before, describe, it } from 'node:test';
import * as esbuild from 'esbuild';
import type * as DatasetFilesModule from '../../src/attentionMaps/datasetFiles.js';
import { writeFeatureH5 } from '../../src/data/syntheticH5.js';
import { projectRoot } from '../helpers/paths.js';

interface CjsBundleOptions {
  cjsNodeBundle: esbuild.BuildOptions & { define: Record<string, string> };
  cjsImportMetaUrl: string;
}

describe('attention maps in the CommonJS extension bundle read the h5 coords attributes', () => {
  let dir: string;
  let bundled: typeof DatasetFilesModule;

  before(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'aem-cjs-h5-'));
    const { cjsNodeBundle } = (await import(pathToFileURL(path.join(projectRoot, 'src/tools/cjsBundle.mjs')).href)) as CjsBundleOptions;
    const outfile = path.join(dir, 'datasetFiles.cjs');
    await esbuild.build({ ...cjsNodeBundle, absWorkingDir: projectRoot, entryPoints: ['src/attentionMaps/datasetFiles.ts'], outfile, logLevel: 'error' });
    bundled = createRequire(import.meta.url)(outfile) as typeof DatasetFilesModule;
    mkdirSync(path.join(dir, 'h5_files'));
    const n = 3;
    await writeFeatureH5(path.join(dir, 'h5_files', 'slide-a.h5'), {
      n,
      d: 2,
      dtype: 'float32',
      features: new Float32Array(n * 2),
      coords: Int32Array.from([0, 0, 448, 0, 0, 448]),
      coordAttrs: { patch_size: 224, patch_level: 1 },
    });
    writeFileSync(path.join(dir, 'h5_files', 'broken.h5'), 'not an hdf5 file');
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  const files = (): DatasetFilesModule.DatasetFiles => ({
    h5Of: (id) => ({ file: path.join(dir, 'h5_files', `${id}.h5`), coords: 'coords' }),
    truthDir: undefined,
  });

  it('reads patch_size and patch_level through h5wasm inside the bundle', async () => {
    assert.deepEqual(await bundled.coordAttributes(files(), 'slide-a'), { patchSize: 224, patchLevel: 1 });
  });

  it('gives a note naming the file when the h5 cannot be read, instead of falling back silently', async () => {
    const attrs = await bundled.coordAttributes(files(), 'broken');
    assert.equal(attrs.patchSize, undefined);
    assert.ok(attrs.note?.startsWith(path.join(dir, 'h5_files', 'broken.h5')), attrs.note);
    assert.match(attrs.note ?? '', /spacing of the coordinates/);
  });

  it('built dist/extension.cjs defines import.meta.url everywhere (no empty import.meta left)', () => {
    const text = readFileSync(path.join(projectRoot, 'dist/extension.cjs'), 'utf8');
    assert.match(text.slice(0, 200), /__aemImportMetaUrl = require\('url'\)\.pathToFileURL\(__filename\)\.href/);
    assert.doesNotMatch(text, /import_meta\d* = \{\}/);
  });
});
