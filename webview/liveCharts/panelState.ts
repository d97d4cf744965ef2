// What the panel remembers while hidden or across a reload: the runs shown, the runs hidden through the
// legend, smoothing, the entropy unit, the top-k epoch (null: follow the latest epoch) and the heads
// (0-based rows: heads, branches or classes) whose own lines the entropy and top-k charts add.
import { z } from 'zod';

const PanelStateSchema = z.object({
  selected: z.array(z.string()).max(64),
  hidden: z.array(z.string()).max(64),
  smoothing: z.number().min(0).max(0.99).nullable(),
  normalisedEntropy: z.boolean(),
  topkEpoch: z.number().int().positive().nullable(),
  // Absent in the state of a panel from before head toggles: none shown.
  heads: z.array(z.number().int().nonnegative().max(1023)).max(1024).default([]),
});
export type PanelState = z.infer<typeof PanelStateSchema>;

export const EMPTY_STATE: PanelState = { selected: [], hidden: [], smoothing: null, normalisedEntropy: false, topkEpoch: null, heads: [] };

export function readPanelState(raw: unknown): PanelState {
  const parsed = PanelStateSchema.safeParse(raw);
  return parsed.success ? parsed.data : { ...EMPTY_STATE };
}
