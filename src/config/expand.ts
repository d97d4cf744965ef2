// Turns one experiment into its runs: every combination of the sweep grid, for every fold and seed.
import type { Experiment } from './schema.js';
import { ExperimentSchema } from './schema.js';

export interface RunSpec {
  /** The experiment with the sweep values applied and a single seed. */
  experiment: Experiment;
  seed: number;
  fold?: number;
  sweepValues: Record<string, number>;
  /** Stable label of the configuration (sweep values and fold), shared by its seeds. */
  configLabel: string;
}

function cartesian(grid: [string, number[]][]): Record<string, number>[] {
  return grid.reduce<Record<string, number>[]>((acc, [key, values]) => acc.flatMap((combo) => values.map((v) => ({ ...combo, [key]: v }))), [{}]);
}

export function applySweepValue(experiment: Experiment, key: string, value: number): Experiment {
  const [section, field] = key.split('.') as [keyof Experiment, string];
  const current = experiment[section] as Record<string, unknown> | undefined;
  if (!current || typeof current !== 'object') throw new Error(`sweep key "${key}": no section "${String(section)}"`);
  const before = current[field];
  if (before !== undefined && typeof before !== 'number') throw new Error(`sweep key "${key}" names a field that is not numeric`);
  const next = { ...experiment, [section]: { ...current, [field]: value } };
  // Re-validate: the swept value must satisfy the field's own rules (an integer, a range).
  const checked = ExperimentSchema.safeParse(next);
  if (!checked.success) {
    const issue = checked.error.issues[0];
    throw new Error(`sweep key "${key}" = ${value}: ${issue ? `${issue.path.join('.')}: ${issue.message}` : 'invalid'}`);
  }
  return checked.data;
}

export function configLabelOf(sweepValues: Record<string, number>, fold: number | undefined): string {
  const parts = Object.entries(sweepValues).map(([k, v]) => `${k.split('.')[1]}${v}`);
  if (fold !== undefined) parts.push(`fold${fold}`);
  return parts.length > 0 ? parts.join('-') : 'base';
}

export function expandRuns(experiment: Experiment, folds: number[] | undefined, onlySeeds?: number[]): RunSpec[] {
  const seeds = onlySeeds ?? experiment.seeds;
  const combos = cartesian(Object.entries(experiment.sweep));
  const runs: RunSpec[] = [];
  for (const sweepValues of combos) {
    let configured = experiment;
    for (const [k, v] of Object.entries(sweepValues)) configured = applySweepValue(configured, k, v);
    for (const fold of folds ?? [undefined]) {
      for (const seed of seeds) {
        runs.push({
          experiment: { ...configured, seeds: [seed] },
          seed,
          ...(fold !== undefined ? { fold } : {}),
          sweepValues,
          configLabel: configLabelOf(sweepValues, fold),
        });
      }
    }
  }
  return runs;
}
