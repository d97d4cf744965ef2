// Evaluates the model on every bag of a split: losses, classification metrics, attention entropy,
// the top-k cumulative attention curve, tumour attention mass, and the per-slide outputs to save.
import type { BagCache } from '../data/bagCache.js';
import { attentionMassOnTruth, readInstanceTruth } from '../data/instanceTruth.js';
import { truthFromPatches, type TumourPatches } from '../data/tumourPatchesCsv.js';
import type { DatasetIndex, SlideRecord } from '../data/types.js';
import type { EvalEpochMetrics } from '../protocol/events.js';
import { AttentionSummary } from './attentionSummary.js';
import type { AttentionEntry } from './checkpoint.js';
import { classificationMetrics } from './metrics.js';
import { attentionRowsOf } from './models/registry.js';
import { addTermSums, meanTerms, type TrainingRunner } from './runner.js';
import type { PredictionRow } from './runStore.js';
import type { BagEvaluation, Objective } from './step.js';

/** One byte per instance of the bag (1 = tumour), or undefined when the slide has no instance truth. */
export type TruthLookup = (slideId: string, n: number, coords: Int32Array | undefined) => Promise<Uint8Array | undefined>;

/**
 * The dataset's instance truth, if it has any: the `.u8` files of a truth folder (synthetic presets) or
 * data.instanceTruth's tumour patches matched to each bag's coordinates. Each slide's truth is worked out
 * once and kept (val and test are evaluated every epoch); what cannot be matched is warned about once.
 */
export function instanceTruthLookup(index: Pick<DatasetIndex, 'truthDir' | 'tumourPatches'>, warn: (message: string) => void): TruthLookup | undefined {
  const cache = new Map<string, Promise<Uint8Array | undefined>>();
  const { truthDir, tumourPatches } = index;
  let read: TruthLookup;
  if (tumourPatches) read = async (slideId, n, coords) => patchTruth(tumourPatches, slideId, n, coords, warn);
  else if (truthDir) read = (slideId) => readInstanceTruth(truthDir, slideId);
  else return undefined;
  return (slideId, n, coords) => {
    let truth = cache.get(slideId);
    if (!truth) {
      truth = read(slideId, n, coords);
      cache.set(slideId, truth);
    }
    return truth;
  };
}

function patchTruth(tumour: TumourPatches, slideId: string, n: number, coords: Int32Array | undefined, warn: (message: string) => void): Uint8Array | undefined {
  const patches = tumour.bySlide.get(slideId);
  if (!coords) {
    if (patches) warn(`slide ${slideId}: ${tumour.file} lists ${patches.size} tumour patch(es), but its feature file has no coords to match them to; its tumour attention is not counted`);
    return undefined;
  }
  const { truth, unmatched } = truthFromPatches(patches, coords, n);
  if (unmatched > 0) warn(`slide ${slideId}: ${unmatched} of the ${patches?.size} tumour patches in ${tumour.file} match no patch coordinate of its bag (coordinates must be the feature file's coords, at its patch level)`);
  return truth;
}

export interface EvalOutcome {
  metrics: EvalEpochMetrics;
  predictions: PredictionRow[];
  attention: AttentionEntry[];
}

export async function evaluateSplit(
  runner: TrainingRunner,
  cache: BagCache,
  slides: SlideRecord[],
  split: 'val' | 'test',
  epoch: number,
  objective: Objective,
  topK: number,
  index: DatasetIndex,
  truthOf?: TruthLookup,
): Promise<EvalOutcome> {
  const started = Date.now();
  const attentionStats = new AttentionSummary(topK, attentionRowsOf(runner.arch));
  const labels: number[] = [];
  const probs: number[][] = [];
  let loss = 0;
  let ce = 0;
  let regulariser = 0;
  let terms: Record<string, number> | undefined;
  let tumourMass = 0;
  let tumourBags = 0;
  const predictions: PredictionRow[] = [];
  const attention: EvalOutcome['attention'] = [];
  // Every bag is queued first (the fused path reads all results back at once), then the metrics are
  // summed in slide order, as before.
  const queued: { slide: SlideRecord; n: number; coords: Int32Array | undefined; result: Promise<BagEvaluation> }[] = [];
  for (let i = 0; i < slides.length; i++) {
    const slide = slides[i] as SlideRecord;
    const next = slides[i + 1];
    const bag = await cache.get(slide.slideId);
    if (next) cache.prefetch(next.slideId);
    const result = runner.evaluate(bag, slide.label, objective);
    result.catch(() => undefined);
    queued.push({ slide, n: bag.n, coords: bag.coords, result });
  }
  await runner.flush();
  for (const { slide, n: bagN, coords, result } of queued) {
    const r = await result;
    loss += r.total;
    ce += r.ce;
    regulariser += r.regulariser;
    if (Object.keys(r.terms).length > 0) terms = addTermSums(terms ?? {}, r.terms);
    labels.push(slide.label);
    probs.push(Array.from(r.probs));
    // Entropy and top-k are averaged over heads, like the regulariser (and kept per head).
    attentionStats.add(r.attention, r.heads, bagN);
    if (truthOf) {
      const truth = await truthOf(slide.slideId, bagN, coords);
      if (truth && truth.some((t) => t === 1)) {
        tumourMass += meanMassOnTruth(r.attention, r.heads, bagN, truth);
        tumourBags += 1;
      }
    }
    predictions.push({ slideId: slide.slideId, split, label: slide.label, labelName: slide.labelName, probs: r.probs });
    attention.push({ slide, values: r.attention, heads: r.heads, ...(coords ? { coords } : {}) });
  }
  const n = slides.length;
  const cls = classificationMetrics(labels, probs, index.classes.length);
  const metrics: EvalEpochMetrics = {
    epoch,
    split,
    loss: loss / n,
    ce: ce / n,
    regulariser: regulariser / n,
    ...(terms ? { terms: meanTerms(terms, n) } : {}),
    auroc: cls.auroc,
    ...(cls.aurocUndefinedReason ? { aurocUndefinedReason: cls.aurocUndefinedReason } : {}),
    f1: cls.f1,
    accuracy: cls.accuracy,
    ...attentionStats.metrics(),
    ...(truthOf ? { tumourAttention: tumourBags > 0 ? tumourMass / tumourBags : null } : {}),
    bags: n,
    seconds: (Date.now() - started) / 1000,
  };
  return { metrics, predictions, attention };
}

/** The attention mass on tumour instances, averaged over the rows (heads, branches, classes) as the entropy is. */
function meanMassOnTruth(attention: Float32Array, rows: number, n: number, truth: Uint8Array): number {
  let mass = 0;
  for (let r = 0; r < rows; r++) mass += attentionMassOnTruth(attention.subarray(r * n, (r + 1) * n), truth);
  return mass / rows;
}
