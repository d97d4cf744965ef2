// The single source of truth for `*.aem.json` experiment files. The JSON Schema handed to VS Code's
// jsonValidation is generated from this module (scripts/emit-schema.ts).
import { z } from 'zod';

export const BACKENDS = ['auto', 'tensorflow-gpu', 'webgpu', 'tensorflow', 'wasm', 'cpu'] as const;
export type BackendChoice = (typeof BACKENDS)[number];

export const GPU_PATHS = ['auto', 'fused', 'tfjs'] as const;
export type GpuPathChoice = (typeof GPU_PATHS)[number];

export const SYNTHETIC_PRESETS = ['tiny', 'demo', 'c16-like'] as const;
export type SyntheticPreset = (typeof SYNTHETIC_PRESETS)[number];

const fraction = z.number().min(0).max(0.9);

export const SplitSchema = z
  .discriminatedUnion('kind', [
    z
      .object({
        kind: z.literal('clam'),
        file: z.string().min(1).describe('CLAM split file (splits_K.csv or splits_K_bool.csv). "{fold}" is replaced by each fold.'),
        folds: z.array(z.number().int().min(0)).min(1).optional().describe('Fold numbers substituted for "{fold}" in file; one run per fold.'),
      })
      .strict(),
    z
      .object({
        kind: z.literal('column'),
        column: z.string().min(1).describe('CSV column holding train / val / test for each slide.'),
      })
      .strict(),
    z
      .object({
        kind: z.literal('random'),
        seed: z.number().int().default(0).describe('Seed of the stratified split by case (independent of the training seed).'),
        val: fraction.default(0.15),
        test: fraction.default(0.25),
      })
      .strict()
      .superRefine((split, ctx) => {
        // Both fractions come out of the same cases: together they must leave some for training.
        if (split.val + split.test >= 1) {
          ctx.addIssue({
            code: 'custom',
            path: [split.val > split.test ? 'val' : 'test'],
            message: `val ${split.val} + test ${split.test} = ${+(split.val + split.test).toFixed(6)} leaves no cases for training: the two fractions must add up to less than 1`,
          });
        }
      }),
    z
      .object({
        kind: z.literal('kfold'),
        k: z.number().int().min(3).max(20).default(5),
        seed: z.number().int().default(0),
        folds: z.array(z.number().int().min(0)).min(1).optional().describe('Which folds to run (default: all). Fold i tests on part i and validates on part (i+1) mod k.'),
      })
      .strict(),
  ])
  .describe('How slides are divided into train, val and test. Always by case: all slides of a patient land in one split.');
export type SplitConfig = z.infer<typeof SplitSchema>;

export const DataSchema = z
  .object({
    format: z.enum(['clam', 'acmil', 'synthetic']).describe('clam: one feature file per slide; acmil: one h5 with a group per slide; synthetic: the built-in generator.'),
    features: z.string().optional().describe('clam: folder holding h5_files/ or pt_files/ (or the feature files themselves). acmil: the h5 file.'),
    featureType: z.enum(['auto', 'h5', 'pt']).default('auto').describe('clam: which feature files to read (auto prefers h5_files/).'),
    csv: z.string().optional().describe('CSV with case_id, slide_id, label (extra columns are kept).'),
    labels: z.record(z.string(), z.number().int().min(0)).optional().describe('Label name to class index. Default: sorted unique labels.'),
    synthetic: z
      .object({
        preset: z.enum(SYNTHETIC_PRESETS).default('tiny'),
        seed: z.number().int().default(0),
        classes: z.union([z.literal(2), z.literal(4)]).default(2),
        dir: z.string().optional().describe('Where the generated dataset is cached (default .aem/datasets/<preset>-c<classes>-s<seed>).'),
      })
      .strict()
      .optional(),
    split: SplitSchema.optional(),
  })
  .strict();
export type DataConfig = z.infer<typeof DataSchema>;

const modelCommon = {
  hidden: z.number().int().positive().optional().describe('Width after the first layer; default half the feature dimension (1024 -> 512).'),
  dropout: z.number().min(0).max(0.9).default(0).describe('Dropout on the first layer\'s output while training.'),
};

/** One model option's message when it does not belong to the chosen arch. */
function notForArch(arch: string) {
  return (issue: { code?: string; keys?: string[] }) =>
    issue.code === 'unrecognized_keys' && issue.keys ? `${issue.keys.map((k) => `"${k}"`).join(', ')} does not apply to model.arch "${arch}"` : undefined;
}

