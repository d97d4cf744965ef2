// The CSV a map view exports: one line per patch of each shown run, with its coordinates (or none when
// the run has no coordinates), the attention of the shown row and its rank.
export interface CsvSlide {
  runTitle: string;
  n: number;
  /** The shown attention row (one head, or the mean). */
  row: ArrayLike<number>;
  ranks: ArrayLike<number>;
  coords: ArrayLike<number> | null;
}

function cell(s: string): string {
  return /[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export function slideCsv(slideId: string, slides: CsvSlide[]): string {
  const lines = ['run,slide_id,instance,x,y,attention,rank'];
  for (const s of slides) {
    for (let i = 0; i < s.n; i++) {
      const x = s.coords ? String(s.coords[2 * i]) : '';
      const y = s.coords ? String(s.coords[2 * i + 1]) : '';
      lines.push([cell(s.runTitle), cell(slideId), String(i), x, y, (s.row[i] as number).toPrecision(7), String(s.ranks[i])].join(','));
    }
  }
  return `${lines.join('\n')}\n`;
}
