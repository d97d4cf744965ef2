// The single source of truth for `*.aem.json` experiment files. The JSON Schema handed to VS Code's
// jsonValidation is generated from this module (scripts/emit-schema.ts).
import { z } from 'zod';
import { SweepValueSchema, type SweepValue } from '../protocol/events.js';

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
    instanceTruth: z
      .string()
      .optional()
      .describe('clam / acmil: CSV of tumour patches (slide_id, x, y; one row per patch, at the coordinates of the feature file\'s coords), e.g. CAMELYON16 annotations as patch coordinates. Gives the tumour attention metric and the attention maps\' tumour outline. The synthetic presets have their own.'),
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

export const ClamSbModelSchema = z
  .object(
    {
      arch: z.literal('clam_sb').describe('CLAM single branch (Lu et al. 2021): gated attention, bag classifier, and instance clustering of the top / bottom kSample instances by per-class binary classifiers; loss bagWeight * bag CE + (1 - bagWeight) * instance loss.'),
      hidden: modelCommon.hidden,
      dropout: z.number().min(0).max(0.9).default(0.25).describe('Dropout on the first layer\'s output and on both gated-attention branches while training (CLAM\'s default 0.25).'),
      attention: z.number().int().positive().default(256).describe('Width of the gated attention branches (CLAM "small": 256).'),
      kSample: z.number().int().positive().default(8).describe('Instances of highest and of lowest attention the instance classifiers are trained on (CLAM\'s B); a bag with fewer uses all of its instances.'),
      instanceLoss: z.enum(['ce', 'svm']).default('ce').describe('Instance classifiers\' loss: ce (cross-entropy, CLAM\'s default) or svm (smooth top-1 SVM, as CLAM\'s README commands use).'),
      subtyping: z.boolean().default(false).describe('Also train every other class\'s instance classifier on the top instances as negatives (CLAM\'s --subtyping, for subtyping problems); the instance loss is then divided by the class count.'),
      bagWeight: z.number().min(0).max(1).default(0.7).describe('Weight of the bag CE; the instance loss gets 1 - bagWeight.'),
    },
    { error: notForArch('clam_sb') },
  )
  .strict();

export const AcmilModelSchema = z
  .object(
    {
      arch: z.literal('acmil').describe('ACMIL (Zhang et al. 2023, ACMIL_GA): gated attention with several branches, stochastic top-k instance masking while training, branch and slide classifiers, diversity loss.'),
      ...modelCommon,
      attention: z.number().int().positive().default(128).describe('Width of the gated attention branches.'),
      branches: z.number().int().positive().default(5).describe('Attention branches (ACMIL\'s n_token), each with its own classifier; the regulariser is averaged over them.'),
      maskedInstances: z.number().int().min(0).default(10).describe('Of each branch\'s top-scored instances, how many are candidates for masking while training (ACMIL\'s n_masked_patch); a bag with fewer uses all of its instances.'),
      maskProbability: z.number().min(0).max(1).default(0.6).describe('The fraction of the candidates masked at each training step, drawn from the run\'s seed (ACMIL\'s mask_drop).'),
    },
    { error: notForArch('acmil') },
  )
  .strict();

export const DTFD_DISTILLATIONS = ['AFS', 'MaxMinS', 'MaxS'] as const;

export const DtfdModelSchema = z
  .object(
    {
      arch: z.literal('dtfd').describe('DTFD-MIL (Zhang et al. 2022): the bag split at random into pseudo-bags, gated attention and a classifier per pseudo-bag (tier 1), each pseudo-bag distilled into a second gated attention MIL (tier 2); loss tier-1 CE + tier-2 CE, AEM on the tier-1 attention.'),
      hidden: modelCommon.hidden,
      attention: z.number().int().positive().default(128).describe('Width of both tiers\' gated attention branches.'),
      pseudoBags: z.number().int().positive().default(5).describe('Pseudo-bags each bag is split into at random (the authors\' numGroup); a bag with fewer instances gets one pseudo-bag per instance.'),
      distillation: z
        .enum(DTFD_DISTILLATIONS)
        .default('AFS')
        .describe('What each pseudo-bag hands to tier 2: "AFS" its attention-pooled feature; "MaxMinS" the features of its instances ranked highest and lowest by the tier-1 classifier; "MaxS" only the highest.'),
      distilledInstances: z.number().int().positive().default(1).describe('MaxMinS / MaxS: instances taken from each end of a pseudo-bag\'s ranking (the authors\' total_instance / numGroup).'),
      dropout: z.literal(0).default(0).describe('DTFD-MIL runs without dropout (the authors\' default).'),
    },
    { error: notForArch('dtfd') },
  )
  .strict();

