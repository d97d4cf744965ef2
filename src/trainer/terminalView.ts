// What `aem-train` shows on a terminal: one progress line per active run (bags/s, ETA, latest
// metrics), redrawn in place on a TTY, and plain lines per epoch when the output is a file or a pipe.
import { backendLabel } from '../protocol/backendLabel.js';
import type { EngineEvent } from '../protocol/events.js';

interface RunLine {
  label: string;
  epoch: number;
  epochs: number;
  iter: number;
  iters: number;
  bagsPerSecond: number;
  etaSeconds: number;
  note: string;
}

function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds)) return '?';
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}

function bar(fraction: number, width = 20): string {
  const filled = Math.round(Math.min(1, Math.max(0, fraction)) * width);
  return `${'#'.repeat(filled)}${'.'.repeat(width - filled)}`;
}

const fmt = (v: number | null) => (v === null ? 'n/a' : v.toFixed(3));

export class TerminalView {
  private readonly runs = new Map<string, RunLine>();
  private drawnLines = 0;
  private readonly tty: boolean;

  constructor(private readonly out: NodeJS.WriteStream) {
    this.tty = Boolean(out.isTTY);
  }

  handle(event: EngineEvent): void {
    switch (event.type) {
      case 'run-started':
        this.runs.set(event.runId, { label: event.runId, epoch: event.resumedAt?.epoch ?? 0, epochs: event.epochs, iter: 0, iters: event.itersPerEpoch, bagsPerSecond: 0, etaSeconds: NaN, note: '' });
        this.print(`started ${event.runId} on ${backendLabel(event.backend)}${event.resumedAt ? ` resuming at epoch ${event.resumedAt.epoch + 1}, step ${event.resumedAt.iter + 1}` : ''}`);
        for (const s of event.backend.skipped) this.print(`  skipped ${s.name}: ${s.reason}`);
        break;
      case 'progress': {
        const r = this.runs.get(event.runId);
        if (!r) return;
        Object.assign(r, { epoch: event.epoch, iter: event.iter, iters: event.iters, bagsPerSecond: event.bagsPerSecond, etaSeconds: event.etaSeconds });
        this.redraw();
        break;
      }
      case 'epoch': {
        const r = this.runs.get(event.runId);
        const line = `epoch ${event.epoch + 1}/${event.epochs}  train loss ${event.train.loss.toFixed(4)}  val AUROC ${fmt(event.val.auroc)} F1 ${fmt(event.val.f1)}  test AUROC ${fmt(event.test.auroc)}  entropy ${event.test.entropy.toFixed(3)}${event.isBest ? '  (best)' : ''}`;
        if (r) r.note = `val AUROC ${fmt(event.val.auroc)}  best epoch ${event.bestEpoch + 1}`;
        if (!this.tty) this.print(`${event.runId}: ${line}`);
        else this.redraw();
        break;
      }
      case 'log':
        if (event.level !== 'info' || !this.tty || !event.runId) this.print(`${event.level === 'info' ? '' : `${event.level}: `}${event.runId ? `${event.runId}: ` : ''}${event.message}`);
        break;
      case 'checkpoint':
        break;
      case 'run-finished': {
        this.runs.delete(event.runId);
        const s = event.summary;
        const best = s.best ? `best epoch ${(s.bestEpoch ?? 0) + 1}: test AUROC ${fmt(s.best.auroc)}, F1 ${fmt(s.best.f1)}, accuracy ${fmt(s.best.accuracy)}` : 'no epoch finished';
        this.print(`${event.status} ${event.runId} in ${formatDuration(s.wallSeconds)}: ${best}${s.error ? `\n  ${s.error}` : ''}`);
        break;
      }
      case 'experiment-finished':
        this.print(`${event.experiment}: ${event.runs} runs, ${event.failed} failed`);
        break;
    }
  }

  finish(): void {
    this.clear();
  }

  private print(text: string): void {
    this.clear();
    this.out.write(`${text}\n`);
    this.redraw();
  }

  private clear(): void {
    if (!this.tty || this.drawnLines === 0) return;
    this.out.write(`\x1b[${this.drawnLines}F\x1b[J`);
    this.drawnLines = 0;
  }

  private redraw(): void {
    if (!this.tty) return;
    this.clear();
    const width = this.out.columns ?? 120;
    for (const r of this.runs.values()) {
      const done = (r.epoch * r.iters + r.iter) / Math.max(1, r.epochs * r.iters);
      const line = `${r.label}  [${bar(done)}] epoch ${Math.min(r.epoch + 1, r.epochs)}/${r.epochs} ${r.bagsPerSecond.toFixed(1)} bags/s ETA ${formatDuration(r.etaSeconds)}  ${r.note}`;
      this.out.write(`${line.slice(0, width - 1)}\n`);
      this.drawnLines += 1;
    }
  }
}
