// Executes one comparison query over the runs found on disk: selects runs by glob, groups them, reads
// each at its epoch and computes the payload of the requested `show:` kind. Every mistake (a glob that
// matches nothing, an unknown key or metric, a metric no run has) is a QueryError that lists what exists.
import type { BandSeries, ComparisonOutput, CurvesOutput, ScatterOutput, SensitivityOutput, TableCell, TableOutput, TopkOutput } from '../protocol/notebook.js';
import { epochAt, isMetricName, METRIC_NAMES, metricAt, metricDirection, metricSeries, topkAt, type KeyValue, type RunData } from './collect.js';
import { tableCsv, tableLatex, tableMarkdown, type TableModel } from './format.js';
import { globProblem, globToRegExp, QueryError, type ParsedQuery, type Query } from './query.js';
import { confusionOutput, rocOutput, type PredictionContext } from './predictionCurves.js';
import { mean, pearson, sampleStd, spearman, wilcoxonSignedRank } from './stats.js';
import { PairedRequestError, pairedOutput } from './paired.js';

export const DEFAULT_TABLE_METRICS = ['test.auroc', 'test.f1', 'test.accuracy', 'test.entropy'];

interface Group {
  label: string;
  values: (KeyValue | undefined)[];
  runs: RunData[];
}

interface Context {
  parsed: ParsedQuery;
  query: Query;
  runs: RunData[];
  notes: string[];
  atLabel: string;
}

function fail(ctx: Pick<Context, 'parsed'>, key: string, message: string): never {
  const line = ctx.parsed.lineOf(key);
  throw new QueryError([{ ...(line !== undefined ? { line } : {}), message }]);
}

