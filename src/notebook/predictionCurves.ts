// `show: roc` and `show: confusion`: read each run's predictions file (predictions-best.csv at `at: best`,
// predictions-last.csv at `at: last`) and compute pooled ROC curves (one-vs-rest per class for more
// than two classes) and confusion matrices per group. Runs still training count with their best / last
// epoch so far, and are named in a note.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parsePredictionsCsv, type PredictionsTable } from '../attentionMaps/predictionsCsv.js';
import type { ConfusionOutput, RocOutput } from '../protocol/notebook.js';
import type { RunData } from './collect.js';
import { rocAuc, rocCurve, confusionCounts } from './roc.js';
import { mean, sampleStd } from './stats.js';

export interface PredictionGroup {
  label: string;
  runs: RunData[];
}

export interface PredictionContext {
  at: 'best' | 'last';
  split: 'val' | 'test';
  atLabel: string;
  title?: string;
  notes: string[];
}

interface RunPredictions {
  run: RunData;
  table: PredictionsTable;
}

function read(run: RunData, at: 'best' | 'last'): PredictionsTable | undefined {
  const file = path.join(run.dir, `predictions-${at}.csv`);
  return existsSync(file) ? parsePredictionsCsv(readFileSync(file, 'utf8'), file) : undefined;
}

function orNull(v: number): number | null {
  return Number.isFinite(v) ? v : null;
}

/** Each group's runs with a predictions file; notes for runs without one and for runs still training. */
function collect(groups: PredictionGroup[], ctx: PredictionContext): { label: string; runs: RunPredictions[] }[] {
  const without: string[] = [];
  const running: string[] = [];
  const out = groups.map((g) => ({
    label: g.label,
    runs: g.runs.flatMap((run) => {
      const table = read(run, ctx.at);
      if (!table) {
        without.push(run.name);
        return [];
      }
      if (run.status !== 'done') {
        const epochs = new Set(run.lines.map((l) => l.epoch)).size;
        running.push(`${run.name} (${run.status}, ${epochs} epoch${epochs === 1 ? '' : 's'} so far)`);
      }
      return [{ run, table }];
    }),
  }));
  if (without.length > 0) ctx.notes.push(`${without.length} run${without.length === 1 ? ' has' : 's have'} no predictions-${ctx.at}.csv yet: ${without.join(', ')}`);
  if (running.length > 0) ctx.notes.push(`not finished, shown at their ${ctx.at} epoch so far: ${running.join(', ')}`);
  return out;
}

function classesOf(runs: RunPredictions[]): string[] {
  let classes: string[] = [];
  for (const r of runs) if (r.table.classes.length > classes.length) classes = r.table.classes;
  return classes;
}

export function rocOutput(groups: PredictionGroup[], ctx: PredictionContext): RocOutput {
  const withPredictions = collect(groups, ctx);
  const all = withPredictions.flatMap((g) => g.runs);
  const classes = classesOf(all);
  // Binary: the last class (the positive one: tumour, or the higher grade) against the other.
  const positives = classes.length <= 2 ? [classes.length - 1] : classes.map((_, c) => c);
  const curves: RocOutput['curves'] = [];
  for (const g of withPredictions) {
    for (const c of positives) {
      const labels: boolean[] = [];
      const scores: number[] = [];
      const perRun: number[] = [];
      for (const { table } of g.runs) {
        const rows = table.rows.filter((r) => r.split === ctx.split);
        const runLabels = rows.map((r) => r.label === c);
        const runScores = rows.map((r) => r.probs[c] ?? 0);
        labels.push(...runLabels);
        scores.push(...runScores);
        const own = rocCurve(runLabels, runScores);
        if (own) perRun.push(rocAuc(own));
      }
      const curve = rocCurve(labels, scores);
      const className = classes[c] ?? String(c);
      curves.push({
        label: classes.length > 2 ? `${g.label} · ${className} vs rest` : g.label,
        group: g.label,
        positive: className,
        fpr: curve?.fpr ?? [],
        tpr: curve?.tpr ?? [],
        auroc: curve ? orNull(rocAuc(curve)) : null,
        slides: labels.length,
        runs: g.runs.length,
        runAurocMean: orNull(mean(perRun)),
        runAurocStd: orNull(sampleStd(perRun)),
      });
    }
  }
  const undefinedCurves = curves.filter((c) => c.auroc === null && c.slides > 0);
  if (undefinedCurves.length > 0) ctx.notes.push(`AUROC undefined (the ${ctx.split} slides have one class only) for: ${undefinedCurves.map((c) => c.label).join(', ')}`);
  return {
    kind: 'roc',
    title: ctx.title ?? `ROC on ${ctx.split}, slides of each group's runs pooled, ${ctx.atLabel}`,
    runsUsed: all.length,
    notes: ctx.notes,
    at: ctx.atLabel,
    split: ctx.split,
    classes,
    curves,
  };
}

export function confusionOutput(groups: PredictionGroup[], ctx: PredictionContext): ConfusionOutput {
  const withPredictions = collect(groups, ctx);
  const all = withPredictions.flatMap((g) => g.runs);
  const classes = classesOf(all);
  return {
    kind: 'confusion',
    title: ctx.title ?? `Confusion on ${ctx.split} (rows: true class, columns: predicted), summed over seeds, ${ctx.atLabel}`,
    runsUsed: all.length,
    notes: ctx.notes,
    at: ctx.atLabel,
    split: ctx.split,
    classes,
    groups: withPredictions.map((g) => {
      const counts = classes.map(() => classes.map(() => 0));
      for (const { table } of g.runs) {
        const rows = table.rows.filter((r) => r.split === ctx.split);
        const own = confusionCounts(rows.map((r) => r.label), rows.map((r) => r.predicted), classes.length);
        own.forEach((row, t) => row.forEach((v, p) => ((counts[t] as number[])[p] = ((counts[t] as number[])[p] as number) + v)));
      }
      return { label: g.label, runs: g.runs.length, counts, mean: counts.map((row) => row.map((v) => (g.runs.length > 0 ? v / g.runs.length : 0))) };
    }),
  };
}
