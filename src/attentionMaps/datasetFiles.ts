// Where a run's dataset keeps what the map view needs besides the run: the h5 file of a slide (for the
// patch_size / patch_level attributes of `coords`) and its instance truth (the truth folder of the
// synthetic presets, or data.instanceTruth's CSV of tumour patches matched by coordinates).
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { Experiment } from '../config/schema.js';
import { readTumourPatchesCsv, truthFromPatches, type TumourPatches } from '../data/tumourPatchesCsv.js';
import { syntheticDatasetDir } from '../trainer/resolveData.js';

export interface DatasetFiles {
  /** The h5 file holding the slide and the path of its coords dataset inside it. */
  h5Of(slideId: string): { file: string; coords: string } | undefined;
  truthDir: string | undefined;
  /** data.instanceTruth, resolved. */
  tumourCsv?: string | undefined;
}

/** A run's instance truth, per slide: one byte per instance (1 = tumour). */
export interface InstanceTruth {
  /** True when the truth comes from coordinates (data.instanceTruth), so the slide list must read them. */
  byCoords: boolean;
  /** Why the truth could not be read (the file named): the maps then show no tumour. */
  problem: string | undefined;
  of(slideId: string, n: number, coords: ArrayLike<number> | undefined): Uint8Array | undefined;
}

export function instanceTruth(files: DatasetFiles): InstanceTruth {
  const csv = files.tumourCsv;
  if (!csv) return { byCoords: false, problem: undefined, of: (slideId) => readTruth(files, slideId) };
  let patches: TumourPatches | undefined;
  let problem: string | undefined;
  try {
    patches = readTumourPatchesCsv(csv);
  } catch (err) {
    problem = `No tumour outline: ${err instanceof Error ? err.message : String(err)}`;
  }
  return {
    byCoords: true,
    problem,
    of: (slideId, n, coords) => (patches && coords ? truthFromPatches(patches.bySlide.get(slideId), coords, n).truth : undefined),
  };
}

export function datasetFiles(experiment: Experiment, baseDir: string): DatasetFiles {
  const data = experiment.data;
  if (data.format === 'synthetic') {
    const dir = syntheticDatasetDir(experiment, baseDir);
    const truth = path.join(dir, 'instance_truth');
    return { h5Of: (id) => existing(path.join(dir, 'h5_files', `${id}.h5`), 'coords'), truthDir: existsSync(truth) ? truth : undefined };
  }
  // As the engine does (src/data/datasetScan.ts): data.instanceTruth, where given, instead of a truth folder.
  const tumourCsv = data.instanceTruth ? path.resolve(baseDir, data.instanceTruth) : undefined;
  const truth = (folders: string[]) => (tumourCsv ? { truthDir: undefined, tumourCsv } : { truthDir: truthFolder(folders) });
  if (!data.features) return { h5Of: () => undefined, ...truth([]) };
  const features = path.resolve(baseDir, data.features);
  if (data.format === 'acmil') {
    return { h5Of: (id) => existing(features, `${id}/coords`), ...truth([path.dirname(features)]) };
  }
  return {
    h5Of: (id) => existing(path.join(features, 'h5_files', `${id}.h5`), 'coords') ?? existing(path.join(features, `${id}.h5`), 'coords'),
    ...truth([features, path.dirname(features)]),
  };
}

function existing(file: string, coords: string): { file: string; coords: string } | undefined {
  return existsSync(file) ? { file, coords } : undefined;
}

function truthFolder(candidates: string[]): string | undefined {
  return candidates.map((d) => path.join(d, 'instance_truth')).find((d) => existsSync(d));
}

export interface CoordAttributes {
  patchSize?: number;
  patchLevel?: number;
  /** Why the attributes could not be read (the file named), so the view says where the size came from. */
  note?: string;
}

/** patch_size and patch_level of a slide's h5 `coords`, where stored (CLAM writes both). */
export async function coordAttributes(files: DatasetFiles, slideId: string): Promise<CoordAttributes> {
  const h5 = files.h5Of(slideId);
  if (!h5) return {};
  try {
    // Imported on first use: h5wasm is an ES module whose start-up the extension need not pay for until a map is shown.
    const { datasetInfo, scalarAttr, withH5File } = await import('../data/h5File.js');
    return await withH5File(h5.file, { file: h5.file }, (f, m): CoordAttributes => {
      if (!datasetInfo(f, m, h5.coords)) return { note: `${h5.file}: has no dataset ${h5.coords}, so the patch size is the spacing of the coordinates.` };
      const size = scalarAttr(f, h5.coords, 'patch_size');
      const level = scalarAttr(f, h5.coords, 'patch_level');
      return { ...(typeof size === 'number' ? { patchSize: size } : {}), ...(typeof level === 'number' ? { patchLevel: level } : {}) };
    });
  } catch (err) {
    // The map still draws (from the spacing of the coordinates), but says that the attributes were not read.
    const why = err instanceof Error ? err.message : String(err);
    const named = why.includes(h5.file) ? why : `${h5.file}: ${why}`;
    return { note: `${named} The patch_size of ${h5.coords} could not be read, so the patch size is the spacing of the coordinates.` };
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
