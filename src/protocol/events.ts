// The engine's event protocol: what `aem-train --json` prints one per line and what a training worker
// sends over IPC. The extension host validates every message it receives with `parseEngineEvent`.
// Also the shapes of metrics.jsonl lines and summary.json, which the run store writes.
import { z } from 'zod';

export const PROTOCOL_VERSION = 1;

/** A value a sweep gives a field: numbers (aem.lambda), names (model.arch, aem.schedule) or booleans. */
export const SweepValueSchema = z.union([z.number(), z.string(), z.boolean()]);
export type SweepValue = z.infer<typeof SweepValueSchema>;

export const BackendRecordSchema = z.object({
  name: z.string(),
  tfName: z.string(),
  version: z.string(),
  adapter: z.string().optional(),
  /** Where the backend's optional packages were loaded from (the project or AEM_BACKEND_MODULES). */
  from: z.string().optional(),
  /** How the model runs on it: "fused" WebGPU kernels or tfjs operations (absent in runs before the fused path). */
  path: z.enum(['fused', 'tfjs']).optional(),
  /** Why auto did not take the fused path on a WebGPU adapter. */
  pathReason: z.string().optional(),
  skipped: z.array(z.object({ name: z.string(), reason: z.string() })),
});
export type BackendRecord = z.infer<typeof BackendRecordSchema>;

export const TrainEpochMetricsSchema = z.object({
  epoch: z.number().int(),
  split: z.literal('train'),
  loss: z.number(),
  ce: z.number(),
  regulariser: z.number(),
  lr: z.number(),
  lambda: z.number(),
  /** Mean per bag of the model's own loss terms by name (CLAM's instance loss...); loss = ce + lambda * regulariser + their sum. */
  terms: z.record(z.string(), z.number()).optional(),
  bags: z.number().int(),
  seconds: z.number(),
  bagsPerSecond: z.number(),
});
export type TrainEpochMetrics = z.infer<typeof TrainEpochMetricsSchema>;

/** How many k of the top-k curve `perHead` keeps per row (log-spaced; every k when K is at most this). */
export const PER_HEAD_TOPK_POINTS = 160;

/**
 * The attention summaries of each row of a model whose attention has several rows that are the same
 * component in every bag: MHA's and TransMIL's heads, ACMIL's branches, DSMIL's classes. Each value is
 * the mean over the split's bags of that row alone; the eval line's own `entropy`, `entropyNormalised`
 * and `topk` are the mean of these over rows.
 */
export const PerHeadAttentionSchema = z.object({
  /** What a row is: "head" (mha, transmil), "branch" (acmil) or "class" (dsmil). */
  row: z.string().min(1),
  /** Mean attention entropy over bags, nats, per row. */
  entropy: z.array(z.number()),
  /** Mean of entropy / log N per row. */
  entropyNormalised: z.array(z.number()),
  /** The k (1-based) at which `topk` keeps each row's curve: log-spaced, 1 and K included, at most PER_HEAD_TOPK_POINTS. */
  topkKs: z.array(z.number().int().positive()),
  /** Mean top-k cumulative attention per row at those k, [rows][topkKs.length]. */
  topk: z.array(z.array(z.number())),
});
export type PerHeadAttention = z.infer<typeof PerHeadAttentionSchema>;

export const EvalEpochMetricsSchema = z.object({
  epoch: z.number().int(),
  split: z.enum(['val', 'test']),
  loss: z.number(),
  ce: z.number(),
  regulariser: z.number(),
  /** Mean per bag of the model's own loss terms by name, as in the train line. */
  terms: z.record(z.string(), z.number()).optional(),
  /** null when undefined (one class only): the reason says why. */
  auroc: z.number().nullable(),
  aurocUndefinedReason: z.string().optional(),
  f1: z.number(),
  accuracy: z.number(),
  /** Mean attention entropy over bags, nats (of a multi-row attention: the mean over its rows per bag). */
  entropy: z.number(),
  /** Mean of entropy / log N (bags with N = 1 count as 0). */
  entropyNormalised: z.number(),
  /** Mean top-k cumulative attention, k = 1..K (mean over heads too, for a multi-row attention). */
  topk: z.array(z.number()),
  /** The same per head, branch or class; only for models whose attention has several such rows. */
  perHead: PerHeadAttentionSchema.optional(),
  /** Mean attention mass on tumour instances, where the data has instance truth. */
  tumourAttention: z.number().nullable().optional(),
  bags: z.number().int(),
  seconds: z.number(),
});
export type EvalEpochMetrics = z.infer<typeof EvalEpochMetricsSchema>;

