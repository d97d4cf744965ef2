// What the map view remembers while hidden or across a reload.
import { z } from 'zod';
import { SCALE_MODES } from '../../src/attentionMaps/scale.js';

export const SORT_KEYS = ['errors', 'slideId', 'split', 'label', 'predicted', 'probability', 'entropy', 'tumourMass', 'n'] as const;
export type SortKey = (typeof SORT_KEYS)[number];

const ViewStateSchema = z.object({
  kind: z.enum(['best', 'last']),
  scale: z.enum(SCALE_MODES),
  head: z.union([z.literal('mean'), z.number().int().nonnegative()]),
  topK: z.number().int().positive().max(1000).nullable(),
  split: z.string(),
  labelFilter: z.string(),
  text: z.string().max(200),
  sort: z.enum(SORT_KEYS),
  descending: z.boolean(),
  selected: z.string().nullable(),
  zoom: z.number().positive(),
  centre: z.tuple([z.number(), z.number()]).nullable(),
  /** The runs shown, so that the extension can reopen the panel after a reload (parseRestoredState). */
  runIds: z.array(z.string()).max(2).default([]),
});
export type ViewState = z.infer<typeof ViewStateSchema>;

export const INITIAL_STATE: ViewState = { kind: 'best', scale: 'raw', head: 'mean', topK: null, split: 'all', labelFilter: 'all', text: '', sort: 'errors', descending: false, selected: null, zoom: 1, centre: null, runIds: [] };

export function readViewState(raw: unknown): ViewState {
  const parsed = ViewStateSchema.safeParse(raw);
  return parsed.success ? parsed.data : { ...INITIAL_STATE };
}
