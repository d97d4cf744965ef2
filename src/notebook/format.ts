// The comparison table as text: Markdown (also the notebook's plain fallback), CSV and LaTeX.
import type { TableCell, TableOutput } from '../protocol/notebook.js';

export type TableModel = Omit<TableOutput, 'markdown' | 'csv' | 'latex'>;

export function formatNumber(v: number | null, digits = 3): string {
  return v === null ? 'n/a' : v.toFixed(digits);
}

/** "0.25", "0.031", "<0.001"; "" for no test. */
export function formatP(p: number | null): string {
  if (p === null) return '';
  if (p < 0.001) return '<0.001';
  return String(Number(p.toPrecision(2)));
}

/** "0.912 ± 0.013"; the value alone for one seed; "n/a" for none. */
export function formatMeanStd(cell: TableCell, plusMinus = '±'): string {
  if (cell.n === 0 || cell.mean === null) return 'n/a';
  if (cell.n === 1) return formatNumber(cell.mean);
  return `${formatNumber(cell.mean)} ${plusMinus} ${formatNumber(cell.std)}`;
}

function escapeMarkdown(s: string): string {
  return s.replace(/[|\\*_`]/g, (c) => `\\${c}`);
}

export function tableMarkdown(t: TableModel): string {
  const header = ['group', 'seeds', ...t.metrics];
  const rows = t.rows.map((r) => [
    escapeMarkdown(r.group) + (r.group === t.baseline ? ' (baseline)' : ''),
    String(r.seeds),
    ...r.cells.map((c) => {
      const text = formatMeanStd(c);
      const shown = c.best ? `**${text}**` : text;
      const tests = [c.p !== null ? `p = ${formatP(c.p)}` : '', c.pVersus != null ? `p_best = ${formatP(c.pVersus)}` : ''].filter((x) => x !== '');
      return tests.length > 0 ? `${shown} (${tests.join('; ')})` : shown;
    }),
  ]);
  const line = (cells: string[]) => `| ${cells.join(' | ')} |`;
  const versus = t.versus != null ? `; p_best: the same test against ${escapeMarkdown(t.versus)}, the best group of the versusBest selection` : '';
  const notes = [
    `${t.at}; mean ± sample std over seeds; **bold**: best mean${t.baseline !== null ? `; p: two-sided Wilcoxon signed-rank test against ${escapeMarkdown(t.baseline)}, paired by seed` : ''}${versus}.`,
  ];
  return [line(header), line(header.map((_, i) => (i < 2 ? '---' : '---:'))), ...rows.map(line), '', ...notes].join('\n');
}

function csvCell(s: string): string {
  return /[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** One row per group; each metric as mean, std, n and p columns (empty where undefined). */
export function tableCsv(t: TableModel): string {
  const versus = t.versus != null;
  const header = ['group', 'seeds', ...t.metrics.flatMap((m) => [`${m} mean`, `${m} std`, `${m} n`, `${m} p`, ...(versus ? [`${m} p vs best`] : [])])];
  const num = (v: number | null | undefined) => (v == null ? '' : String(v));
  const rows = t.rows.map((r) => [r.group, String(r.seeds), ...r.cells.flatMap((c) => [num(c.mean), num(c.std), String(c.n), num(c.p), ...(versus ? [num(c.pVersus)] : [])])]);
  return `${[header, ...rows].map((cells) => cells.map(csvCell).join(',')).join('\n')}\n`;
}

function escapeLatex(s: string): string {
  return s.replace(/[\\{}&%$#_^~]/g, (c) => (c === '\\' ? '\\textbackslash{}' : c === '^' ? '\\^{}' : c === '~' ? '\\~{}' : `\\${c}`));
}

export function tableLatex(t: TableModel): string {
  const cols = `l r ${t.metrics.map(() => 'c').join(' ')}`;
  const header = ['Group', 'Seeds', ...t.metrics.map(escapeLatex)].join(' & ');
  const rows = t.rows.map((r) =>
    [
      escapeLatex(r.group),
      String(r.seeds),
      ...r.cells.map((c) => {
        const text = formatMeanStd(c, '$\\pm$');
        const shown = c.best ? `\\textbf{${text}}` : text;
        const tests = [c.p !== null ? `$p$ = ${formatP(c.p).replace('<', '$<$')}` : '', c.pVersus != null ? `$p_{best}$ = ${formatP(c.pVersus).replace('<', '$<$')}` : ''].filter((x) => x !== '');
        return tests.length > 0 ? `${shown} {\\scriptsize (${tests.join('; ')})}` : shown;
      }),
    ].join(' & '),
  );
  return ['\\begin{tabular}{' + cols + '}', '\\hline', `${header} \\\\`, '\\hline', ...rows.map((r) => `${r} \\\\`), '\\hline', '\\end{tabular}', ''].join('\n');
}