export const MetricsLineSchema = z.discriminatedUnion('split', [TrainEpochMetricsSchema, EvalEpochMetricsSchema]);
export type MetricsLine = z.infer<typeof MetricsLineSchema>;

/** The valid metric lines of metrics.jsonl text; a torn or foreign line is skipped. */
export function parseMetricsLines(text: string): MetricsLine[] {
  const out: MetricsLine[] = [];
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    try {
      const parsed = MetricsLineSchema.safeParse(JSON.parse(line));
      if (parsed.success) out.push(parsed.data);
    } catch {
      // a line cut short by a crash
    }
  }
  return out;
}

export const RunStatusSchema = z.enum(['running', 'done', 'stopped', 'failed']);
export type RunStatus = z.infer<typeof RunStatusSchema>;

export const RunSummarySchema = z.object({
  runId: z.string(),
  experiment: z.string(),
  configLabel: z.string(),
  seed: z.number().int(),
  fold: z.number().int().optional(),
  sweepValues: z.record(z.string(), SweepValueSchema),
  status: RunStatusSchema,
  epochsDone: z.number().int(),
  epochs: z.number().int(),
  bestEpoch: z.number().int().nullable(),
  /** Test metrics at the best epoch (by val AUROC + val F1). */
  best: EvalEpochMetricsSchema.omit({ topk: true, perHead: true }).nullable(),
  last: EvalEpochMetricsSchema.omit({ topk: true, perHead: true }).nullable(),
  wallSeconds: z.number(),
  backend: BackendRecordSchema.nullable(),
  error: z.string().optional(),
  updatedAt: z.string(),
});
export type RunSummary = z.infer<typeof RunSummarySchema>;

const CacheStatsSchema = z.object({
  hitRate: z.number(),
  readMBps: z.number(),
  waitSeconds: z.number(),
  residentBytes: z.number(),
});

export const EngineEventSchema = z.discriminatedUnion('type', [
  z.object({
    type: z.literal('run-started'),
    runId: z.string(),
    runDir: z.string(),
    experiment: z.string(),
    configLabel: z.string(),
    seed: z.number().int(),
    fold: z.number().int().optional(),
    epochs: z.number().int(),
    itersPerEpoch: z.number().int(),
    backend: BackendRecordSchema,
    resumedAt: z.object({ epoch: z.number().int(), iter: z.number().int() }).optional(),
  }),
  z.object({ type: z.literal('log'), runId: z.string().optional(), level: z.enum(['info', 'warn', 'error']), message: z.string() }),
  z.object({
    type: z.literal('progress'),
    runId: z.string(),
    epoch: z.number().int(),
    iter: z.number().int(),
    iters: z.number().int(),
    bagsPerSecond: z.number(),
    etaSeconds: z.number(),
  }),
  z.object({
    type: z.literal('epoch'),
    runId: z.string(),
    epoch: z.number().int(),
    epochs: z.number().int(),
    train: TrainEpochMetricsSchema,
    val: EvalEpochMetricsSchema,
    test: EvalEpochMetricsSchema,
    bestEpoch: z.number().int(),
    isBest: z.boolean(),
    cache: CacheStatsSchema,
  }),
  z.object({ type: z.literal('checkpoint'), runId: z.string(), kind: z.enum(['last', 'best']), epoch: z.number().int(), iter: z.number().int() }),
  z.object({ type: z.literal('run-finished'), runId: z.string(), status: RunStatusSchema, summary: RunSummarySchema }),
  z.object({
    type: z.literal('experiment-finished'),
    experiment: z.string(),
    runs: z.number().int(),
    failed: z.number().int(),
    table: z.string(),
  }),
]);
export type EngineEvent = z.infer<typeof EngineEventSchema>;

/** Messages a parent sends to a training worker. */
export const WorkerCommandSchema = z.discriminatedUnion('type', [z.object({ type: z.literal('stop') })]);
export type WorkerCommand = z.infer<typeof WorkerCommandSchema>;

export type ParseResult<T> = { ok: true; value: T } | { ok: false; error: string };

export function parseEngineEvent(raw: unknown): ParseResult<EngineEvent> {
  const r = EngineEventSchema.safeParse(raw);
  return r.success ? { ok: true, value: r.data } : { ok: false, error: r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ') };
}

/** Parses one line of `aem-train --json` output. */
export function parseEngineEventLine(line: string): ParseResult<EngineEvent> {
  let raw: unknown;
  try {
    raw = JSON.parse(line);
  } catch {
    return { ok: false, error: 'not JSON' };
  }
  return parseEngineEvent(raw);
}
