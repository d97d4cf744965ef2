// Messages between the extension host and the Attention Maps webview, both directions, validated on
// arrival with zod as the live charts' are (the webview bundle includes this module).
import { z } from 'zod';
import { parseWith, type Parsed } from './parsed.js';

export type { Parsed };

export const ATTENTION_MAPS_PROTOCOL_VERSION = 1;

/** The webview panel type: package.json activates on `onWebviewPanel:` it, so panels come back after a reload. */
export const ATTENTION_MAPS_VIEW_TYPE = 'aemStudio.attentionMaps';

export const EpochKindSchema = z.enum(['best', 'last']);

export const SlideRowSchema = z.object({
  slideId: z.string(),
  split: z.string(),
  label: z.number().int(),
  labelName: z.string(),
  predicted: z.number().int(),
  predictedName: z.string(),
  probability: z.number(),
  correct: z.boolean(),
  entropy: z.number().nullable(),
  n: z.number().int().nonnegative(),
  heads: z.number().int().nonnegative(),
  hasCoords: z.boolean(),
  tumourMass: z.number().nullable(),
});
export type SlideRowMessage = z.infer<typeof SlideRowSchema>;

export const RunKindSchema = z.object({
  kind: EpochKindSchema,
  /** 0-based epoch the files were written at. */
  epoch: z.number().int().nonnegative(),
  classes: z.array(z.string()),
  slides: z.array(SlideRowSchema),
  meanTumourMass: z.number().nullable(),
});
export type RunKind = z.infer<typeof RunKindSchema>;

export const MapRunSchema = z.object({
  runId: z.string().min(1),
  title: z.string(),
  kinds: z.array(RunKindSchema),
  /** Why a kind could not be listed (a missing or damaged file, named). */
  problems: z.array(z.string()),
  /** Why the run's instance truth (data.instanceTruth) could not be read; null when it was, or there is none. */
  truthNote: z.string().max(4000).nullable(),
});
export type MapRun = z.infer<typeof MapRunSchema>;

const MAX_PATCHES = 2_000_000;

export const SlideMapSchema = z.object({
  runId: z.string().min(1),
  kind: EpochKindSchema,
  slideId: z.string(),
  n: z.number().int().nonnegative(),
  heads: z.number().int().positive(),
  /** [heads, n], row-major. */
  attention: z.array(z.number()).max(MAX_PATCHES * 8),
  /** [n, 2] (x, y), or null when the run has no coordinates. */
  coords: z.array(z.number()).max(MAX_PATCHES * 2).nullable(),
  patchSize: z.number().positive(),
  patchSource: z.enum(['attribute', 'spacing', 'index']),
  patchLevel: z.number().int().nullable(),
  /** Why the h5 `coords` attributes could not be read (the file named); null when they were, or are absent. */
  patchNote: z.string().max(2000).nullable(),
  tumour: z.array(z.number().int().nonnegative()).max(MAX_PATCHES).nullable(),
});
export type SlideMapMessage = z.infer<typeof SlideMapSchema>;

export const HostMessageSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('init'), v: z.literal(ATTENTION_MAPS_PROTOCOL_VERSION), runs: z.array(MapRunSchema).min(1).max(2), topK: z.number().int().positive() }),
  z.object({ type: z.literal('slide'), map: SlideMapSchema }),
  z.object({ type: z.literal('slideError'), runId: z.string().min(1), kind: EpochKindSchema, slideId: z.string(), text: z.string() }),
  z.object({ type: z.literal('notice'), level: z.enum(['info', 'error']), text: z.string() }),
]);
export type HostMessage = z.infer<typeof HostMessageSchema>;

const FileNameSchema = z.string().regex(/^[\w.\-=λ ]{1,120}\.(png|csv)$/u);
const MAX_EXPORT_CHARS = 64 * 1024 * 1024;

export const WebviewMessageSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('ready'), v: z.literal(ATTENTION_MAPS_PROTOCOL_VERSION) }),
  z.object({ type: z.literal('requestSlide'), runId: z.string().min(1), kind: EpochKindSchema, slideId: z.string().min(1) }),
  /** After a map is drawn: what each pane shows. */
  z.object({ type: z.literal('drawn'), slideId: z.string(), kind: EpochKindSchema, runs: z.array(z.object({ runId: z.string().min(1), patches: z.number().int().nonnegative() })).max(2) }),
  z.object({ type: z.literal('saveCsv'), fileName: FileNameSchema, content: z.string().max(MAX_EXPORT_CHARS) }),
  z.object({ type: z.literal('savePng'), fileName: FileNameSchema, content: z.string().max(MAX_EXPORT_CHARS).regex(/^data:image\/png;base64,[A-Za-z0-9+/]+=*$/) }),
]);
export type WebviewMessage = z.infer<typeof WebviewMessageSchema>;

export function parseWebviewMessage(raw: unknown): Parsed<WebviewMessage> {
  return parseWith(WebviewMessageSchema, raw);
}

export function parseHostMessage(raw: unknown): Parsed<HostMessage> {
  return parseWith(HostMessageSchema, raw);
}

/** What the extension needs of a panel's saved webview state to bring it back after a reload: its runs. */
const RestoredStateSchema = z.object({ runIds: z.array(z.string().min(1).max(500)).min(1).max(2) });
export type RestoredState = z.infer<typeof RestoredStateSchema>;

export function parseRestoredState(raw: unknown): Parsed<RestoredState> {
  return parseWith(RestoredStateSchema, raw);
}