export const AbmilModelSchema = z
  .object(
    {
      arch: z.literal('abmil').default('abmil').describe('Gated attention MIL (Ilse et al. 2018), the default.'),
      ...modelCommon,
      attention: z.number().int().positive().default(128).describe('Width of the gated attention branches.'),
    },
    { error: notForArch('abmil') },
  )
  .strict();

export const MhaModelSchema = z
  .object(
    {
      arch: z.literal('mha').describe('Multi-head attention MIL (AEM\'s MHA): one learnable query, multi-head cross-attention over the instances, layer norm.'),
      ...modelCommon,
      heads: z.number().int().positive().default(8).describe('Attention heads; they split the width (model.hidden) in equal parts, so it must divide it.'),
    },
    { error: notForArch('mha') },
  )
  .strict();

export const DsmilModelSchema = z
  .object(
    {
      arch: z.literal('dsmil').describe('DSMIL (Li et al. 2021): instance classifier, critical instance per class, attention to it, Conv1d bag classifier; loss 0.5 max-instance CE + 0.5 bag CE.'),
      query: z.number().int().positive().default(128).describe('Width of the query projection the instances are compared in.'),
      dropout: z.literal(0).default(0).describe('DSMIL runs on the features as they are, without dropout.'),
    },
    { error: notForArch('dsmil') },
  )
  .strict();

const MODEL_OPTIONS = [AbmilModelSchema, MhaModelSchema, DsmilModelSchema] as const;
export const MODEL_ARCHS: readonly string[] = ['abmil', 'mha', 'dsmil'];

export const ModelSchema = z
  .discriminatedUnion('arch', [...MODEL_OPTIONS], { error: (issue) => (issue.code === 'invalid_union' ? `model.arch must be one of: ${MODEL_ARCHS.join(', ')}` : undefined) })
  .superRefine((m, ctx) => {
    if (m.arch === 'mha' && m.hidden !== undefined && m.hidden % m.heads !== 0) ctx.addIssue({ code: 'custom', path: ['heads'], message: `${m.heads} heads do not divide model.hidden ${m.hidden}` });
  })
  .describe('The MIL model: "arch" picks it, and each arch has its own options.');
export type ModelConfig = z.infer<typeof ModelSchema>;

/** Normalised entropy H / log N lies in [0, 1]; a target at either end is unreachable, so both are excluded. */
const normalisedEntropy = z.number().gt(0, 'a normalised entropy H / log N strictly between 0 and 1').lt(1, 'a normalised entropy H / log N strictly between 0 and 1');

export const AemSchema = z
  .object({
    regulariser: z.enum(['entropy', 'kl', 'none']).default('entropy').describe('entropy: lambda * sum a log a (AEM); kl: lambda * KL(U || a); none: plain ABMIL.'),
    lambda: z.number().min(0).default(0.1).describe('The weight of the regulariser; with schedule "auto", its starting value.'),
    schedule: z
      .enum(['constant', 'cosine', 'auto'])
      .default('cosine')
      .describe('cosine: Cosine Weight Annealing of lambda over training; auto: lambda is adjusted each step to hold the attention entropy at aem.targetEntropy.'),
    targetEntropy: normalisedEntropy.default(0.6).describe('schedule "auto": the normalised attention entropy H / log N (0 to 1, exclusive) lambda holds each bag at.'),
    targetSchedule: z.enum(['constant', 'cosine']).default('constant').describe('schedule "auto": constant keeps targetEntropy; cosine lowers it along a half cosine per iteration to targetEnd.'),
    targetEnd: normalisedEntropy.optional().describe('schedule "auto" with targetSchedule "cosine": the target at the end of training (default: targetEntropy, i.e. no annealing).'),
    lambdaLr: z.number().min(0, 'a step size of 0 or more (0 keeps lambda at aem.lambda)').default(0.05).describe('schedule "auto": lambda <- max(0, lambda + lambdaLr * (target - H / log N)) after each step.'),
  })
  .strict()
  .superRefine((aem, ctx) => {
    if (aem.schedule === 'auto' && aem.regulariser === 'none') ctx.addIssue({ code: 'custom', path: ['schedule'], message: 'schedule "auto" adjusts the regulariser\'s weight, but aem.regulariser is "none": use "entropy" (or "kl")' });
  });