export const TransmilModelSchema = z
  .object(
    {
      arch: z.literal('transmil').describe('TransMIL (Shao et al. 2021): two Nyström self-attention layers with a cls token and the PPEG position encoding between them, the instances padded to a square; AEM on the exact attention of the last layer\'s cls query over the instances.'),
      width: z.number().int().positive().default(512).describe('Width of the token features after the first layer.'),
      heads: z.number().int().positive().default(8).describe('Attention heads; they split the width in equal parts, so it must divide it.'),
      landmarks: z.number().int().positive().default(256).describe('Nyström landmarks (the authors: half the width).'),
      dropout: z.number().min(0).max(0.9).default(0.1).describe('Dropout on each Nyström attention layer\'s output projection while training (the authors\' 0.1).'),
    },
    { error: notForArch('transmil') },
  )
  .strict();

export const MODEL_OPTIONS = [AbmilModelSchema, MhaModelSchema, DsmilModelSchema, ClamSbModelSchema, AcmilModelSchema, DtfdModelSchema, TransmilModelSchema] as const;
export const MODEL_ARCHS: readonly string[] = ['abmil', 'mha', 'dsmil', 'clam_sb', 'acmil', 'dtfd', 'transmil'];

type ArchSchema = (typeof MODEL_OPTIONS)[number];

/** The literal an arch schema's `arch` field holds (some have a default around it). */
function archName(schema: ArchSchema): unknown {
  const field: z.ZodType = schema.shape.arch;
  const literal = field instanceof z.ZodDefault ? (field.unwrap() as z.ZodType) : field;
  return literal instanceof z.ZodLiteral ? literal.value : undefined;
}

/** The schema of one model.arch's options. */
export function archSchema(arch: string): ArchSchema | undefined {
  return MODEL_OPTIONS.find((o) => archName(o) === arch);
}

/** Whether model.arch `arch` takes option `name` (and, when given, this value of it). */
export function archAccepts(arch: string, name: string, value?: unknown): boolean {
  const schema = archSchema(arch);
  if (!schema || name === 'arch' || !Object.hasOwn(schema.shape, name)) return false;
  if (value === undefined) return true;
  const field = (schema.shape as Record<string, z.ZodType>)[name];
  return field?.safeParse(value).success ?? false;
}

export const ModelSchema = z
  .discriminatedUnion('arch', [...MODEL_OPTIONS], { error: (issue) => (issue.code === 'invalid_union' ? `model.arch must be one of: ${MODEL_ARCHS.join(', ')}` : undefined) })
  .superRefine((m, ctx) => {
    if (m.arch === 'mha' && m.hidden !== undefined && m.hidden % m.heads !== 0) ctx.addIssue({ code: 'custom', path: ['heads'], message: `${m.heads} heads do not divide model.hidden ${m.hidden}` });
    if (m.arch === 'transmil' && m.width % m.heads !== 0) ctx.addIssue({ code: 'custom', path: ['heads'], message: `${m.heads} heads do not divide model.width ${m.width}` });
  })
  .describe('The MIL model: "arch" picks it, and each arch has its own options.');
export type ModelConfig = z.infer<typeof ModelSchema>;

/** Normalised entropy H / log N lies in [0, 1]; a target at either end is unreachable, so both are excluded. */
const normalisedEntropy = z.number().gt(0, 'a normalised entropy H / log N strictly between 0 and 1').lt(1, 'a normalised entropy H / log N strictly between 0 and 1');

