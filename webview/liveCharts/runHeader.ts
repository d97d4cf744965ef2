// The header: one row per shown run (its colour, name, backend, epoch x/y, bags/s, ETA, best epoch so
// far). Clicking a row's name hides or shows the run on every chart: the header is the legend.
import type { RunSeries } from './runSeries.js';

export function formatDuration(seconds: number | null | undefined): string {
  if (seconds === null || seconds === undefined || !Number.isFinite(seconds) || seconds < 0) return '–';
  const s = Math.round(seconds);
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m ${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(m / 60)}h ${String(m % 60).padStart(2, '0')}m`;
}

/** Epochs done, or while training the epoch in progress and its step (as the runs tree shows it). */
function epochText(run: RunSeries, running: boolean): string {
  const done = run.epochs.length;
  const p = running ? run.progress : null;
  if (p && p.iters > 0 && p.epoch >= done) return `epoch ${Math.min(p.epoch + 1, run.info.epochs)}/${run.info.epochs} · step ${p.iter}/${p.iters}`;
  return `epoch ${done}/${run.info.epochs}`;
}

export interface HeaderRow {
  runId: string;
  name: string;
  backend: string;
  epoch: string;
  bagsPerSecond: string;
  eta: string;
  best: string;
  state: string;
}

export function headerRow(run: RunSeries): HeaderRow {
  const last = run.epochs[run.epochs.length - 1];
  const running = run.info.state === 'running';
  const bagsPerSecond = (running ? run.progress?.bagsPerSecond : undefined) ?? last?.bagsPerSecond;
  return {
    runId: run.runId,
    name: `${run.info.experiment} · ${run.info.title}`,
    backend: run.info.backend ?? '–',
    epoch: epochText(run, running),
    bagsPerSecond: bagsPerSecond === undefined ? '– bags/s' : `${bagsPerSecond.toFixed(1)} bags/s`,
    eta: running ? `ETA ${formatDuration(run.progress?.etaSeconds)}` : run.info.state,
    best: run.bestEpoch === null ? 'best –' : `best epoch ${run.bestEpoch + 1}`,
    state: run.info.state,
  };
}

export class RunHeader {
  private readonly rows = new Map<string, HTMLElement>();

  constructor(
    private readonly host: HTMLElement,
    private readonly onToggle: (runId: string) => void,
  ) {}

  render(runs: RunSeries[], colourOf: (runId: string) => string, isHidden: (runId: string) => boolean): void {
    for (const [runId, row] of this.rows) {
      if (runs.some((r) => r.runId === runId)) continue;
      row.remove();
      this.rows.delete(runId);
    }
    for (const run of runs) {
      let row = this.rows.get(run.runId);
      if (!row) {
        row = this.createRow(run.runId);
        this.rows.set(run.runId, row);
      }
      this.host.appendChild(row);
      this.fill(row, headerRow(run), colourOf(run.runId), isHidden(run.runId));
    }
  }

  private createRow(runId: string): HTMLElement {
    const row = document.createElement('div');
    row.className = 'run-row';
    row.dataset.runId = runId;
    const toggle = document.createElement('button');
    toggle.className = 'run-toggle';
    toggle.type = 'button';
    toggle.title = 'Show or hide this run on the charts';
    toggle.append(Object.assign(document.createElement('span'), { className: 'swatch' }), Object.assign(document.createElement('span'), { className: 'run-name' }));
    toggle.addEventListener('click', () => this.onToggle(runId));
    row.append(toggle);
    for (const field of ['backend', 'epoch', 'bagsPerSecond', 'eta', 'best']) {
      const cell = document.createElement('span');
      cell.className = `run-field run-${field}`;
      row.append(cell);
    }
    return row;
  }

  private fill(row: HTMLElement, values: HeaderRow, colour: string, hidden: boolean): void {
    row.classList.toggle('hidden-run', hidden);
    row.dataset.state = values.state;
    const toggle = row.querySelector<HTMLButtonElement>('.run-toggle');
    toggle?.setAttribute('aria-pressed', String(!hidden));
    const swatch = row.querySelector<HTMLElement>('.swatch');
    if (swatch) swatch.style.backgroundColor = colour;
    const name = row.querySelector<HTMLElement>('.run-name');
    if (name) name.textContent = values.name;
    for (const field of ['backend', 'epoch', 'bagsPerSecond', 'eta', 'best'] as const) {
      const cell = row.querySelector<HTMLElement>(`.run-${field}`);
      if (cell) cell.textContent = values[field];
    }
  }
}