export type AemConfig = z.infer<typeof AemSchema>;

export const TrainSchema = z
  .object({
    epochs: z.number().int().min(1).default(50),
    lr: z.number().positive().default(2e-4),
    minLr: z.number().min(0).default(0),
    weightDecay: z.number().min(0).default(1e-5),
    maxInstances: z.number().int().positive().optional().describe('Cap on instances per training bag, sampled from the seed each step.'),
    selection: z.enum(['val_auroc+val_f1']).default('val_auroc+val_f1'),
    topK: z.number().int().min(1).default(1000).describe('Largest k of the top-k cumulative attention curve.'),
  })
  .strict();
export type TrainConfig = z.infer<typeof TrainSchema>;

const SBATCH_TIME = /^(\d+|\d+:\d{2}(:\d{2})?|\d+-\d+(:\d{2}(:\d{2})?)?)$/;

export const ClusterSchema = z
  .object({
    scheduler: z.literal('slurm').describe('The batch system: SLURM (sbatch, squeue, scontrol, scancel).'),
    partition: z.string().min(1).optional().describe('sbatch --partition.'),
    account: z.string().min(1).optional().describe('sbatch --account.'),
    qos: z.string().min(1).optional().describe('sbatch --qos.'),
    time: z.string().regex(SBATCH_TIME, 'an sbatch time limit: "MM", "HH:MM:SS", "D-HH" or "D-HH:MM:SS"').optional().describe('sbatch --time: the limit of each run.'),
    cpus: z.number().int().min(1).default(4).describe('sbatch --cpus-per-task of each run.'),
    mem: z.string().regex(/^\d+[KMGT]?$/, 'a memory size such as "16G" or "4000M"').optional().describe('sbatch --mem of each run.'),
    gpus: z.number().int().min(0).optional().describe('sbatch --gpus-per-task of each run.'),
    gres: z.string().min(1).optional().describe('sbatch --gres, e.g. "gpu:a100:1" (instead of gpus on clusters that want gres).'),
    constraint: z.string().min(1).optional().describe('sbatch --constraint (node features).'),
    maxConcurrent: z.number().int().min(1).optional().describe('Array tasks running at once (the array\'s %N).'),
    extraArgs: z.array(z.string().regex(/^--?[A-Za-z]/, 'an sbatch option such as "--exclusive" or "--mail-type=END"')).default([]).describe('Further sbatch options, one per entry.'),
    setup: z.array(z.string()).default([]).describe('Shell lines run before the engine in each task, e.g. "module load nodejs/20".'),
    node: z.string().min(1).optional().describe('The node binary on the compute nodes (default: the one running aem-train submit).'),
  })
  .strict()
  .describe('Run the experiment on a cluster: aem-train submit submits one job array, one task per run.');
export type ClusterConfig = z.infer<typeof ClusterSchema>;

export const ComputeSchema = z
  .object({
    backend: z.enum(BACKENDS).default('auto'),
    parallel: z.number().int().min(1).default(1).describe('Runs trained at the same time, each in its own process.'),
    cacheMB: z.number().positive().default(2048).describe('Memory budget of the bag cache.'),
    gpuPath: z
      .enum(GPU_PATHS)
      .default('auto')
      .describe('On webgpu: "fused" runs the model as a few fused WebGPU kernels a step (gated ABMIL, no dropout); "tfjs" runs tfjs-backend-webgpu; "auto" takes fused where it covers the model and says when it does not.'),
    gpuCacheMB: z.number().min(0).default(4096).describe('Fused WebGPU path: device memory for bag features kept on the GPU between epochs (bags beyond it are uploaded each step).'),
    cluster: ClusterSchema.optional(),
  })
  .strict();
export type ComputeConfig = z.infer<typeof ComputeSchema>;

/** The sections whose numeric fields a sweep may set. */
/** Every model option of every arch, for sweeps (the arch's own schema checks each run). */
const MODEL_SWEEP_FIELDS = z.object(Object.assign({}, ...MODEL_OPTIONS.map((o) => o.shape)) as Record<string, z.ZodType>);
const SWEEP_SECTIONS = { model: MODEL_SWEEP_FIELDS, aem: AemSchema, train: TrainSchema } as const;
const SWEEP_KEY = /^(model|aem|train)\.[A-Za-z]+$/;