export const AemSchema = z
  .object({
    regulariser: z
      .enum(['entropy', 'kl', 'none', 'entropy_topk'])
      .default('entropy')
      .describe('entropy: lambda * sum a log a (AEM); kl: lambda * KL(U || a); none: plain ABMIL; entropy_topk: lambda * sum v log v over the k largest attention values v renormalised (AEM 2025), with aem.k.'),
    lambda: z.number().min(0).default(0.1).describe('The weight of the regulariser; with schedule "auto", its starting value.'),
    schedule: z
      .enum(['constant', 'cosine', 'auto'])
      .default('cosine')
      .describe('cosine: Cosine Weight Annealing of lambda over training; auto: lambda is adjusted each step to hold the attention entropy at aem.targetEntropy.'),
    k: z.number().int().min(1).optional().describe('entropy_topk: how many of the largest attention values the entropy is taken over (a bag with fewer instances uses all of them). Other regularisers ignore it.'),
    targetEntropy: normalisedEntropy.default(0.6).describe('schedule "auto": the normalised attention entropy H / log N (0 to 1, exclusive) lambda holds each bag at.'),
    targetSchedule: z.enum(['constant', 'cosine']).default('constant').describe('schedule "auto": constant keeps targetEntropy; cosine lowers it along a half cosine per iteration to targetEnd.'),
    targetEnd: normalisedEntropy.optional().describe('schedule "auto" with targetSchedule "cosine": the target at the end of training (default: targetEntropy, i.e. no annealing).'),
    lambdaLr: z.number().min(0, 'a step size of 0 or more (0 keeps lambda at aem.lambda)').default(0.05).describe('schedule "auto": lambda <- max(0, lambda + lambdaLr * (target - H / log N)) after each step.'),
  })
  .strict()
  .superRefine((aem, ctx) => {
    if (aem.regulariser === 'entropy_topk' && aem.k === undefined) {
      ctx.addIssue({ code: 'custom', path: ['k'], message: 'aem.regulariser "entropy_topk" needs aem.k, the number of largest attention values it takes the entropy over (e.g. "k": 10)' });
    }
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
    subsample: z
      .number()
      .gt(0)
      .max(1)
      .optional()
      .describe('Subsampling augmentation: the fraction of a training bag\'s instances drawn (seeded) afresh at every step, max(1, floor(fraction * N)), before the maxInstances cap. Val and test bags are never subsampled.'),
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

/** The most threads tfjs-backend-wasm's threaded build can use: it starts a pool of 8 workers. */
export const MAX_WASM_THREADS = 8;

export const ComputeSchema = z
  .object({
    backend: z.enum(BACKENDS).default('auto'),
    parallel: z
      .union([z.number().int().min(1), z.literal('auto')])
      .default(1)
      .describe('Runs trained at the same time, each in its own process; "auto": as many as the cores allow (the cores over the threads each run computes on: one on wasm and cpu, all on tensorflow, one run on a GPU backend).'),
    threads: z
      .union([z.number().int().min(1).max(MAX_WASM_THREADS), z.literal('auto')])
      .default(1)
      .describe('Threads each run computes on, on the wasm backend (its threaded SIMD build when above 1; at most 8); "auto": the cores shared out over the runs trained at once. Faster for large bags on cores of its own, slower for small bags. Other backends choose their own.'),
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

export { SweepValueSchema, type SweepValue };

/** A field's own schema without its default or optional wrapper. */
function innerSchema(field: z.ZodType): z.ZodType {
  let inner = field;
  while (inner instanceof z.ZodDefault || inner instanceof z.ZodOptional) inner = inner.unwrap() as z.ZodType;
  return inner;
}

const isScalarSchema = (s: z.ZodType) => s instanceof z.ZodNumber || s instanceof z.ZodEnum || s instanceof z.ZodBoolean || s instanceof z.ZodString || s instanceof z.ZodLiteral;

/** Each model option's schema in every arch that has it (model.arch itself is checked against MODEL_ARCHS). */
const MODEL_OPTION_FIELDS = new Map<string, z.ZodType[]>();
for (const option of MODEL_OPTIONS) {
  for (const [name, field] of Object.entries(option.shape as Record<string, z.ZodType>)) {
    if (name !== 'arch') MODEL_OPTION_FIELDS.set(name, [...(MODEL_OPTION_FIELDS.get(name) ?? []), innerSchema(field)]);
  }
}
const sectionFields = (schema: { shape: Record<string, z.ZodType> }) => new Map(Object.entries(schema.shape).map(([name, field]) => [name, [innerSchema(field)]]));
/** The schemas a swept value of each "section.field" must pass (one of, for a model option several archs have). */
const SWEEP_FIELDS: Record<'model' | 'aem' | 'train', Map<string, z.ZodType[]>> = {
  model: new Map([['arch', [z.enum(MODEL_ARCHS as [string, ...string[]])]], ...MODEL_OPTION_FIELDS]),
  aem: sectionFields(AemSchema),
  train: sectionFields(TrainSchema),
};
const SWEEP_KEY = /^(model|aem|train)\.[A-Za-z]+$/;

/** Every "section.field" key a sweep can take: the scalar fields of model (model.arch and every arch's options), aem and train. */
export const SWEEPABLE_KEYS: readonly string[] = Object.entries(SWEEP_FIELDS).flatMap(([section, fields]) =>
  [...fields].filter(([, schemas]) => schemas.some(isScalarSchema)).map(([name]) => `${section}.${name}`),
);

const showValue = (v: unknown) => (typeof v === 'string' ? `"${v}"` : String(v));

/** Checks each sweep key names a scalar field, each value passes that field's own schema, and no value is listed twice. */
function checkSweepValues(sweep: Record<string, unknown>, ctx: z.RefinementCtx): void {
  if (typeof sweep !== 'object' || sweep === null) return; // not an object: reported already
  for (const [key, values] of Object.entries(sweep)) {
    if (!SWEEP_KEY.test(key)) continue; // the key's own schema reports it
    const [section, name] = key.split('.') as [keyof typeof SWEEP_FIELDS, string];
    const schemas = SWEEP_FIELDS[section].get(name);
    if (!schemas) {
      ctx.addIssue({ code: 'custom', path: [key], message: `unknown sweep key: ${section} has no field "${name}" (sweepable: ${SWEEPABLE_KEYS.join(', ')})` });
      continue;
    }
    if (!schemas.some(isScalarSchema)) {
      ctx.addIssue({ code: 'custom', path: [key], message: `${key} is not a scalar field, so it cannot be swept (sweepable: ${SWEEPABLE_KEYS.join(', ')})` });
      continue;
    }
    if (!Array.isArray(values)) continue;
    const seen = new Map<string, number>();
    values.forEach((value: unknown, i) => {
      if (!['number', 'string', 'boolean'].includes(typeof value)) return; // reported by the value's own schema
      const first = seen.get(JSON.stringify(value));
      if (first !== undefined) {
        ctx.addIssue({ code: 'custom', path: [key, i], message: `${showValue(value)} is listed twice in the sweep of ${key} (also at position ${first}): each value once, or its runs would be trained twice` });
        return;
      }
      seen.set(JSON.stringify(value), i);
      const results = schemas.map((schema) => schema.safeParse(value));
      if (results.some((r) => r.success)) return;
      const why = [...new Set(results.flatMap((r) => (r.success ? [] : r.error.issues.map((issue) => issue.message))))].join('; ');
      ctx.addIssue({ code: 'custom', path: [key, i], message: `${showValue(value)} is not a valid ${key}: ${why}` });
    });
  }
}

/**
 * A swept model option must apply to some run: to model.arch, or to one of the swept archs. A value no
 * such arch takes is a problem at its position (each run's own arch schema checks it again).
 */
function checkModelSweeps(input: unknown, ctx: z.RefinementCtx): void {
  const exp = input as { model?: { arch?: unknown }; aem?: { k?: unknown }; sweep?: unknown };
  if (typeof exp !== 'object' || exp === null || typeof exp.sweep !== 'object' || exp.sweep === null) return;
  const sweep = exp.sweep as Record<string, unknown>;
  const regularisers = sweep['aem.regulariser'];
  if (Array.isArray(regularisers) && exp.aem?.k === undefined && !Array.isArray(sweep['aem.k'])) {
    const at = regularisers.indexOf('entropy_topk');
    if (at >= 0) ctx.addIssue({ code: 'custom', path: ['sweep', 'aem.regulariser', at], message: '"entropy_topk" needs aem.k, the number of largest attention values it takes the entropy over: set it in "aem" (e.g. "k": 10) or sweep aem.k' });
  }
  const swept = sweep['model.arch'];
  const archs = [...new Set((Array.isArray(swept) ? swept : [exp.model?.arch ?? 'abmil']).filter((a): a is string => typeof a === 'string' && MODEL_ARCHS.includes(a)))];
  if (archs.length === 0) return; // an unknown arch is reported already
  for (const [key, values] of Object.entries(sweep)) {
    if (!key.startsWith('model.') || key === 'model.arch' || !Array.isArray(values)) continue;
    const name = key.slice('model.'.length);
    if (!MODEL_OPTION_FIELDS.has(name)) continue; // an unknown key is reported already
    const taking = archs.filter((a) => archAccepts(a, name));
    const which = archs.length === 1 ? `model.arch "${archs[0]}"` : `any of the swept archs (${archs.join(', ')})`;
    if (taking.length === 0) {
      ctx.addIssue({ code: 'custom', path: ['sweep', key], message: `"${name}" does not apply to ${which}, so ${key} cannot be swept here` });
      continue;
    }
    values.forEach((value: unknown, i) => {
      const schemas = MODEL_OPTION_FIELDS.get(name) ?? [];
      if (!schemas.some((s) => s.safeParse(value).success)) return; // reported by checkSweepValues
      if (!taking.some((a) => archAccepts(a, name, value))) {
        ctx.addIssue({ code: 'custom', path: ['sweep', key, i], message: `${showValue(value)} is not a valid ${key} for ${taking.length === 1 ? `model.arch "${taking[0]}"` : `any of ${taking.join(', ')}`}` });
      }
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
      .record(z.string().regex(SWEEP_KEY, 'a sweep key names a field of model, aem or train such as "aem.lambda" or "model.arch"'), z.array(SweepValueSchema).min(1))
      // Runs even when another sweep entry is malformed, so that every problem is listed at once.
      .superRefine(checkSweepValues, { when: () => true })
      .default({})
      .describe('Grid over fields of model, aem and train, numbers or not, e.g. {"model.arch": ["abmil", "mha"], "aem.lambda": [0, 0.1]}: one run per combination per seed.'),
    compute: ComputeSchema.default({ backend: 'auto', parallel: 1, threads: 1, cacheMB: 2048, gpuPath: 'auto', gpuCacheMB: 4096 }),
    output: z.string().default('.aem/runs'),
  })
  .strict()
  .superRefine((exp, ctx) => {
    // ACMIL's masked instances have attention exactly 0, where KL(U || a) is infinite.
    if (exp.model.arch === 'acmil' && exp.aem.regulariser === 'kl' && exp.model.maskedInstances > 0 && exp.model.maskProbability > 0) {
      ctx.addIssue({ code: 'custom', path: ['aem', 'regulariser'], message: 'aem.regulariser "kl" does not apply to model.arch "acmil": its masked instances get attention 0, where KL(U || a) is infinite; use "entropy" or "none" (or model.maskProbability 0)' });
    }
  })
  .superRefine(checkModelSweeps, { when: () => true });
export type Experiment = z.infer<typeof ExperimentSchema>;
export type ExperimentInput = z.input<typeof ExperimentSchema>;
