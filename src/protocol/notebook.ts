// What a comparison cell of an AEM notebook outputs: one payload per `show:` kind, written by the
// notebook controller (extension host) and drawn by the notebook renderer (browser). The renderer
// validates every payload with `ComparisonOutputSchema` before it draws anything.
import { z } from 'zod';
import { parseWith, type Parsed } from './parsed.js';

export const COMPARISON_MIME = 'application/vnd.aem-studio.comparison+json';
export const NOTEBOOK_TYPE = 'aem-notebook';
/** The renderer's id in package.json (`notebookRenderer`), which its messaging channel is named by. */
export const RENDERER_ID = 'aem-studio.comparison-renderer';

/** NaN/Infinity do not survive JSON, so a missing number is null. */
const num = z.number().nullable();

const Common = {
  title: z.string(),
  /** Runs the cell used, and why others were left out (still running, no value at that epoch...). */
  runsUsed: z.number().int(),
  notes: z.array(z.string()),
  /** "<experiment>/<run folder>" of every run the cell selected (the renderer's "Attention maps…" opens them). Absent in outputs saved before it existed. */
  runNames: z.array(z.string()).max(10_000).optional(),
  /** How many of those runs were training when the cell ran (a `live: true` cell runs again while this is above 0). */
  training: z.number().int().nonnegative().optional(),
};

export const TableCellSchema = z.object({
  mean: num,
  std: num,
  /** Seeds with a value. */
  n: z.number().int(),
  values: z.array(z.number()),
  /** Best mean of its column (by the metric's direction); never set for metrics without a direction. */
  best: z.boolean(),
  /** Wilcoxon signed-rank p-value against the baseline group over seeds present in both; null for the baseline itself or too few pairs. */
  p: num,
  pairs: z.number().int(),
  /** The same test against the `versus` group (the best of `versusBest`); null where there is none. */
  pVersus: num.optional(),
  pairsVersus: z.number().int().optional(),
});
export type TableCell = z.infer<typeof TableCellSchema>;

export const TableOutputSchema = z.object({
  kind: z.literal('table'),
  ...Common,
  at: z.string(),
  metrics: z.array(z.string()),
  /** Per metric: which way is better ('none' for metrics such as entropy, never bolded). */
  directions: z.array(z.enum(['higher', 'lower', 'none'])),
  baseline: z.string().nullable(),
  /** The best group of the query's `versusBest` selection (by the first metric with a direction), tested against too. */
  versus: z.string().nullable().optional(),
  rows: z.array(z.object({ group: z.string(), seeds: z.number().int(), cells: z.array(TableCellSchema) })),
  markdown: z.string(),
  csv: z.string(),
  latex: z.string(),
});
export type TableOutput = z.infer<typeof TableOutputSchema>;

const BandSeriesSchema = z.object({
  label: z.string(),
  x: z.array(z.number()),
  mean: z.array(z.number()),
  std: z.array(z.number()),
  n: z.array(z.number().int()),
});
export type BandSeries = z.infer<typeof BandSeriesSchema>;

export const CurvesOutputSchema = z.object({
  kind: z.literal('curves'),
  ...Common,
  charts: z.array(z.object({ metric: z.string(), series: z.array(BandSeriesSchema) })),
});
export type CurvesOutput = z.infer<typeof CurvesOutputSchema>;

export const ScatterOutputSchema = z.object({
  kind: z.literal('scatter'),
  ...Common,
  at: z.string(),
  x: z.string(),
  y: z.string(),
  points: z.array(z.object({ run: z.string(), group: z.string(), seed: z.number().int(), x: z.number(), y: z.number() })),
  pearson: num,
  spearman: num,
});
export type ScatterOutput = z.infer<typeof ScatterOutputSchema>;

export const TopkOutputSchema = z.object({
  kind: z.literal('topk'),
  ...Common,
  at: z.string(),
  split: z.enum(['val', 'test']),
  /** x is k = 1..K. */
  series: z.array(BandSeriesSchema),
});
export type TopkOutput = z.infer<typeof TopkOutputSchema>;

