// show: paired, the AEM paper's Figure 3/4 layout: for each model (the group keys, e.g. model.arch), a
// metric without and with AEM (two values of the compared key, aem.lambda 0 and the other), mean ± std
// over seeds, the difference of the means and the two-sided Wilcoxon signed-rank p-value paired by seed.
import type { PairedOutput, PairedSide } from '../protocol/notebook.js';
import { epochAt, metricAt, metricDirection, type KeyValue, type RunData } from './collect.js';
import { formatNumber, formatP } from './format.js';
import { mean, sampleStd, wilcoxonSignedRank } from './stats.js';

export interface PairedRequest {
  runs: RunData[];
  /** What a row is per (model.arch); may be empty (one row per value of `key`). */
  groupKeys: string[];
  /** The compared key (aem.lambda). */
  key: string;
  /** Its value without AEM; default its lowest. */
  without?: KeyValue;
  metric: string;
  at: 'best' | 'last' | number;
  atLabel: string;
  notes: string[];
  title?: string;
}

/** A mistake in the request, with the query key it concerns (the caller turns it into a QueryError at that line). */
export class PairedRequestError extends Error {
  constructor(
    readonly queryKey: string,
    message: string,
  ) {
    super(message);
    this.name = 'PairedRequestError';
  }
}

function compareValues(a: KeyValue | undefined, b: KeyValue | undefined): number {
  if (a === b) return 0;
  if (a === undefined) return 1;
  if (b === undefined) return -1;
  return typeof a === 'number' && typeof b === 'number' ? a - b : String(a).localeCompare(String(b), undefined, { numeric: true });
}

const sortValues = (values: KeyValue[]) => [...values].sort(compareValues);

const orNull = (v: number) => (Number.isFinite(v) ? v : null);

/** (seed, fold) identifies a pair. */
const pairKey = (run: RunData) => `${run.seed}/${run.fold ?? ''}`;

function side(runs: RunData[], metric: string, at: PairedRequest['at'], used: Set<string>): PairedSide & { byPair: Map<string, number> } {
  const values: number[] = [];
  const seeds: number[] = [];
  const byPair = new Map<string, number>();
  for (const run of [...runs].sort((a, b) => a.seed - b.seed)) {
    const epoch = epochAt(run, at);
    const value = epoch === undefined ? undefined : metricAt(run, metric, epoch);
    if (value === undefined) continue;
    values.push(value);
    seeds.push(run.seed);
    byPair.set(pairKey(run), value);
    used.add(run.dir);
  }
  return { mean: orNull(mean(values)), std: orNull(sampleStd(values)), n: values.length, values, seeds, byPair };
}

export function pairedComparison(req: PairedRequest): Omit<PairedOutput, 'markdown' | 'csv' | 'latex'> {
  const present = sortValues([...new Set(req.runs.map((r) => r.keys[req.key]).filter((v): v is KeyValue => v !== undefined))]);
  if (present.length < 2) throw new PairedRequestError('x', `show: paired compares two values of ${req.key}, and these runs have ${present.length === 0 ? 'none' : `only ${present.join(', ')}`}: select runs of an experiment that sweeps it`);
  const without = req.without ?? present[0];
  if (!present.some((v) => String(v) === String(without))) throw new PairedRequestError('baseline', `no run has ${req.key} = ${String(without)}; its values: ${present.join(', ')}`);
  const withValues = present.filter((v) => String(v) !== String(without));
  const groups = new Map<string, RunData[]>();
  for (const run of req.runs) {
    const label = req.groupKeys.map((k) => `${k}=${run.keys[k] ?? '–'}`).join(', ');
    groups.set(label, [...(groups.get(label) ?? []), run]);
  }
  const ordered = [...groups].sort(([, a], [, b]) => {
    for (const k of req.groupKeys) {
      const c = compareValues(a[0]?.keys[k], b[0]?.keys[k]);
      if (c !== 0) return c;
    }
    return 0;
  });
  const used = new Set<string>();
  const rows: PairedOutput['rows'] = [];
  for (const [group, runs] of ordered) {
    const base = side(
      runs.filter((r) => String(r.keys[req.key]) === String(without)),
      req.metric,
      req.at,
      used,
    );
    for (const value of withValues) {
      const other = side(
        runs.filter((r) => String(r.keys[req.key]) === String(value)),
        req.metric,
        req.at,
        used,
      );
      if (base.n === 0 && other.n === 0) continue;
      const pairs = [...other.byPair.keys()].filter((k) => base.byPair.has(k));
      const p = pairs.length > 0 ? orNull(wilcoxonSignedRank(pairs.map((k) => other.byPair.get(k) as number), pairs.map((k) => base.byPair.get(k) as number)).pValue) : null;
      const { byPair: _b, ...withoutSide } = base;
      const { byPair: _o, ...withSide } = other;
      rows.push({
        group: group || `${req.key}=${String(value)}`,
        with: String(value),
        without: withoutSide,
        withSide,
        difference: base.mean !== null && other.mean !== null ? other.mean - base.mean : null,
        p,
        pairs: pairs.length,
      });
    }
  }
  return {
    kind: 'paired',
    title: req.title ?? `${req.metric} without and with ${req.key === 'aem.lambda' ? 'AEM' : req.key} (${req.key} ${String(without)} vs ${withValues.join(', ')}), ${req.atLabel}`,
    runsUsed: used.size,
    notes: req.notes,
    at: req.atLabel,
    metric: req.metric,
    direction: metricDirection(req.metric),
    key: req.key,
    without: String(without),
    groupKeys: req.groupKeys,
    rows,
  };
}

