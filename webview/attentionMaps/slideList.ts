// The slide list: sortable columns, filtered by split, label and text, wrong and least-confident
// slides first by default; arrow keys, Home/End and Page Up/Down move the selection.
import type { SlideRowMessage } from '../../src/protocol/attentionMaps.js';
import { errorsFirst } from '../../src/attentionMaps/slideRows.js';
import type { SortKey, ViewState } from './viewState.js';

const COLUMNS: { key: SortKey; title: string; cell(r: SlideRowMessage): string; numeric?: boolean }[] = [
  { key: 'slideId', title: 'Slide', cell: (r) => r.slideId },
  { key: 'split', title: 'Split', cell: (r) => r.split },
  { key: 'label', title: 'Label', cell: (r) => r.labelName },
  { key: 'predicted', title: 'Predicted', cell: (r) => `${r.correct ? '✓' : '✗'} ${r.predictedName}` },
  { key: 'probability', title: 'p', cell: (r) => r.probability.toFixed(3), numeric: true },
  { key: 'entropy', title: 'Entropy', cell: (r) => (r.entropy === null ? '–' : r.entropy.toFixed(3)), numeric: true },
  { key: 'tumourMass', title: 'On tumour', cell: (r) => (r.tumourMass === null ? '–' : r.tumourMass.toFixed(3)), numeric: true },
  { key: 'n', title: 'N', cell: (r) => String(r.n), numeric: true },
];

function compareBy(key: SortKey): (a: SlideRowMessage, b: SlideRowMessage) => number {
  if (key === 'errors') return errorsFirst;
  return (a, b) => {
    const x = key === 'label' ? a.labelName : key === 'predicted' ? a.predictedName : a[key];
    const y = key === 'label' ? b.labelName : key === 'predicted' ? b.predictedName : b[key];
    if (x === y) return errorsFirst(a, b);
    if (x === null) return 1;
    if (y === null) return -1;
    return typeof x === 'number' && typeof y === 'number' ? x - y : String(x).localeCompare(String(y));
  };
}

export function visibleRows(rows: SlideRowMessage[], s: Pick<ViewState, 'split' | 'labelFilter' | 'text' | 'sort' | 'descending'>): SlideRowMessage[] {
  const text = s.text.trim().toLowerCase();
  const shown = rows.filter((r) => (s.split === 'all' || r.split === s.split) && (s.labelFilter === 'all' || r.labelName === s.labelFilter) && (!text || r.slideId.toLowerCase().includes(text)));
  const cmp = compareBy(s.sort);
  return shown.sort((a, b) => (s.descending ? -cmp(a, b) : cmp(a, b)));
}

export class SlideList {
  readonly element: HTMLElement;
  private readonly body: HTMLTableSectionElement;
  private readonly headCells = new Map<SortKey, HTMLElement>();
  private shown: SlideRowMessage[] = [];

  constructor(
    private readonly onSelect: (slideId: string) => void,
    private readonly onSort: (key: SortKey) => void,
  ) {
    const table = document.createElement('table');
    table.className = 'slide-table';
    const head = table.createTHead().insertRow();
    for (const c of COLUMNS) {
      const th = document.createElement('th');
      const button = document.createElement('button');
      button.className = 'sort';
      button.dataset.key = c.key;
      button.textContent = c.title;
      button.title = `Sort by ${c.title.toLowerCase()} (again: reverse)`;
      button.addEventListener('click', () => this.onSort(c.key));
      th.append(button);
      if (c.numeric) th.classList.add('num');
      head.append(th);
      this.headCells.set(c.key, th);
    }
    this.body = table.createTBody();
    this.element = document.createElement('div');
    this.element.className = 'slide-list';
    this.element.tabIndex = 0;
    this.element.setAttribute('role', 'listbox');
    this.element.setAttribute('aria-label', 'Slides');
    this.element.append(table);
    this.element.addEventListener('keydown', (e) => this.key(e));
    this.body.addEventListener('click', (e) => {
      const tr = (e.target as HTMLElement).closest('tr');
      if (tr?.dataset.slide) this.onSelect(tr.dataset.slide);
    });
  }

  render(rows: SlideRowMessage[], selected: string | null, sort: SortKey, descending: boolean): void {
    this.shown = rows;
    for (const [key, th] of this.headCells) th.setAttribute('aria-sort', key === sort ? (descending ? 'descending' : 'ascending') : 'none');
    this.body.replaceChildren(
      ...rows.map((r) => {
        const tr = document.createElement('tr');
        tr.dataset.slide = r.slideId;
        tr.setAttribute('role', 'option');
        tr.setAttribute('aria-selected', String(r.slideId === selected));
        if (!r.correct) tr.classList.add('wrong');
        for (const c of COLUMNS) {
          const td = tr.insertCell();
          td.textContent = c.cell(r);
          if (c.numeric) td.className = 'num';
        }
        return tr;
      }),
    );
    this.body.querySelector('tr[aria-selected="true"]')?.scrollIntoView({ block: 'nearest' });
  }

  ids(): string[] {
    return this.shown.map((r) => r.slideId);
  }

  private key(e: KeyboardEvent): void {
    if (this.shown.length === 0) return;
    const current = this.shown.findIndex((r) => this.body.querySelector(`tr[aria-selected="true"]`)?.getAttribute('data-slide') === r.slideId);
    const page = 10;
    const to: Record<string, number> = { ArrowDown: current + 1, ArrowUp: current - 1, Home: 0, End: this.shown.length - 1, PageDown: current + page, PageUp: current - page };
    const target = to[e.key];
    if (target === undefined) return;
    e.preventDefault();
    const row = this.shown[Math.max(0, Math.min(this.shown.length - 1, current < 0 && e.key === 'ArrowUp' ? 0 : target))];
    if (row) this.onSelect(row.slideId);
  }
}
