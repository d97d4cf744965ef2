// Turns the data layer's results into the host messages of the map view.
import type { MapRun, SlideMapMessage } from '../protocol/attentionMaps.js';
import type { EpochKind, RunMaps, RunMapsKind, SlideMap } from './runMaps.js';

export function mapRunMessage(runId: string, title: string, maps: RunMaps): MapRun {
  const kinds: RunMapsKind[] = [];
  const problems: string[] = [];
  for (const kind of ['best', 'last'] as const) {
    try {
      kinds.push(maps.list(kind));
    } catch (err) {
      problems.push(err instanceof Error ? err.message : String(err));
    }
  }
  return { runId, title, kinds, problems, truthNote: maps.truth.problem ?? null };
}

export function slideMapMessage(runId: string, kind: EpochKind, m: SlideMap): SlideMapMessage {
  return {
    runId,
    kind,
    slideId: m.slideId,
    n: m.n,
    heads: m.heads,
    attention: Array.from(m.attention),
    coords: m.coords ? Array.from(m.coords) : null,
    patchSize: m.patch.size,
    patchSource: m.patch.source,
    patchLevel: m.patch.level ?? null,
    patchNote: m.patchNote ?? null,
    tumour: m.tumour ?? null,
  };
}