type PairedModel = Omit<PairedOutput, 'markdown' | 'csv' | 'latex'>;

function meanStd(s: PairedSide, pm: string): string {
  if (s.n === 0 || s.mean === null) return 'n/a';
  return s.n === 1 ? formatNumber(s.mean) : `${formatNumber(s.mean)} ${pm} ${formatNumber(s.std)}`;
}

const signed = (v: number | null) => (v === null ? 'n/a' : `${v > 0 ? '+' : v < 0 ? '−' : ''}${formatNumber(Math.abs(v))}`);

function headers(t: PairedModel): string[] {
  return [t.groupKeys.length > 0 ? t.groupKeys.join(', ') : 'group', `${t.key} = ${t.without}`, `${t.key} = ${[...new Set(t.rows.map((r) => r.with))].join(' / ')}`, 'difference', 'p', 'pairs'];
}

const groupName = (t: PairedModel, group: string) => (t.groupKeys.length === 1 ? group.replace(`${t.groupKeys[0]}=`, '') : group);

export function pairedMarkdown(t: PairedModel): string {
  const esc = (s: string) => s.replace(/[|\\*_`]/g, (c) => `\\${c}`);
  const line = (cells: string[]) => `| ${cells.join(' | ')} |`;
  const several = new Set(t.rows.map((r) => r.with)).size > 1;
  const rows = t.rows.map((r) => [esc(groupName(t, r.group)), meanStd(r.without, '±'), `${meanStd(r.withSide, '±')}${several ? ` (${esc(t.key)} = ${esc(r.with)})` : ''}`, signed(r.difference), formatP(r.p), String(r.pairs)]);
  const head = headers(t).map(esc);
  return [line(head), line(head.map((_, i) => (i === 0 ? '---' : '---:'))), ...rows.map(line), '', `${esc(t.metric)} ${t.at}; mean ± sample std over seeds; difference: with − without; p: two-sided Wilcoxon signed-rank test paired by seed.`].join('\n');
}

export function pairedCsv(t: PairedModel): string {
  const cell = (s: string) => (/[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s);
  const num = (v: number | null) => (v === null ? '' : String(v));
  const header = ['group', t.key, 'without mean', 'without std', 'without n', `with ${t.key}`, 'with mean', 'with std', 'with n', 'difference', 'p', 'pairs'];
  const rows = t.rows.map((r) => [groupName(t, r.group), t.without, num(r.without.mean), num(r.without.std), String(r.without.n), r.with, num(r.withSide.mean), num(r.withSide.std), String(r.withSide.n), num(r.difference), num(r.p), String(r.pairs)]);
  return `${[header, ...rows].map((cells) => cells.map(cell).join(',')).join('\n')}\n`;
}

export function pairedLatex(t: PairedModel): string {
  const esc = (s: string) => s.replace(/[\\{}&%$#_^~]/g, (c) => (c === '\\' ? '\\textbackslash{}' : c === '^' ? '\\^{}' : c === '~' ? '\\~{}' : `\\${c}`));
  const head = ['Model', `w/o (${esc(t.key)} = ${esc(t.without)})`, 'with', '$\\Delta$', '$p$'].join(' & ');
  const rows = t.rows.map((r) => [esc(groupName(t, r.group)), meanStd(r.without, '$\\pm$'), `${meanStd(r.withSide, '$\\pm$')} {\\scriptsize (${esc(r.with)})}`, signed(r.difference).replace('−', '$-$'), formatP(r.p).replace('<', '$<$')].join(' & '));
  return ['\\begin{tabular}{l c c r r}', '\\hline', `${head} \\\\`, '\\hline', ...rows.map((r) => `${r} \\\\`), '\\hline', '\\end{tabular}', ''].join('\n');
}

export function pairedOutput(req: PairedRequest): PairedOutput {
  const model = pairedComparison(req);
  return { ...model, markdown: pairedMarkdown(model), csv: pairedCsv(model), latex: pairedLatex(model) };
}