function listExperiments(all: RunData[]): string {
  const counts = new Map<string, number>();
  for (const r of all) counts.set(r.name.split('/')[0] ?? '', (counts.get(r.name.split('/')[0] ?? '') ?? 0) + 1);
  if (counts.size === 0) return 'no runs were found in any run store';
  return `experiments with runs: ${[...counts].map(([name, n]) => `${name}/* (${n} run${n === 1 ? '' : 's'})`).join(', ')}`;
}

function selectRuns(parsed: ParsedQuery, all: RunData[]): RunData[] {
  const selected = new Map<string, RunData>();
  for (const pattern of parsed.query.runs) {
    const problem = globProblem(pattern);
    if (problem) fail({ parsed }, 'runs', `bad pattern: ${problem}`);
    const re = globToRegExp(pattern);
    const matched = all.filter((r) => re.test(r.name));
    if (matched.length === 0) fail({ parsed }, 'runs', `"${pattern}" matches no run; ${listExperiments(all)}`);
    for (const r of matched) selected.set(r.dir, r);
  }
  return [...selected.values()];
}

function describeAt(at: Query['at']): string {
  return at === 'best' ? 'at each run’s best epoch (by val AUROC + val F1)' : at === 'last' ? 'at each run’s last epoch' : `at epoch ${at}`;
}

function availableKeys(runs: RunData[]): string[] {
  return [...new Set(runs.flatMap((r) => Object.keys(r.keys)))].sort();
}

function compareValues(a: KeyValue | undefined, b: KeyValue | undefined): number {
  if (a === b) return 0;
  if (a === undefined) return 1;
  if (b === undefined) return -1;
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  return String(a).localeCompare(String(b), undefined, { numeric: true });
}

function groupRuns(ctx: Context, keys: string[]): Group[] {
  const known = availableKeys(ctx.runs);
  for (const key of keys) {
    if (!known.includes(key)) fail(ctx, ctx.query.group ? 'group' : 'runs', `no run has the key "${key}"; keys: ${known.join(', ')}`);
  }
  const groups = new Map<string, Group>();
  for (const run of ctx.runs) {
    const values = keys.map((k) => run.keys[k]);
    const label = keys.map((k, i) => `${k}=${values[i] ?? '–'}`).join(', ');
    const group = groups.get(label) ?? { label, values, runs: [] };
    group.runs.push(run);
    groups.set(label, group);
  }
  // A group with runs that still train says how many: its numbers will move.
  for (const group of groups.values()) {
    const training = group.runs.filter((r) => r.live).length;
    if (training > 0) group.label += ` (${training} training)`;
  }
  return [...groups.values()].sort((a, b) => {
    for (let i = 0; i < keys.length; i++) {
      const c = compareValues(a.values[i], b.values[i]);
      if (c !== 0) return c;
    }
    return 0;
  });
}

function defaultGroupKeys(runs: RunData[]): string[] {
  const sweep = [...new Set(runs.flatMap((r) => r.sweepKeys))];
  const experiments = new Set(runs.map((r) => r.experiment));
  if (experiments.size > 1) return ['experiment', ...sweep];
  return sweep.length > 0 ? sweep : ['experiment'];
}

function checkMetrics(ctx: Context, key: string, metrics: string[]): void {
  for (const metric of metrics) {
    if (!isMetricName(metric)) fail(ctx, key, `unknown metric "${metric}"; metrics: ${METRIC_NAMES.join(', ')}`);
    const has = ctx.runs.some((r) => {
      const epoch = epochAt(r, ctx.query.at);
      return epoch !== undefined && metricAt(r, metric, epoch) !== undefined;
    });
    if (!has) {
      const withValues = METRIC_NAMES.filter((m) => ctx.runs.some((r) => r.lines.some((l) => l.split === m.split('.')[0] && typeof (l as Record<string, unknown>)[m.split('.')[1] ?? ''] === 'number')));
      fail(ctx, key, `no selected run has a value of "${metric}" ${ctx.atLabel}; metrics these runs have: ${withValues.join(', ')}`);
    }
  }
}

/** (seed, fold) identifies the pairs of the paired test. */
function pairKey(run: RunData): string {
  return `${run.seed}/${run.fold ?? ''}`;
}

function valuesAt(runs: RunData[], metric: string, at: Query['at']): { run: RunData; value: number }[] {
  const out: { run: RunData; value: number }[] = [];
  for (const run of runs) {
    const epoch = epochAt(run, at);
    const value = epoch === undefined ? undefined : metricAt(run, metric, epoch);
    if (value !== undefined) out.push({ run, value });
  }
  return out;
}

function orNull(v: number): number | null {
  return Number.isFinite(v) ? v : null;
}

function findBaseline(ctx: Context, groups: Group[], keys: string[]): Group | undefined {
  const wanted = ctx.query.baseline;
  if (!wanted) return groups[0];
  for (const key of Object.keys(wanted)) if (!keys.includes(key)) fail(ctx, 'baseline', `baseline names "${key}", which is not a group key; group keys: ${keys.join(', ')}`);
  const found = groups.find((g) => Object.entries(wanted).every(([k, v]) => String(g.values[keys.indexOf(k)]) === String(v)));
  if (!found) fail(ctx, 'baseline', `no group matches the baseline; groups: ${groups.map((g) => g.label).join('; ')}`);
  return found;
}

/** Paired by seed (and fold): the Wilcoxon p-value of `own` against `other`'s runs, and the number of pairs. */
function pairedTest(own: { run: RunData; value: number }[], other: Group, metric: string, at: Query['at']): { p: number | null; pairs: number } {
  const base = new Map(valuesAt(other.runs, metric, at).map((v) => [pairKey(v.run), v.value]));
  const paired = own.filter((v) => base.has(pairKey(v.run)));
  if (paired.length === 0) return { p: null, pairs: 0 };
  return { p: orNull(wilcoxonSignedRank(paired.map((v) => v.value), paired.map((v) => base.get(pairKey(v.run)) as number)).pValue), pairs: paired.length };
}

/** The best group (by the mean of the first metric that has a direction) among those `versusBest` selects, the baseline left out. */
function findVersus(ctx: Context, groups: Group[], keys: string[], metrics: string[], baseline: Group | undefined): Group | undefined {
  const wanted = ctx.query.versusBest;
  if (!wanted) return undefined;
  for (const key of Object.keys(wanted)) if (!keys.includes(key)) fail(ctx, 'versusBest', `versusBest names "${key}", which is not a group key; group keys: ${keys.join(', ')}`);
  const metric = metrics.find((m) => metricDirection(m) !== 'none');
  if (!metric) fail(ctx, 'versusBest', `versusBest needs a metric with a better direction (such as test.auroc) among: ${metrics.join(', ')}`);
  const accepts = (g: Group) => Object.entries(wanted).every(([k, v]) => (Array.isArray(v) ? v : [v]).some((x) => String(g.values[keys.indexOf(k)]) === String(x)));
  const sign = metricDirection(metric) === 'higher' ? 1 : -1;
  let best: { group: Group; score: number } | undefined;
  for (const g of groups) {
    if (g === baseline || !accepts(g)) continue;
    const m = mean(valuesAt(g.runs, metric, ctx.query.at).map((v) => v.value));
    if (Number.isFinite(m) && (!best || sign * m > sign * best.score)) best = { group: g, score: m };
  }
  if (!best) fail(ctx, 'versusBest', `no group other than the baseline matches versusBest; groups: ${groups.map((g) => g.label).join('; ')}`);
  return best.group;
}

function table(ctx: Context, groups: Group[], keys: string[]): TableOutput {
  const metrics = ctx.query.metrics ?? DEFAULT_TABLE_METRICS;
  checkMetrics(ctx, 'metrics', metrics);
  const baseline = groups.length > 1 ? findBaseline(ctx, groups, keys) : undefined;
  const versus = groups.length > 1 ? findVersus(ctx, groups, keys, metrics, baseline) : undefined;
  const directions = metrics.map(metricDirection);
  const rows = groups.map((g) => ({
    group: g.label,
    seeds: g.runs.filter((r) => epochAt(r, ctx.query.at) !== undefined).length,
    cells: metrics.map((metric): TableCell => {
      const own = valuesAt(g.runs, metric, ctx.query.at);
      const values = own.map((v) => v.value);
      const { p, pairs } = baseline && g !== baseline ? pairedTest(own, baseline, metric, ctx.query.at) : { p: null, pairs: 0 };
      const against = versus && g !== versus ? pairedTest(own, versus, metric, ctx.query.at) : { p: null, pairs: 0 };
      return { mean: orNull(mean(values)), std: orNull(sampleStd(values)), n: values.length, values, best: false, p, pairs, pVersus: against.p, pairsVersus: against.pairs };
    }),
  }));
  metrics.forEach((_, m) => {
    const direction = directions[m];
    if (direction === 'none' || rows.length < 2) return;
    const means = rows.map((r) => r.cells[m]?.mean ?? null).filter((v): v is number => v !== null);
    if (means.length === 0) return;
    const best = direction === 'higher' ? Math.max(...means) : Math.min(...means);
    for (const r of rows) {
      const cell = r.cells[m];
      if (cell && cell.mean === best) cell.best = true;
    }
  });
  const model: TableModel = {
    kind: 'table',
    title: ctx.query.title ?? `Mean ± std over seeds, ${ctx.atLabel}`,
    runsUsed: ctx.runs.filter((r) => epochAt(r, ctx.query.at) !== undefined).length,
    notes: ctx.notes,
    at: ctx.atLabel,
    metrics,
    directions,
    baseline: baseline?.label ?? null,
    versus: versus?.label ?? null,
    rows,
  };
  return { ...model, markdown: tableMarkdown(model), csv: tableCsv(model), latex: tableLatex(model) };
}

function band(label: string, points: Map<number, number[]>): BandSeries {
  const xs = [...points.keys()].sort((a, b) => a - b);
  const at = (x: number) => points.get(x) ?? [];
  return { label, x: xs, mean: xs.map((x) => mean(at(x))), std: xs.map((x) => sampleStd(at(x))), n: xs.map((x) => at(x).length) };
}

function push(points: Map<number, number[]>, x: number, value: number): void {
  points.set(x, [...(points.get(x) ?? []), value]);
}

function curves(ctx: Context, groups: Group[]): CurvesOutput {
  const metrics = ctx.query.metrics ?? ['test.auroc'];
  checkMetrics({ ...ctx, query: { ...ctx.query, at: 'last' }, atLabel: 'at any epoch' }, 'metrics', metrics);
  const charts = metrics.map((metric) => ({
    metric,
    series: groups.map((g) => {
      const points = new Map<number, number[]>();
      for (const run of g.runs) for (const { epoch, value } of metricSeries(run, metric)) push(points, epoch + 1, value);
      return band(g.label, points);
    }),
  }));
  return { kind: 'curves', title: ctx.query.title ?? `${metrics.join(', ')} over epochs: group mean ± std over seeds`, runsUsed: ctx.runs.length, notes: ctx.notes, charts };
}

function scatter(ctx: Context): ScatterOutput {
  const x = ctx.query.x ?? ctx.query.metrics?.[0] ?? 'test.entropy';
  const y = ctx.query.y ?? ctx.query.metrics?.[1] ?? 'test.auroc';
  checkMetrics(ctx, ctx.query.x ? 'x' : 'metrics', [x]);
  checkMetrics(ctx, ctx.query.y ? 'y' : 'metrics', [y]);
  const keys = ctx.query.group ?? defaultGroupKeys(ctx.runs);
  const points: ScatterOutput['points'] = [];
  for (const run of ctx.runs) {
    const epoch = epochAt(run, ctx.query.at);
    if (epoch === undefined) continue;
    const vx = metricAt(run, x, epoch);
    const vy = metricAt(run, y, epoch);
    if (vx === undefined || vy === undefined) continue;
    points.push({ run: run.name, group: keys.map((k) => `${k}=${run.keys[k] ?? '–'}`).join(', '), seed: run.seed, x: vx, y: vy });
  }
  return {
    kind: 'scatter',
    title: ctx.query.title ?? `${y} against ${x}, one point per run, ${ctx.atLabel}`,
    runsUsed: points.length,
    notes: ctx.notes,
    at: ctx.atLabel,
    x,
    y,
    points,
    pearson: orNull(pearson(points.map((p) => p.x), points.map((p) => p.y))),
    spearman: orNull(spearman(points.map((p) => p.x), points.map((p) => p.y))),
  };
}

function topk(ctx: Context, groups: Group[]): TopkOutput {
  const split = ctx.query.split;
  const series = groups.map((g) => {
    const points = new Map<number, number[]>();
    for (const run of g.runs) {
      const epoch = epochAt(run, ctx.query.at);
      const curve = epoch === undefined ? undefined : topkAt(run, split, epoch);
      curve?.forEach((v, i) => push(points, i + 1, v));
    }
    return band(g.label, points);
  });
  if (series.every((s) => s.x.length === 0)) fail(ctx, 'at', `no selected run has a ${split} top-k curve ${ctx.atLabel}`);
  return { kind: 'topk', title: ctx.query.title ?? `Mean top-k cumulative attention (${split}), ${ctx.atLabel}`, runsUsed: ctx.runs.filter((r) => epochAt(r, ctx.query.at) !== undefined).length, notes: ctx.notes, at: ctx.atLabel, split, series };
}

function sensitivity(ctx: Context): SensitivityOutput {
  const metric = ctx.query.metrics?.[0] ?? 'test.auroc';
  checkMetrics(ctx, 'metrics', [metric]);
  const xKey = ctx.query.x ?? 'aem.lambda';
  const linesKey = ctx.query.lines ?? 'aem.schedule';
  const known = availableKeys(ctx.runs);
  if (!known.includes(xKey)) fail(ctx, 'x', `no run has the key "${xKey}"; keys: ${known.join(', ')}`);
  if (!known.includes(linesKey)) fail(ctx, 'lines', `no run has the key "${linesKey}"; keys: ${known.join(', ')}`);
  const lines = new Map<string, Map<number, number[]>>();
  // aem.schedule "auto" has no fixed lambda (aem.lambda is only where it starts): each auto
  // configuration is a horizontal band at its mean ± std, drawn beside the lines of the grid.
  const bandValues = new Map<string, number[]>();
  for (const { run, value } of valuesAt(ctx.runs, metric, ctx.query.at)) {
    if (run.keys['aem.schedule'] === 'auto') {
      const label = `aem.schedule=auto, ${autoLabel(run)}`;
      bandValues.set(label, [...(bandValues.get(label) ?? []), value]);
      continue;
    }
    const x = run.keys[xKey];
    if (typeof x !== 'number') fail(ctx, 'x', `"${xKey}" is not a number in ${run.name} (${String(x)}); x must be a numeric key such as aem.lambda`);
    const label = `${linesKey}=${run.keys[linesKey] ?? '–'}`;
    const points = lines.get(label) ?? new Map<number, number[]>();
    push(points, x, value);
    lines.set(label, points);
  }
  const series = [...lines].sort(([a], [b]) => a.localeCompare(b)).map(([label, points]) => band(label, points));
  const bands = [...bandValues]
    .sort(([a], [b]) => a.localeCompare(b, undefined, { numeric: true }))
    .map(([label, values]) => ({ label, mean: mean(values), std: orNull(sampleStd(values)), n: values.length }));
  if (series.length === 0 && bands.length > 0) fail(ctx, 'runs', `every selected run has aem.schedule "auto", which has no fixed ${xKey} to draw against: add runs of a constant or cosine grid`);
  return {
    kind: 'sensitivity',
    title: ctx.query.title ?? `${metric} against ${xKey}, one line per ${linesKey}, ${ctx.atLabel}`,
    runsUsed: series.reduce((s, l) => s + l.n.reduce((a, b) => a + b, 0), 0),
    notes: ctx.notes,
    at: ctx.atLabel,
    metric,
    x: xKey,
    lines: linesKey,
    series,
    bands,
  };
}

/** show: paired: per group (default: the sweep keys other than x), x's baseline value against each other one. */
function paired(ctx: Context): ComparisonOutput {
  const key = ctx.query.x ?? 'aem.lambda';
  const metrics = ctx.query.metrics ?? ['test.auroc'];
  if (metrics.length !== 1) fail(ctx, 'metrics', `show: paired compares one metric at a time; give one, e.g. "metrics: ${metrics[0] ?? 'test.auroc'}"`);
  checkMetrics(ctx, 'metrics', metrics);
  const known = availableKeys(ctx.runs);
  if (!known.includes(key)) fail(ctx, 'x', `no run has the key "${key}"; keys: ${known.join(', ')}`);
  const groupKeys = ctx.query.group ?? defaultGroupKeys(ctx.runs).filter((k) => k !== key);
  if (groupKeys.includes(key)) fail(ctx, 'group', `"${key}" is the key show: paired compares (x): group by the other keys, e.g. model.arch`);
  for (const k of groupKeys) if (!known.includes(k)) fail(ctx, 'group', `no run has the key "${k}"; keys: ${known.join(', ')}`);
  const baseline = ctx.query.baseline;
  const extra = baseline ? Object.keys(baseline).filter((k) => k !== key) : [];
  if (extra.length > 0) fail(ctx, 'baseline', `show: paired takes the baseline value of ${key} only (e.g. {${key}: 0}), not ${extra.join(', ')}`);
  try {
    return pairedOutput({
      runs: ctx.runs,
      groupKeys,
      key,
      ...(baseline?.[key] !== undefined ? { without: baseline[key] } : {}),
      metric: metrics[0] as string,
      at: ctx.query.at,
      atLabel: ctx.atLabel,
      notes: ctx.notes,
      ...(ctx.query.title !== undefined ? { title: ctx.query.title } : {}),
    });
  } catch (err) {
    if (err instanceof PairedRequestError) fail(ctx, err.queryKey, err.message);
    throw err;
  }
}

/** An auto configuration's name: its target settings (the start lambda and step size where they are not the defaults). */
function autoLabel(run: RunData): string {
  const k = run.keys;
  const target = k['aem.targetSchedule'] === 'cosine' ? `target ${k['aem.targetEntropy']} -> ${k['aem.targetEnd'] ?? k['aem.targetEntropy']}` : `target ${k['aem.targetEntropy']}`;
  return [target, `lambdaLr ${k['aem.lambdaLr']}`, `start ${k['aem.lambda']}`].join(', ');
}

function predictionContext(ctx: Context): PredictionContext {
  const at = ctx.query.at;
  if (at !== 'best' && at !== 'last') fail(ctx, 'at', `show: ${ctx.query.show} reads the predictions files, which runs write at their best and last epoch: use "at: best" or "at: last"`);
  return { at, split: ctx.query.split, atLabel: describeAt(at), notes: ctx.notes, ...(ctx.query.title !== undefined ? { title: ctx.query.title } : {}) };
}

function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}

