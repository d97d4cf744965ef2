// Turns the experiment's data section into a concrete CLAM/ACMIL dataset: the synthetic generator
// writes a CLAM-layout folder, which then goes through the very same readers as a user's data.
import path from 'node:path';
import type { DataConfig, Experiment } from '../config/schema.js';
import { ensureSyntheticDataset } from '../data/synthetic.js';
import { CLASS_NAMES } from '../data/syntheticPlan.js';
import { describeFsError } from './atomicFile.js';
import { RunStoreError } from './runStore.js';

export function syntheticDatasetDir(experiment: Experiment, baseDir: string): string {
  const s = experiment.data.synthetic ?? { preset: 'tiny', seed: 0, classes: 2 };
  if (s.dir) return path.resolve(baseDir, s.dir);
  return path.resolve(baseDir, experiment.output, '..', 'datasets', `${s.preset}-c${s.classes}-s${s.seed}`);
}

export async function resolveDataConfig(
  experiment: Experiment,
  baseDir: string,
  onProgress?: (done: number, total: number) => void,
): Promise<{ data: DataConfig; generated: boolean }> {
  const data = experiment.data;
  if (data.format !== 'synthetic') return { data, generated: false };
  const s = data.synthetic ?? { preset: 'tiny' as const, seed: 0, classes: 2 as const };
  const dir = syntheticDatasetDir(experiment, baseDir);
  let made: Awaited<ReturnType<typeof ensureSyntheticDataset>>;
  try {
    made = await ensureSyntheticDataset({ preset: s.preset, seed: s.seed, classes: s.classes, dir }, onProgress);
  } catch (err) {
    // A folder that cannot be written (no permission, a file in the way) is the user's to fix.
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EACCES' || code === 'EPERM' || code === 'ENOTDIR' || code === 'EROFS' || code === 'EEXIST') {
      throw new RunStoreError(`cannot write the synthetic dataset to ${dir}: ${describeFsError(err)}; it goes next to the output folder ("output" in the experiment), or set data.synthetic.dir`);
    }
    throw err;
  }
  return {
    data: {
      format: 'clam',
      features: made.features,
      featureType: 'h5',
      csv: made.csv,
      // The generator's class order (normal first, then rising grade), not the alphabetical default.
      labels: data.labels ?? Object.fromEntries(CLASS_NAMES[s.classes].map((name, i) => [name, i])),
      split: data.split ?? { kind: 'clam', file: made.splitFile },
    },
    generated: made.generated,
  };
}
