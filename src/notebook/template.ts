// The notebook "AEM: Compare Seeds" writes for an experiment: a short introduction, the table, curves,
// scatter and top-k cells over that experiment's runs, and a reference of what a query can say.
import { DEFAULT_TABLE_METRICS } from './compare.js';
import type { NotebookCell, NotebookModel } from './serializer.js';

type Value = string | number | string[] | Record<string, number>;

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

/** `baseline` is the first group's values (e.g. {"aem.lambda": 0}), when the experiment sweeps anything. */
export function compareSeedsNotebook(experiment: string, sweepKeys: string[], baseline?: Record<string, number>): NotebookModel {
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
    '- `show`: `table`, `curves`, `scatter` (`x`, `y`), `topk` (`split`) or `sensitivity` (`x: aem.lambda`, `lines: aem.schedule`)',
    '- `baseline` (table): the group the paired Wilcoxon signed-rank test compares with, e.g. `{aem.lambda: 0}`',
    '- `versusBest` (table): also test against the best group (by the first metric) of a selection, e.g. `{aem.schedule: [constant, cosine]}`',
    '- `include: all` also uses runs that are still training or stopped',
  ].join('\n');
  return {
    cells: [
      { kind: 'markdown', language: 'markdown', source: intro, outputs: [] },
      queryCell(
        { runs, group, metrics: DEFAULT_TABLE_METRICS, at: 'best', show: 'table', ...(baseline && Object.keys(baseline).length > 0 ? { baseline } : {}) },
        'Mean ± std over seeds at each run’s best epoch; p: paired Wilcoxon test against the baseline',
      ),
      queryCell({ runs, group, metrics: ['test.auroc'], show: 'curves' }, 'Test AUROC over epochs, group mean ± std'),
      queryCell({ runs, x: 'test.entropy', y: 'test.auroc', at: 'best', show: 'scatter' }, 'One point per run: attention entropy against AUROC'),
      queryCell({ runs, group, at: 'best', split: 'test', show: 'topk' }, 'Mean top-k cumulative attention per group'),
      { kind: 'markdown', language: 'markdown', source: reference, outputs: [] },
    ],
  };
}