/** A field's own schema without its default or optional wrapper. */
function innerSchema(field: z.ZodType): z.ZodType {
  let inner = field;
  while (inner instanceof z.ZodDefault || inner instanceof z.ZodOptional) inner = inner.unwrap() as z.ZodType;
  return inner;
}

/** Every "section.field" key a sweep can take: the numeric fields of model, aem and train. */
export const SWEEPABLE_KEYS: readonly string[] = Object.entries(SWEEP_SECTIONS).flatMap(([section, schema]) =>
  Object.entries(schema.shape)
    .filter(([, field]) => innerSchema(field) instanceof z.ZodNumber)
    .map(([name]) => `${section}.${name}`),
);

/** Checks each sweep key names a numeric field and each of its values passes that field's own schema. */
function checkSweepValues(sweep: Record<string, unknown>, ctx: z.RefinementCtx): void {
  if (typeof sweep !== 'object' || sweep === null) return; // not an object: reported already
  for (const [key, values] of Object.entries(sweep)) {
    if (!SWEEP_KEY.test(key)) continue; // the key's own schema reports it
    const [section, name] = key.split('.') as [keyof typeof SWEEP_SECTIONS, string];
    const shape: Record<string, z.ZodType> = SWEEP_SECTIONS[section].shape;
    const field = Object.hasOwn(shape, name) ? shape[name] : undefined;
    if (!field) {
      ctx.addIssue({ code: 'custom', path: [key], message: `unknown sweep key: ${section} has no field "${name}" (sweepable: ${SWEEPABLE_KEYS.join(', ')})` });
      continue;
    }
    const inner = innerSchema(field);
    if (!(inner instanceof z.ZodNumber)) {
      ctx.addIssue({ code: 'custom', path: [key], message: `${key} is not a numeric field, so it cannot be swept (sweepable: ${SWEEPABLE_KEYS.join(', ')})` });
      continue;
    }
    if (!Array.isArray(values)) continue;
    values.forEach((value: unknown, i) => {
      if (typeof value !== 'number') return; // reported as not a number already
      const checked = inner.safeParse(value);
      if (!checked.success) ctx.addIssue({ code: 'custom', path: [key, i], message: `${value} is not a valid ${key}: ${checked.error.issues.map((issue) => issue.message).join('; ')}` });
    });
  }
}

export const ExperimentSchema = z
  .object({
    $schema: z.string().optional(),
    name: z.string().regex(/^[A-Za-z0-9._-]+$/, 'use letters, digits, ".", "_" or "-"').describe('Experiment name; runs are stored under <output>/<name>/.'),
    data: DataSchema,
    model: ModelSchema.default({ arch: 'abmil', attention: 128, dropout: 0 }),
    aem: AemSchema.default({ regulariser: 'entropy', lambda: 0.1, schedule: 'cosine', targetEntropy: 0.6, targetSchedule: 'constant', lambdaLr: 0.05 }),
    train: TrainSchema.default({ epochs: 50, lr: 2e-4, minLr: 0, weightDecay: 1e-5, selection: 'val_auroc+val_f1', topK: 1000 }),
    seeds: z
      .array(z.number().int().min(0).max(Number.MAX_SAFE_INTEGER))
      .min(1)
      .refine((seeds) => new Set(seeds).size === seeds.length, { message: 'each seed once: a repeated seed would train the same run twice' })
      .default([0]),
    sweep: z
      .record(z.string().regex(SWEEP_KEY, 'a sweep key names a numeric field such as "aem.lambda"'), z.array(z.number()).min(1))
      // Runs even when another sweep entry is malformed, so that every problem is listed at once.
      .superRefine(checkSweepValues, { when: () => true })
      .default({})
      .describe('Grid over numeric fields, e.g. {"aem.lambda": [0, 0.1, 0.5]}: one run per combination per seed.'),
    compute: ComputeSchema.default({ backend: 'auto', parallel: 1, cacheMB: 2048, gpuPath: 'auto', gpuCacheMB: 4096 }),
    output: z.string().default('.aem/runs'),
  })
  .strict();
export type Experiment = z.infer<typeof ExperimentSchema>;
export type ExperimentInput = z.input<typeof ExperimentSchema>;
