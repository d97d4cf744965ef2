// Writes that a killed process can never leave half-done: write a temporary file, flush it, rename.
import { closeSync, fsyncSync, openSync, renameSync, writeSync, mkdirSync } from 'node:fs';
import path from 'node:path';

export function writeFileAtomic(file: string, data: string | Uint8Array | Uint8Array[]): void {
  mkdirSync(path.dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  const fd = openSync(tmp, 'w');
  try {
    for (const chunk of Array.isArray(data) ? data : [data]) {
      if (typeof chunk === 'string') writeSync(fd, chunk);
      else writeSync(fd, chunk, 0, chunk.byteLength);
    }
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, file);
}

export function writeJsonAtomic(file: string, value: unknown): void {
  writeFileAtomic(file, `${JSON.stringify(value, null, 2)}\n`);
}

/** Appends whole lines and flushes them, so a reader following the file never sees a partial line. */
export function appendLinesDurably(file: string, lines: string[]): void {
  const fd = openSync(file, 'a');
  try {
    writeSync(fd, lines.map((l) => `${l}\n`).join(''));
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

