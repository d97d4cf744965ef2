// Follows a run's metrics.jsonl from where it last read: each poll returns the complete lines appended
// since, so a window that re-attaches to a run trained by an engine it did not start sees every epoch.
import { closeSync, existsSync, openSync, readSync, statSync } from 'node:fs';
import path from 'node:path';
import { parseMetricsLines, type MetricsLine } from '../../protocol/events.js';

export class MetricsFollower {
  private offset = 0;
  private readonly file: string;

  constructor(readonly runDir: string) {
    this.file = path.join(runDir, 'metrics.jsonl');
  }

  poll(): MetricsLine[] {
    if (!existsSync(this.file)) return [];
    const size = statSync(this.file).size;
    // A resumed run rewrites the file without the epochs it will redo: start over.
    if (size < this.offset) this.offset = 0;
    if (size === this.offset) return [];
    const buffer = Buffer.alloc(size - this.offset);
    const fd = openSync(this.file, 'r');
    try {
      readSync(fd, buffer, 0, buffer.length, this.offset);
    } finally {
      closeSync(fd);
    }
    const text = buffer.toString('utf8');
    const end = text.lastIndexOf('\n');
    if (end < 0) return [];
    this.offset += Buffer.byteLength(text.slice(0, end + 1));
    return parseMetricsLines(text.slice(0, end));
  }
}