function progress(run: RunData): string {
  return `epoch ${run.epochsDone}${run.epochs !== null ? ` of ${run.epochs}` : ''}`;
}

/** A run whose summary says running but whose engine is gone was interrupted. */
function stateOf(run: RunData): string {
  return run.live ? 'training' : run.status === 'running' ? 'interrupted' : run.status;
}

function included(run: RunData, include: Query['include']): boolean {
  if (include === 'all') return true;
  return run.status === 'done' || (include === 'live' && run.live);
}

/** Why unfinished runs were left out, or which ones were used and how far they got. */
function runNotes(query: Query, matched: RunData[], runs: RunData[]): string[] {
  const notes: string[] = [];
  const left = matched.filter((r) => !runs.includes(r));
  if (left.length > 0) {
    const hint = query.include === 'done' ? 'run the cell again once they finish, or add "include: live" for runs training now, "include: all" for every run' : 'add "include: all" to use them with the epochs they have';
    notes.push(`${plural(left.length, 'unfinished run')} left out (${hint})`);
  }
  const training = runs.filter((r) => r.live);
  if (training.length > 0) {
    const rerun = query.live ? 'this cell runs again every 5 s while they train' : 'run the cell again, or add "live: true", to follow them';
    notes.push(`${plural(training.length, 'run')} still training, at ${query.at === 'best' ? 'their best epoch so far' : 'the epochs they have'}: ${training.map((r) => `${r.name} (${progress(r)})`).join(', ')}; ${rerun}`);
  }
  const stopped = runs.filter((r) => r.status !== 'done' && !r.live);
  if (stopped.length > 0) notes.push(`${plural(stopped.length, 'unfinished run')} used with the epochs they have: ${stopped.map((r) => `${r.name} (${stateOf(r)}, ${progress(r)})`).join(', ')}`);
  return notes;
}

