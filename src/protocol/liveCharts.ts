// Messages between the extension host and the Live Charts webview, both directions. The host validates
// every message from the webview with `parseWebviewMessage`; the webview validates what the host sends
// with `parseHostMessage` (its bundle includes this module).
import { z } from 'zod';
import { PerHeadAttentionSchema } from './events.js';
import { parseWith, type Parsed } from './parsed.js';

export type { Parsed };

export const LIVE_CHARTS_PROTOCOL_VERSION = 1;

/** What one split contributes to the charts at one epoch. */
export const EvalPointSchema = z.object({
  loss: z.number(),
  auroc: z.number().nullable(),
  f1: z.number(),
  accuracy: z.number(),
  entropy: z.number(),
  entropyNormalised: z.number(),
});
export type EvalPoint = z.infer<typeof EvalPointSchema>;

/** One finished epoch of one run (epoch is 0-based, as in metrics.jsonl). */
export const ChartEpochSchema = z.object({
  epoch: z.number().int().nonnegative(),
  trainLoss: z.number(),
  lambda: z.number(),
  lr: z.number(),
  bagsPerSecond: z.number(),
  /** Seconds the epoch took: training plus validation and test. */
  seconds: z.number(),
  val: EvalPointSchema,
  test: EvalPointSchema,
  /** Mean top-k cumulative attention on test, k = 1..K. */
  testTopk: z.array(z.number()),
  /** Entropy and top-k on test per head, branch or class, for models whose attention has such rows (see PerHeadAttentionSchema). */
  testPerHead: PerHeadAttentionSchema.optional(),
  /** The model's own loss terms on test by name (CLAM's instance loss, DTFD's tier 1, ...), where it has any. */
  testTerms: z.record(z.string(), z.number()).optional(),
});
export type ChartEpoch = z.infer<typeof ChartEpochSchema>;

export const RunStateSchema = z.enum(['pending', 'running', 'done', 'stopped', 'failed', 'interrupted']);

export const ChartRunInfoSchema = z.object({
  runId: z.string().min(1),
  experiment: z.string(),
  /** "λ=0.1 · seed 0" */
  title: z.string(),
  configLabel: z.string(),
  seed: z.number().int(),
  state: RunStateSchema,
  epochs: z.number().int().nonnegative(),
  epochsDone: z.number().int().nonnegative(),
  backend: z.string().nullable(),
  createdAt: z.string(),
});
export type ChartRunInfo = z.infer<typeof ChartRunInfoSchema>;

export const RunProgressSchema = z.object({
  epoch: z.number().int().nonnegative(),
  iter: z.number().int().nonnegative(),
  iters: z.number().int().nonnegative(),
  bagsPerSecond: z.number(),
  etaSeconds: z.number().nullable(),
});
export type RunProgress = z.infer<typeof RunProgressSchema>;

const RunIdsSchema = z.array(z.string().min(1)).max(64);

export const HostMessageSchema = z.discriminatedUnion('type', [
  /** First answer to `ready`: the panel's settings and what runs exist. */
  z.object({ type: z.literal('init'), v: z.literal(LIVE_CHARTS_PROTOCOL_VERSION), smoothing: z.number().min(0).max(0.99), runs: z.array(ChartRunInfoSchema) }),
  /** The runs the panel can show changed (a run started, finished or was deleted). */
  z.object({ type: z.literal('runs'), runs: z.array(ChartRunInfoSchema) }),
  /** Show exactly these runs (from "Show Live Charts"); the webview answers with `select`. */
  z.object({ type: z.literal('show'), runIds: RunIdsSchema }),
  /** Every epoch of a run so far: sent on selection and on (re)connect; replaces what the webview had. */
  z.object({ type: z.literal('snapshot'), run: ChartRunInfoSchema, epochs: z.array(ChartEpochSchema), bestEpoch: z.number().int().nullable(), progress: RunProgressSchema.nullable() }),
  z.object({ type: z.literal('epoch'), runId: z.string().min(1), point: ChartEpochSchema, bestEpoch: z.number().int().nullable() }),
  z.object({ type: z.literal('progress'), runId: z.string().min(1), progress: RunProgressSchema }),
  z.object({ type: z.literal('finished'), runId: z.string().min(1), state: RunStateSchema }),
  z.object({ type: z.literal('notice'), level: z.enum(['info', 'error']), text: z.string() }),
]);
export type HostMessage = z.infer<typeof HostMessageSchema>;

/** File names the webview may suggest: a plain name, no folders. */
const FileNameSchema = z.string().regex(/^[\w.\-=λ ]{1,120}\.(png|csv)$/u);
const MAX_EXPORT_CHARS = 32 * 1024 * 1024;

export const WebviewMessageSchema = z.discriminatedUnion('type', [
  /** The webview (re)loaded; `selected` is what its saved state showed, if anything. */
  z.object({ type: z.literal('ready'), v: z.literal(LIVE_CHARTS_PROTOCOL_VERSION), selected: RunIdsSchema }),
  z.object({ type: z.literal('select'), runIds: RunIdsSchema }),
  /** After each change of the charts' data: epochs drawn per shown run. */
  z.object({ type: z.literal('drawn'), runs: z.array(z.object({ runId: z.string().min(1), epochs: z.number().int().nonnegative() })).max(64) }),
  z.object({
    type: z.literal('saveCsv'),
    fileName: FileNameSchema,
    content: z.string().max(MAX_EXPORT_CHARS),
  }),
  z.object({
    type: z.literal('savePng'),
    fileName: FileNameSchema,
    /** data:image/png;base64,... */
    content: z.string().max(MAX_EXPORT_CHARS).regex(/^data:image\/png;base64,[A-Za-z0-9+/]+=*$/),
  }),
]);
export type WebviewMessage = z.infer<typeof WebviewMessageSchema>;


export function parseWebviewMessage(raw: unknown): Parsed<WebviewMessage> {
  return parseWith(WebviewMessageSchema, raw);
}

export function parseHostMessage(raw: unknown): Parsed<HostMessage> {
  return parseWith(HostMessageSchema, raw);
}
