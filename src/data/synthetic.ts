// The embedded synthetic dataset: a seeded generator that writes a CLAM-layout dataset once and reuses it.
//
// <dir>/h5_files/<slide>.h5         features [n, d] float32|float16, coords [n, 2] int64 (patch_size, patch_level)
// <dir>/dataset.csv                 case_id,slide_id,label
// <dir>/splits_0.csv                CLAM split file (train from one hospital, test from another)
// <dir>/instance_truth/<slide>.u8   one byte per instance, 1 = lesion
// <dir>/manifest.json               generator parameters and per-slide n, label, split
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, readdir, rename, rm, rmdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { SyntheticPreset } from '../config/schema.js';
import { float32ToFloat16Bits } from './float16.js';
import type { FeatureDtype } from './types.js';
import {
  GENERATOR_NAME,
  GENERATOR_VERSION,
  clamSplitCsv,
  datasetCsv,
  manifestKey,
  parseManifest,
  type ManifestSlide,
  type SyntheticManifest,
} from './syntheticFiles.js';
import { writeFeatureH5 } from './syntheticH5.js';
import { CLASS_NAMES, planSlides } from './syntheticPlan.js';
import { PATCH_LEVEL, PATCH_SIZE, PRESETS } from './syntheticPresets.js';
import { generateSlide, makeWorld } from './syntheticWorld.js';

export interface SyntheticOptions {
  preset: SyntheticPreset;
  seed: number;
  classes: 2 | 4;
  dir: string;
  /** Default: float32 for tiny and demo, float16 for c16-like. */
  dtype?: FeatureDtype;
}

export interface SyntheticDataset {
  dir: string;
  csv: string;
  splitFile: string;
  /** The folder holding the .h5 feature files (<dir>/h5_files). */
  features: string;
  truthDir: string;
  /** false when an existing dataset with the same parameters was reused. */
  generated: boolean;
}

const MANIFEST = 'manifest.json';

function layout(dir: string, generated: boolean): SyntheticDataset {
  return {
    dir,
    csv: path.join(dir, 'dataset.csv'),
    splitFile: path.join(dir, 'splits_0.csv'),
    features: path.join(dir, 'h5_files'),
    truthDir: path.join(dir, 'instance_truth'),
    generated,
  };
}

async function readManifest(dir: string): Promise<SyntheticManifest | undefined> {
  try {
    return parseManifest(await readFile(path.join(dir, MANIFEST), 'utf8'));
  } catch {
    return undefined;
  }
}

