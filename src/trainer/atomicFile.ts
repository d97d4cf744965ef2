// Writes that a killed process can never leave half-done: write a temporary file, flush it, rename.
// A write that fails (a full disk, a folder without write permission) removes its temporary file and
// says which file in which folder it could not write; temporary files of dead processes are swept.
import { closeSync, fstatSync, fsyncSync, ftruncateSync, mkdirSync, openSync, readdirSync, renameSync, rmSync, writeSync } from 'node:fs';
import path from 'node:path';
import { isPidAlive } from './liveness.js';

const REASONS: Record<string, string> = {
  ENOSPC: 'no space left on the device',
  EDQUOT: 'the disk quota is used up',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EROFS: 'the file system is read-only',
  ENOENT: 'no such file or folder',
  ENOTDIR: 'a part of the path is not a folder',
  EISDIR: 'it is a folder',
  EMFILE: 'too many open files',
  EIO: 'an input/output error',
};

/** "no space left on the device (ENOSPC)": a plain reason for a file-system error. */
export function describeFsError(err: unknown): string {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  if (code && REASONS[code]) return `${REASONS[code]} (${code})`;
  return err instanceof Error ? err.message : String(err);
}

export class FileWriteError extends Error {
  readonly code: string | undefined;
  constructor(
    readonly file: string,
    cause: unknown,
  ) {
    super(`could not write ${path.basename(file)} in ${path.dirname(file)}: ${describeFsError(cause)}`);
    this.name = 'FileWriteError';
    this.code = (cause as NodeJS.ErrnoException | undefined)?.code;
  }
}

/** writeSync may write less than asked (a disk filling up): go on until all is written or it throws. */
function writeAll(fd: number, bytes: Uint8Array): void {
  let done = 0;
  while (done < bytes.byteLength) {
    const n = writeSync(fd, bytes, done, bytes.byteLength - done);
    if (n <= 0) throw Object.assign(new Error('no space left on device'), { code: 'ENOSPC' });
    done += n;
  }
}

const TMP_SUFFIX = /\.(\d+)\.tmp$/;

export function writeFileAtomic(file: string, data: string | Uint8Array | Uint8Array[]): void {
  const tmp = `${file}.${process.pid}.tmp`;
  try {
    mkdirSync(path.dirname(file), { recursive: true });
    const fd = openSync(tmp, 'w');
    try {
      for (const chunk of Array.isArray(data) ? data : [data]) writeAll(fd, typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : chunk);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, file);
  } catch (err) {
    rmSync(tmp, { force: true });
    throw new FileWriteError(file, err);
  }
}

export function writeJsonAtomic(file: string, value: unknown): void {
  writeFileAtomic(file, `${JSON.stringify(value, null, 2)}\n`);
}

/** Appends whole lines and flushes them, so a reader following the file never sees a partial line. */
export function appendLinesDurably(file: string, lines: string[]): void {
  let fd: number;
  try {
    fd = openSync(file, 'a');
  } catch (err) {
    throw new FileWriteError(file, err);
  }
  let size = -1;
  try {
    size = fstatSync(fd).size;
    writeAll(fd, Buffer.from(lines.map((l) => `${l}\n`).join(''), 'utf8'));
    fsyncSync(fd);
  } catch (err) {
    // A full disk can take part of the lines: cut them off again, so no torn line is left behind.
    if (size >= 0) {
      try {
        ftruncateSync(fd, size);
      } catch {
        // the reader ignores a torn last line anyway
      }
    }
    throw new FileWriteError(file, err);
  } finally {
    closeSync(fd);
  }
}

/** Removes `*.PID.tmp` files in a folder whose writer process is gone; returns the names removed. */
export function removeStaleTmpFiles(dir: string, alive: (pid: number) => boolean = isPidAlive): string[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  const removed: string[] = [];
  for (const name of names) {
    const m = TMP_SUFFIX.exec(name);
    if (!m) continue;
    const pid = Number(m[1]);
    if (pid !== process.pid && alive(pid)) continue;
    rmSync(path.join(dir, name), { force: true });
    removed.push(name);
  }
  return removed;
}
