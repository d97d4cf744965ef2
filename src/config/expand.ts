// Turns one experiment into its runs: every combination of the sweep grid, for every fold and seed.
import { archAccepts, withArch } from './modelOptions.js';
import type { Experiment, SweepValue } from './schema.js';
import { ExperimentSchema } from './schema.js';

export interface RunSpec {
  /** The experiment with the sweep values applied and a single seed. */
  experiment: Experiment;
  seed: number;
  fold?: number;
  /** The sweep values this run takes (a model option its arch does not take is left out). */
  sweepValues: Record<string, SweepValue>;
  /** Stable label of the configuration (sweep values and fold), shared by its seeds. */
  configLabel: string;
}

const ARCH_KEY = 'model.arch';

function cartesian(grid: [string, SweepValue[]][]): Record<string, SweepValue>[] {
  return grid.reduce<Record<string, SweepValue>[]>((acc, [key, values]) => acc.flatMap((combo) => values.map((v) => ({ ...combo, [key]: v }))), [{}]);
}

const showValue = (v: SweepValue) => (typeof v === 'string' ? `"${v}"` : String(v));

export function applySweepValue(experiment: Experiment, key: string, value: SweepValue): Experiment {
  const [section, field] = key.split('.') as [keyof Experiment, string];
  const current = experiment[section] as Record<string, unknown> | undefined;
  if (!current || typeof current !== 'object') throw new Error(`sweep key "${key}": no section "${String(section)}"`);
  let next: Experiment;
  if (key === ARCH_KEY) {
    if (typeof value !== 'string') throw new Error(`sweep key "${key}" takes arch names, not ${showValue(value)}`);
    next = { ...experiment, model: withArch(experiment.model, value) };
  } else {
    const before = current[field];
    if (before !== undefined && typeof before !== typeof value) throw new Error(`sweep key "${key}" = ${showValue(value)}: the field holds a ${typeof before}`);
    next = { ...experiment, [section]: { ...current, [field]: value } };
  }
  // Re-validate: the swept value must satisfy the field's own rules (an integer, a range, the arch's options).
  const checked = ExperimentSchema.safeParse(next);
  if (!checked.success) {
    const issue = checked.error.issues[0];
    throw new Error(`sweep key "${key}" = ${showValue(value)}: ${issue ? `${issue.path.join('.')}: ${issue.message}` : 'invalid'}`);
  }
  return checked.data;
}

/**
 * Numbers as before ("lambda0.1"); names and booleans after an underscore ("arch_mha", "schedule_constant").
 * The label names run folders, so a character a file name should not hold becomes "-".
 */
export function configLabelOf(sweepValues: Record<string, SweepValue>, fold: number | undefined): string {
  const parts = Object.entries(sweepValues).map(([k, v]) => `${k.split('.')[1]}${typeof v === 'number' ? '' : '_'}${String(v).replace(/[^A-Za-z0-9._+-]/g, '-')}`);
  if (fold !== undefined) parts.push(`fold${fold}`);
  return parts.length > 0 ? parts.join('-') : 'base';
}

/**
 * One configuration per combination: model.arch is applied first, and a model option the run's arch does
 * not take is left out of that run (so `model.heads` next to `model.arch: ["abmil", "mha"]` sets the
 * MHA runs' heads; the ABMIL runs, which would repeat, are made once). A value the run's arch refuses
 * although it has the option (DSMIL's dropout is 0) leaves that combination out.
 */
function configurations(experiment: Experiment): { configured: Experiment; sweepValues: Record<string, SweepValue> }[] {
  const grid = Object.entries(experiment.sweep).sort(([a], [b]) => Number(b === ARCH_KEY) - Number(a === ARCH_KEY));
  const out: { configured: Experiment; sweepValues: Record<string, SweepValue> }[] = [];
  const seen = new Set<string>();
  for (const combo of cartesian(grid)) {
    let configured = experiment;
    const taken: Record<string, SweepValue> = {};
    let applies = true;
    for (const [k, v] of Object.entries(combo)) {
      if (k.startsWith('model.') && k !== ARCH_KEY) {
        const name = k.slice('model.'.length);
        if (!archAccepts(configured.model.arch, name)) continue; // not this arch's option: its runs come once
        if (!archAccepts(configured.model.arch, name, v)) {
          applies = false; // a value only another swept arch takes (the schema made sure one does)
          break;
        }
      }
      configured = applySweepValue(configured, k, v);
      taken[k] = v;
    }
    if (!applies) continue;
    // Keep the file's key order in the labels.
    const sweepValues = Object.fromEntries(Object.keys(experiment.sweep).filter((k) => k in taken).map((k) => [k, taken[k] as SweepValue]));
    const id = JSON.stringify(sweepValues);
    if (seen.has(id)) continue;
    seen.add(id);
    out.push({ configured, sweepValues });
  }
  return out;
}

export function expandRuns(experiment: Experiment, folds: number[] | undefined, onlySeeds?: number[]): RunSpec[] {
  const seeds = onlySeeds ?? experiment.seeds;
  const runs: RunSpec[] = [];
  for (const { configured, sweepValues } of configurations(experiment)) {
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
