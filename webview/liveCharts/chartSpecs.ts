// What each per-epoch chart draws. Line style tells the split: test solid, val dashed, train dotted.
import type { EpochChartSpec } from './epochChart.js';
import { HEAD_LINE_ALPHA, headLabel, latestPerHead } from './headLines.js';
import type { StoredEpoch } from './runSeries.js';

/** The names of the model terms a run's epochs report, in the order they first appear. */
export function termNames(epochs: readonly StoredEpoch[]): string[] {
  const names = new Set<string>();
  for (const e of epochs) for (const name of Object.keys(e.testTerms ?? {})) names.add(name);
  return [...names];
}

export const EPOCH_CHARTS: EpochChartSpec[] = [
  {
    id: 'loss',
    title: () => 'Loss',
    yTitle: () => 'loss',
    series: [
      { key: 'train', label: 'train loss', style: 'dotted', value: (e) => e.trainLoss, smooth: true, axis: 'y' },
      { key: 'val', label: 'val loss', style: 'dashed', value: (e) => e.val.loss, smooth: true, axis: 'y' },
      { key: 'test', label: 'test loss', style: 'solid', value: (e) => e.test.loss, smooth: true, axis: 'y' },
    ],
    // The model's own loss terms on test (DSMIL's maxInstance, CLAM's instance, ACMIL's branches and
    // diversity, DTFD's tier1), each a thin dash-dot line of the run's colour.
    runSeries: (run) =>
      termNames(run.epochs).map((name) => ({ key: `term:${name}`, label: `test ${name}`, style: 'dashdot', value: (e) => e.testTerms?.[name] ?? null, smooth: true, axis: 'y', width: 1 })),
  },
  {
    id: 'auroc',
    title: () => 'AUROC',
    yTitle: () => 'AUROC',
    series: [
      { key: 'val', label: 'val AUROC', style: 'dashed', value: (e) => e.val.auroc, smooth: true, axis: 'y' },
      { key: 'test', label: 'test AUROC', style: 'solid', value: (e) => e.test.auroc, smooth: true, axis: 'y' },
    ],
  },
  {
    id: 'f1',
    title: () => 'F1 (macro)',
    yTitle: () => 'F1',
    series: [
      { key: 'val', label: 'val F1', style: 'dashed', value: (e) => e.val.f1, smooth: true, axis: 'y' },
      { key: 'test', label: 'test F1', style: 'solid', value: (e) => e.test.f1, smooth: true, axis: 'y' },
    ],
  },
  {
    id: 'accuracy',
    title: () => 'Accuracy',
    yTitle: () => 'accuracy',
    series: [
      { key: 'val', label: 'val accuracy', style: 'dashed', value: (e) => e.val.accuracy, smooth: true, axis: 'y' },
      { key: 'test', label: 'test accuracy', style: 'solid', value: (e) => e.test.accuracy, smooth: true, axis: 'y' },
    ],
  },
  {
    id: 'entropy',
    title: (v) => (v.normalisedEntropy ? 'Entropy ÷ log N (test), λ' : 'Attention entropy (test), λ'),
    yTitle: (v) => (v.normalisedEntropy ? 'entropy / log N' : 'entropy (nats)'),
    y2Title: 'λ',
    series: [
      { key: 'test', label: 'test entropy', style: 'solid', value: (e, v) => (v.normalisedEntropy ? e.test.entropyNormalised : e.test.entropy), smooth: true, axis: 'y' },
      { key: 'lambda', label: 'λ', style: 'dotted', value: (e) => e.lambda, smooth: false, axis: 'y2', width: 1 },
    ],
    // A thin line per toggled head of a multi-head run, beside the mean over heads ("test").
    runSeries: (run, view) => {
      const perHead = latestPerHead(run);
      if (!perHead) return [];
      return view.shownHeads
        .filter((h) => h < perHead.entropy.length)
        .map((h) => ({
          key: `head:${h}`,
          label: `test entropy ${headLabel(perHead.row, h)}`,
          style: 'solid',
          value: (e, v) => (v.normalisedEntropy ? e.testPerHead?.entropyNormalised[h] : e.testPerHead?.entropy[h]) ?? null,
          smooth: true,
          axis: 'y',
          width: 1,
          alpha: HEAD_LINE_ALPHA,
        }));
    },
  },
];
