// The readable side of a comparison output: Markdown that shows in a notebook without the renderer
// and in a git diff of the saved .aemnb file.
import type { BandSeries, ComparisonOutput } from '../protocol/notebook.js';
import { formatNumber } from './format.js';

function lastPoint(s: BandSeries): string {
  const i = s.x.length - 1;
  if (i < 0) return `${s.label}: no values`;
  return `${s.label}: ${formatNumber(s.mean[i] ?? null)} ± ${formatNumber(s.std[i] ?? null)} at ${s.x[i]} (n = ${s.n[i]})`;
}

export function fallbackMarkdown(output: ComparisonOutput): string {
  const head = `**${output.title}**`;
  const notes = output.notes.map((n) => `_${n}_`);
  let body: string[];
  switch (output.kind) {
    case 'table':
      body = [output.markdown];
      break;
    case 'curves':
      body = output.charts.flatMap((c) => [`${c.metric} (last epoch of each group):`, '', ...c.series.map((s) => `- ${lastPoint(s)}`), '']);
      break;
    case 'scatter':
      body = [
        `${output.points.length} runs; ${output.y} against ${output.x}: Pearson r = ${formatNumber(output.pearson)}, Spearman ρ = ${formatNumber(output.spearman)}.`,
      ];
      break;
    case 'topk':
      body = output.series.map((s) => `- ${lastPoint(s)}`);
      break;
    case 'roc':
      body = output.curves.map((c) => `- ${c.label}: AUROC ${formatNumber(c.auroc)} (${c.slides} slides of ${c.runs} run${c.runs === 1 ? '' : 's'}; per run ${formatNumber(c.runAurocMean)} ± ${formatNumber(c.runAurocStd)})`);
      break;
    case 'confusion':
      body = output.groups.flatMap((g) => [
        `${g.label} (${g.runs} run${g.runs === 1 ? '' : 's'}):`,
        '',
        `| true \\ predicted | ${output.classes.join(' | ')} |`,
        `| --- | ${output.classes.map(() => '---:').join(' | ')} |`,
        ...g.counts.map((row, t) => `| ${output.classes[t] ?? t} | ${row.join(' | ')} |`),
        '',
      ]);
      break;
    case 'paired':
      body = [output.markdown];
      break;
    case 'sensitivity':
      body = [
        ...output.series.flatMap((s) => [`- ${s.label}: ${s.x.map((x, i) => `${output.x} ${x}: ${formatNumber(s.mean[i] ?? null)} ± ${formatNumber(s.std[i] ?? null)}`).join('; ')}`]),
        ...output.bands.map((b) => `- ${b.label} (band, no fixed ${output.x}): ${formatNumber(b.mean)} ± ${formatNumber(b.std)} (n = ${b.n})`),
      ];
      break;
  }
  return [head, '', ...body, ...(notes.length > 0 ? ['', ...notes] : [])].join('\n').trimEnd();
}
