// Where a run's dataset keeps what the map view needs besides the run: the h5 file of a slide (for the
// patch_size / patch_level attributes of `coords`) and the instance truth folder (synthetic presets).
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { Experiment } from '../config/schema.js';
import { syntheticDatasetDir } from '../trainer/resolveData.js';

export interface DatasetFiles {
  /** The h5 file holding the slide and the path of its coords dataset inside it. */
  h5Of(slideId: string): { file: string; coords: string } | undefined;
  truthDir: string | undefined;
}

export function datasetFiles(experiment: Experiment, baseDir: string): DatasetFiles {
  const data = experiment.data;
  if (data.format === 'synthetic') {
    const dir = syntheticDatasetDir(experiment, baseDir);
    const truth = path.join(dir, 'instance_truth');
    return { h5Of: (id) => existing(path.join(dir, 'h5_files', `${id}.h5`), 'coords'), truthDir: existsSync(truth) ? truth : undefined };
  }
  if (!data.features) return { h5Of: () => undefined, truthDir: undefined };
  const features = path.resolve(baseDir, data.features);
  if (data.format === 'acmil') {
    return { h5Of: (id) => existing(features, `${id}/coords`), truthDir: truthFolder([path.dirname(features)]) };
  }
  return {
    h5Of: (id) => existing(path.join(features, 'h5_files', `${id}.h5`), 'coords') ?? existing(path.join(features, `${id}.h5`), 'coords'),
    truthDir: truthFolder([features, path.dirname(features)]),
  };
}

function existing(file: string, coords: string): { file: string; coords: string } | undefined {
  return existsSync(file) ? { file, coords } : undefined;
}

function truthFolder(candidates: string[]): string | undefined {
  return candidates.map((d) => path.join(d, 'instance_truth')).find((d) => existsSync(d));
}

function numberOf(v: unknown): number | undefined {
  const first = ArrayBuffer.isView(v) || Array.isArray(v) ? (v as ArrayLike<unknown>)[0] : v;
  if (typeof first === 'bigint') return Number(first);
  return typeof first === 'number' ? first : undefined;
}

/** patch_size and patch_level of a slide's h5 `coords`, where stored (CLAM writes both). */
export async function coordAttributes(files: DatasetFiles, slideId: string): Promise<{ patchSize?: number; patchLevel?: number }> {
  const h5 = files.h5Of(slideId);
  if (!h5) return {};
  try {
    // h5wasm is ESM-only: imported dynamically, so that the CommonJS extension bundle can load it too.
    const { default: h5wasm } = await import('h5wasm/node');
    await h5wasm.ready;
    const f = new h5wasm.File(h5.file, 'r');
    try {
      const coords = f.get(h5.coords);
      if (!(coords instanceof h5wasm.Dataset)) return {};
      const size = numberOf(coords.attrs.patch_size?.value);
      const level = numberOf(coords.attrs.patch_level?.value);
      return { ...(size !== undefined ? { patchSize: size } : {}), ...(level !== undefined ? { patchLevel: level } : {}) };
    } finally {
      f.close();
    }
  } catch {
    // A feature file that cannot be opened only costs the attribute: the spacing of the coordinates is used.
    return {};
  }
}

/** One byte per instance (1 = tumour), or undefined when the slide has no truth file. */
export function readTruth(files: DatasetFiles, slideId: string): Uint8Array | undefined {
  if (!files.truthDir) return undefined;
  const file = path.join(files.truthDir, `${slideId}.u8`);
  if (!existsSync(file)) return undefined;
  const buf = readFileSync(file);
  return new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
}
