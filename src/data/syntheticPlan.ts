// Which slides a synthetic dataset has: cases (1-2 slides each), labels, splits and bag sizes.
import type { SplitName } from './types.js';
import { SPLIT_NAMES } from './types.js';
import type { PresetSpec } from './syntheticPresets.js';
import { SeededRandom } from '../util/seededRandom.js';

export const CLASS_NAMES: Readonly<Record<2 | 4, readonly string[]>> = {
  2: ['normal', 'tumor'],
  4: ['normal', 'low_grade', 'mid_grade', 'high_grade'],
};

/** Share of cases per class (index = class id). */
const CLASS_SHARES: Readonly<Record<2 | 4, readonly number[]>> = {
  2: [0.6, 0.4],
  4: [0.4, 0.2, 0.2, 0.2],
};

/** Share of cases with two slides. */
const TWO_SLIDE_CASES = 0.2;

export interface PlannedSlide {
  /** Position in the dataset; keys the slide's random stream. */
  index: number;
  slideId: string;
  caseId: string;
  label: number;
  split: SplitName;
  /** 0 = training hospital, 1 = test hospital. */
  hospital: 0 | 1;
  n: number;
  /**
   * Where the slide's lesion fraction falls in its range, in [0, 1). Spread evenly over the positive slides
   * of each split and class (then shuffled), so every seed gets the same mix of large and tiny lesions.
   */
  lesionQuantile: number;
}

/** Class of each of `count` cases, in the preset shares, rounded so every class with a share appears. */
function stratifiedLabels(rng: SeededRandom, count: number, classes: 2 | 4): number[] {
  const shares = CLASS_SHARES[classes];
  const perClass = shares.map((s) => Math.max(count >= shares.length ? 1 : 0, Math.round(s * count)));
  // Absorb rounding in class 0 so the total is exact.
  const rest = perClass.slice(1).reduce((a, b) => a + b, 0);
  perClass[0] = Math.max(0, count - rest);
  const labels: number[] = [];
  perClass.forEach((c, label) => {
    for (let i = 0; i < c; i++) labels.push(label);
  });
  return rng.shuffle(labels.slice(0, count));
}

function bagSize(rng: SeededRandom, bag: PresetSpec['bag']): number {
  const n = Math.round(bag.median * Math.exp(bag.sigma * rng.normal()));
  return Math.min(bag.max, Math.max(bag.min, n));
}

export function planSlides(spec: PresetSpec, seed: number, classes: 2 | 4): PlannedSlide[] {
  const rng = SeededRandom.fromKey(seed, 1);
  interface Draft { split: SplitName; caseNo: number; label: number; n: number; lesionQuantile: number }
  const drafts: Draft[] = [];
  let caseNo = 0;
  for (const split of SPLIT_NAMES) {
    const sizes: number[] = [];
    let remaining = spec.counts[split];
    while (remaining > 0) {
      const size = remaining >= 2 && rng.float32() < TWO_SLIDE_CASES ? 2 : 1;
      sizes.push(size);
      remaining -= size;
    }
    const labels = stratifiedLabels(rng, sizes.length, classes);
    sizes.forEach((size, i) => {
      const label = labels[i] ?? 0;
      for (let s = 0; s < size; s++) drafts.push({ split, caseNo, label, n: bagSize(rng, spec.bag), lesionQuantile: 0 });
      caseNo++;
    });
    for (let label = 1; label < classes; label++) {
      const group = drafts.filter((d) => d.split === split && d.label === label);
      const ranks = rng.shuffle(group.map((_, i) => i));
      group.forEach((d, i) => {
        d.lesionQuantile = ((ranks[i] ?? 0) + rng.float32()) / group.length;
      });
    }
  }
  // Ids carry no hint of split or label: number slides and cases in a shuffled order.
  const slideOrder = rng.shuffle(drafts.map((_, i) => i));
  const caseOrder = rng.shuffle(Array.from({ length: caseNo }, (_, i) => i));
  const width = String(drafts.length).length + 1;
  const pad = (k: number): string => String(k + 1).padStart(width, '0');
  return slideOrder
    .map((draftIndex, position) => {
      const d = drafts[draftIndex] as Draft;
      return {
        index: position,
        slideId: `slide_${pad(position)}`,
        caseId: `case_${pad(caseOrder[d.caseNo] ?? 0)}`,
        label: d.label,
        split: d.split,
        hospital: d.split === 'test' ? 1 : 0,
        n: d.n,
        lesionQuantile: d.lesionQuantile,
      } satisfies PlannedSlide;
    });
}