export const SensitivityOutputSchema = z.object({
  kind: z.literal('sensitivity'),
  ...Common,
  at: z.string(),
  metric: z.string(),
  x: z.string(),
  lines: z.string(),
  /** One series per value of `lines`; x holds the values of `x`. */
  series: z.array(BandSeriesSchema),
  /**
   * Configurations with no fixed value of `x` (aem.schedule "auto": aem.lambda is only its start), one
   * horizontal band each at their mean ± std over seeds, drawn across the lines.
   */
  bands: z.array(z.object({ label: z.string(), mean: z.number(), std: num, n: z.number().int() })).default([]),
});
export type SensitivityOutput = z.infer<typeof SensitivityOutputSchema>;

export const RocOutputSchema = z.object({
  kind: z.literal('roc'),
  ...Common,
  at: z.string(),
  split: z.enum(['val', 'test']),
  classes: z.array(z.string()),
  /** One curve per group (binary: the last class is positive), or per group and class (one-vs-rest) for more classes. */
  curves: z.array(
    z.object({
      label: z.string(),
      group: z.string(),
      /** The positive class of a one-vs-rest curve. */
      positive: z.string(),
      fpr: z.array(z.number()),
      tpr: z.array(z.number()),
      /** AUROC of the pooled slides of the group's runs. */
      auroc: num,
      slides: z.number().int(),
      runs: z.number().int(),
      /** Mean and sample std of each run's own AUROC. */
      runAurocMean: num,
      runAurocStd: num,
    }),
  ),
});
export type RocOutput = z.infer<typeof RocOutputSchema>;

export const ConfusionOutputSchema = z.object({
  kind: z.literal('confusion'),
  ...Common,
  at: z.string(),
  split: z.enum(['val', 'test']),
  classes: z.array(z.string()),
  /** counts[true class][predicted class], summed over the group's runs; mean = counts / runs. */
  groups: z.array(z.object({ label: z.string(), runs: z.number().int(), counts: z.array(z.array(z.number().int())), mean: z.array(z.array(z.number())) })),
});
export type ConfusionOutput = z.infer<typeof ConfusionOutputSchema>;

/** One side of a paired comparison: the metric over a group's seeds at one value of the compared key. */
export const PairedSideSchema = z.object({ mean: num, std: num, n: z.number().int(), values: z.array(z.number()), seeds: z.array(z.number().int()) });
export type PairedSide = z.infer<typeof PairedSideSchema>;

/** The paper's Figure 3/4 layout: per model, the metric without and with AEM, the difference and the paired test. */
export const PairedOutputSchema = z.object({
  kind: z.literal('paired'),
  ...Common,
  at: z.string(),
  metric: z.string(),
  direction: z.enum(['higher', 'lower', 'none']),
  /** The compared key (aem.lambda), its value without (the baseline, e.g. "0") and, per row, with. */
  key: z.string(),
  without: z.string(),
  /** What a row is per: the group keys (model.arch). */
  groupKeys: z.array(z.string()),
  rows: z.array(
    z.object({
      group: z.string(),
      with: z.string(),
      without: PairedSideSchema,
      withSide: PairedSideSchema,
      /** mean(with) - mean(without); null where a side has no value. */
      difference: num,
      /** Two-sided Wilcoxon signed-rank p-value over the seeds both sides have; null with fewer than one pair or no difference. */
      p: num,
      pairs: z.number().int(),
    }),
  ),
  markdown: z.string(),
  csv: z.string(),
  latex: z.string(),
});
export type PairedOutput = z.infer<typeof PairedOutputSchema>;

export const ComparisonOutputSchema = z.discriminatedUnion('kind', [TableOutputSchema, CurvesOutputSchema, ScatterOutputSchema, TopkOutputSchema, SensitivityOutputSchema, RocOutputSchema, ConfusionOutputSchema, PairedOutputSchema]);
export type ComparisonOutput = z.infer<typeof ComparisonOutputSchema>;

/** What the renderer posts to the extension: open the attention maps of an output's runs. */
const RendererMessageSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('openAttentionMaps'), runNames: z.array(z.string().min(1).max(500)).min(1).max(10_000) }),
]);
export type RendererMessage = z.infer<typeof RendererMessageSchema>;

export function parseRendererMessage(raw: unknown): Parsed<RendererMessage> {
  return parseWith(RendererMessageSchema, raw);
}