async function isEmptyDir(dir: string): Promise<boolean> {
  try {
    return (await readdir(dir)).length === 0;
  } catch {
    return false;
  }
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Removes temporary folders left by generator processes that died before finishing. */
async function removeStaleTemps(dir: string): Promise<void> {
  const parent = path.dirname(dir);
  const prefix = `${path.basename(dir)}.tmp-`;
  let names: string[];
  try {
    names = await readdir(parent);
  } catch {
    return;
  }
  for (const name of names) {
    if (!name.startsWith(prefix)) continue;
    const pid = Number(name.slice(prefix.length).split('-')[0]);
    if (Number.isInteger(pid) && pid !== process.pid && !processAlive(pid)) {
      await rm(path.join(parent, name), { recursive: true, force: true });
    }
  }
}

async function generateInto(tmp: string, opts: SyntheticOptions, dtype: FeatureDtype, onProgress?: (done: number, total: number) => void): Promise<void> {
  const spec = PRESETS[opts.preset];
  const classNames = [...CLASS_NAMES[opts.classes]];
  const planned = planSlides(spec, opts.seed, opts.classes);
  const world = makeWorld(spec, opts.seed, opts.classes);
  const h5Dir = path.join(tmp, 'h5_files');
  const truthDir = path.join(tmp, 'instance_truth');
  await mkdir(h5Dir, { recursive: true });
  await mkdir(truthDir, { recursive: true });

  const slides: ManifestSlide[] = [];
  onProgress?.(0, planned.length);
  for (const slide of planned) {
    const content = generateSlide(world, slide);
    await writeFeatureH5(path.join(h5Dir, `${slide.slideId}.h5`), {
      n: slide.n,
      d: spec.dim,
      dtype,
      features: dtype === 'float16' ? float32ToFloat16Bits(content.features) : content.features,
      coords: content.coords,
      coordAttrs: { patch_size: PATCH_SIZE, patch_level: PATCH_LEVEL },
    });
    await writeFile(path.join(truthDir, `${slide.slideId}.u8`), content.truth);
    slides.push({
      slideId: slide.slideId,
      caseId: slide.caseId,
      n: slide.n,
      label: classNames[slide.label] ?? String(slide.label),
      split: slide.split,
      lesionCount: content.lesionCount,
    });
    onProgress?.(slides.length, planned.length);
  }

  const count = (split: string): number => slides.filter((s) => s.split === split).length;
  const manifest: SyntheticManifest = {
    generator: GENERATOR_NAME,
    version: GENERATOR_VERSION,
    preset: opts.preset,
    seed: opts.seed,
    classes: opts.classes,
    classNames,
    dim: spec.dim,
    dtype,
    counts: {
      train: count('train'),
      val: count('val'),
      test: count('test'),
      slides: slides.length,
      cases: new Set(slides.map((s) => s.caseId)).size,
      instances: slides.reduce((a, s) => a + s.n, 0),
      lesionInstances: slides.reduce((a, s) => a + s.lesionCount, 0),
    },
    params: spec,
    slides,
  };
  await writeFile(path.join(tmp, 'dataset.csv'), datasetCsv(slides));
  await writeFile(path.join(tmp, 'splits_0.csv'), clamSplitCsv(slides));
  // Written last: a folder with a manifest is a complete dataset.
  await writeFile(path.join(tmp, MANIFEST), JSON.stringify(manifest, null, 1) + '\n');
}

/**
 * Returns the synthetic dataset for these options, generating it first unless `<dir>` already holds one
 * made with the same parameters and generator version. Generation happens in a temporary sibling folder
 * renamed into place at the end, so an interrupted run never leaves a dataset that looks complete.
 */
export async function ensureSyntheticDataset(
  opts: SyntheticOptions,
  onProgress?: (done: number, total: number) => void,
): Promise<SyntheticDataset> {
  if (!(opts.preset in PRESETS)) throw new Error(`Unknown synthetic preset "${opts.preset}" (have: ${Object.keys(PRESETS).join(', ')})`);
  if (opts.classes !== 2 && opts.classes !== 4) throw new Error(`Synthetic data has 2 or 4 classes, not ${String(opts.classes)}`);
  if (!Number.isInteger(opts.seed)) throw new Error(`Synthetic seed must be an integer, not ${opts.seed}`);
  const dir = path.resolve(opts.dir);
  const dtype = opts.dtype ?? PRESETS[opts.preset].dtype;
  const wanted = manifestKey({ generator: GENERATOR_NAME, version: GENERATOR_VERSION, preset: opts.preset, seed: opts.seed, classes: opts.classes, dtype });

  const existing = await readManifest(dir);
  if (existing && manifestKey(existing) === wanted) return layout(dir, false);

  await mkdir(path.dirname(dir), { recursive: true });
  await removeStaleTemps(dir);
  const tmp = `${dir}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
  try {
    await generateInto(tmp, opts, dtype, onProgress);
    const current = await readManifest(dir);
    if (current && manifestKey(current) === wanted) {
      // Another process finished the same dataset meanwhile (and may be reading it): keep theirs.
      return layout(dir, false);
    }
    if (current) {
      // An older or different synthetic dataset: move it aside before swapping the new one in.
      const old = `${dir}.tmp-${process.pid}-old-${randomBytes(4).toString('hex')}`;
      await rename(dir, old);
      await rename(tmp, dir);
      await rm(old, { recursive: true, force: true });
    } else if (await isEmptyDir(dir)) {
      await rmdir(dir);
      await rename(tmp, dir);
    } else {
      await rename(tmp, dir).catch(async (e: NodeJS.ErrnoException) => {
        // Another process may have finished the same dataset first; anything else in the way is not ours.
        const raced = await readManifest(dir);
        if (raced && manifestKey(raced) === wanted) return;
        if (e.code === 'ENOTEMPTY' || e.code === 'EEXIST' || e.code === 'ENOTDIR') {
          throw new Error(`${dir} exists and is not a synthetic dataset (no generator manifest.json); choose another data.synthetic.dir or remove it.`);
        }
        throw e;
      });
    }
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
  return layout(dir, true);
}
