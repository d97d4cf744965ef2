// The notebook "AEM: Compare Seeds" writes for an experiment: a short introduction, the table, curves,
// scatter and top-k cells over that experiment's runs, and a reference of what a query can say.
import { DEFAULT_TABLE_METRICS } from './compare.js';
import type { SweepValue } from '../protocol/events.js';
import type { NotebookCell, NotebookModel } from './serializer.js';

type Value = string | number | string[] | Record<string, SweepValue>;

/** YAML in flow style for lists and maps (one key per line reads best in a short cell). */
function yamlValue(v: Value): string {
  if (Array.isArray(v)) return `[${v.join(', ')}]`;
  if (typeof v === 'object') return `{${Object.entries(v).map(([k, x]) => `${k}: ${x}`).join(', ')}}`;
  return String(v);
}

function queryCell(query: Record<string, Value>, comment: string): NotebookCell {
  const lines = Object.entries(query).map(([k, v]) => `${k}: ${yamlValue(v)}`);
  return { kind: 'code', language: 'yaml', source: [`# ${comment}`, ...lines].join('\n'), outputs: [] };
}

/** The baseline group of a sweep: each numeric key's lowest value (aem.lambda 0), each other key's first. */
export function baselineOf(sweep: Record<string, readonly SweepValue[]>): Record<string, SweepValue> {
  return Object.fromEntries(
    Object.entries(sweep)
      .filter(([, values]) => values.length > 0)
      .map(([k, values]) => [k, values.every((v) => typeof v === 'number') ? Math.min(...(values as number[])) : (values[0] as SweepValue)]),
  );
}

/**
 * When aem.lambda is swept next to another key (model.arch): the paper's Figure 3/4 cell, per value of
 * the other keys the metric without AEM (lambda's lowest value) and with it.
 */
function pairedCells(runs: string, sweep: Record<string, readonly SweepValue[]>): NotebookCell[] {
  const lambdas = sweep['aem.lambda'];
  const others = Object.keys(sweep).filter((k) => k !== 'aem.lambda');
  if (!lambdas || lambdas.length < 2 || others.length === 0) return [];
  const without = Math.min(...lambdas.filter((v): v is number => typeof v === 'number'));
  return [
    queryCell(
      { runs, group: others, x: 'aem.lambda', baseline: { 'aem.lambda': without }, metrics: ['test.auroc'], at: 'best', show: 'paired' },
      `Without and with AEM per ${others.join(', ')}: mean ± std over seeds, the difference and the paired Wilcoxon p-value`,
    ),
  ];
}

/** `sweep`: the experiment's sweep (key -> values); its keys group the runs. */
export function compareSeedsNotebook(experiment: string, sweep: Record<string, readonly SweepValue[]>): NotebookModel {
  const sweepKeys = Object.keys(sweep);
  const baseline = baselineOf(sweep);
  const runs = `${experiment}/*`;
  const group = sweepKeys.length > 0 ? sweepKeys : ['experiment'];
  const intro = [
    `# ${experiment}: comparison of its configurations`,
    '',
    'Each code cell is a YAML query over the run store, run by the **AEM Runs** controller (no Python kernel); run a cell again to pick up runs that have finished since. The last cell lists what a query can say.',
  ].join('\n');
  const reference = [
    '## Writing queries',
    '',
    '- `runs`: globs over `<experiment>/<run folder>` (`*`, `?`, `**`); a bare experiment name means all its runs',
    '- `group`: keys that split runs into groups: sweep keys such as `aem.lambda`, or `aem.schedule`, `model.attention`, `experiment`, `config`',
    '- `metrics`: `<split>.<field>`, e.g. `test.auroc`, `val.f1`, `train.loss`, `test.entropy`, `test.entropyNormalised`',
    '- `at`: `best` (by val AUROC + val F1), `last` or an epoch number (1 = the first)',
    '- `show`: `table`, `curves`, `scatter` (`x`, `y`), `topk` (`split`), `sensitivity` (`x: aem.lambda`, `lines: aem.schedule`), `roc`, `confusion` or `paired` (`x: aem.lambda`, `group: model.arch`: without and with AEM per model, one metric)',
    '- `baseline` (table): the group the paired Wilcoxon signed-rank test compares with, e.g. `{aem.lambda: 0}`; (paired) the value of `x` without AEM',
    '- `versusBest` (table): also test against the best group (by the first metric) of a selection, e.g. `{aem.schedule: [constant, cosine]}`',
    '- `include`: `live` (default: finished runs and runs training now, at their best epoch so far), `done` (finished only) or `all` (also stopped and interrupted runs)',
    '- `live: true` runs the cell again every 5 s while its runs train',
  ].join('\n');
  return {
    cells: [
      { kind: 'markdown', language: 'markdown', source: intro, outputs: [] },
      queryCell(
        { runs, group, metrics: DEFAULT_TABLE_METRICS, at: 'best', show: 'table', ...(Object.keys(baseline).length > 0 ? { baseline } : {}) },
        'Mean ± std over seeds at each run’s best epoch; p: paired Wilcoxon test against the baseline',
      ),
      queryCell({ runs, group, metrics: ['test.auroc'], show: 'curves' }, 'Test AUROC over epochs, group mean ± std'),
      queryCell({ runs, x: 'test.entropy', y: 'test.auroc', at: 'best', show: 'scatter' }, 'One point per run: attention entropy against AUROC'),
      queryCell({ runs, group, at: 'best', split: 'test', show: 'topk' }, 'Mean top-k cumulative attention per group'),
      ...pairedCells(runs, sweep),
      { kind: 'markdown', language: 'markdown', source: reference, outputs: [] },
    ],
  };
}