/** Runs one parsed query over every run found; throws QueryError for the user's mistakes. */
export function runComparison(parsed: ParsedQuery, all: RunData[]): ComparisonOutput {
  const query = parsed.query;
  const matched = selectRuns(parsed, all);
  const runs = matched.filter((r) => included(r, query.include));
  if (runs.length === 0) {
    const states = matched.map((r) => `${r.name} (${stateOf(r)}, ${progress(r)})`).join(', ');
    const which = query.include === 'done' ? 'has finished' : 'has finished or is training now';
    fail({ parsed }, 'runs', `${matched.length} run${matched.length === 1 ? ' matches' : 's match'} but none ${which}: ${states}; add "include: all" to use unfinished runs with the epochs they have`);
  }
  const notes = runNotes(query, matched, runs);
  const ctx: Context = { parsed, query, runs, notes, atLabel: describeAt(query.at) };
  return { ...compute(ctx), runNames: runs.map((r) => r.name), training: runs.filter((r) => r.live).length };
}

function compute(ctx: Context): ComparisonOutput {
  const { query, runs, notes } = ctx;
  const missing = query.show === 'curves' || query.show === 'roc' || query.show === 'confusion' ? [] : runs.filter((r) => epochAt(r, query.at) === undefined);
  if (missing.length > 0) notes.push(`${missing.length} run${missing.length === 1 ? ' has' : 's have'} no epoch ${query.at === 'best' || query.at === 'last' ? `(${query.at})` : query.at} yet: ${missing.map((r) => r.name).join(', ')}`);
  const keys = query.group ?? defaultGroupKeys(runs);
  switch (query.show) {
    case 'table':
      return table(ctx, groupRuns(ctx, keys), keys);
    case 'curves':
      return curves(ctx, groupRuns(ctx, keys));
    case 'scatter':
      groupRuns(ctx, keys);
      return scatter(ctx);
    case 'topk':
      return topk(ctx, groupRuns(ctx, keys));
    case 'sensitivity':
      return sensitivity(ctx);
    case 'roc':
      return rocOutput(groupRuns(ctx, keys), predictionContext(ctx));
    case 'confusion':
      return confusionOutput(groupRuns(ctx, keys), predictionContext(ctx));
    case 'paired':
      return paired(ctx);
  }
}
