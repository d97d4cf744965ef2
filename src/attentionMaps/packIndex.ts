// Reads an attention pack (attention-best.pack / attention-last.pack, written by writeAttentionPack) one
// slide at a time: the header is read once and gives every array's offset, so opening a 400-slide run
// reads a few kilobytes, and each slide's attention (and coordinates) is read only when it is shown.
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';

const MAGIC = 'AEMPACK1';
const PREFIX = MAGIC.length + 4;

export interface PackSlideMeta {
  slideId: string;
  split: string;
  label: number;
  n: number;
  heads: number;
  hasCoords: boolean;
}

export interface PackSlide {
  meta: PackSlideMeta;
  /** [heads, n], row-major. */
  attention: Float32Array;
  /** [n, 2] (x, y) or undefined when the data has no coordinates. */
  coords: Int32Array | undefined;
}

interface ArrayEntry {
  name: string;
  dtype: 'float32' | 'int32';
  shape: number[];
  offset: number;
  length: number;
}

export class AttentionPackError extends Error {
  constructor(readonly file: string, reason: string) {
    super(`${file}: ${reason}`);
    this.name = 'AttentionPackError';
  }
}

function isSlideMeta(v: unknown): v is PackSlideMeta {
  if (typeof v !== 'object' || v === null) return false;
  const s = v as Record<string, unknown>;
  return typeof s.slideId === 'string' && typeof s.split === 'string' && typeof s.label === 'number' && Number.isInteger(s.n) && Number.isInteger(s.heads) && typeof s.hasCoords === 'boolean';
}

function isEntry(v: unknown): v is ArrayEntry {
  if (typeof v !== 'object' || v === null) return false;
  const e = v as Record<string, unknown>;
  return typeof e.name === 'string' && (e.dtype === 'float32' || e.dtype === 'int32') && Array.isArray(e.shape) && Number.isInteger(e.offset) && Number.isInteger(e.length);
}

export class AttentionPackIndex {
  private constructor(
    readonly file: string,
    readonly epoch: number,
    readonly slides: PackSlideMeta[],
    private readonly entries: Map<string, ArrayEntry>,
    private readonly dataStart: number,
    private readonly fileSize: number,
  ) {}

  /** Reads the header only. Throws AttentionPackError (naming the file) when it is missing, not a pack or cut short. */
  static open(file: string): AttentionPackIndex {
    let fd: number;
    try {
      fd = openSync(file, 'r');
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      throw new AttentionPackError(file, code === 'ENOENT' ? 'the attention file is missing (the run has not finished an epoch, or the file was deleted)' : `cannot be read (${code ?? String(err)})`);
    }
    try {
      const size = fstatSync(fd).size;
      const prefix = Buffer.alloc(PREFIX);
      if (size < PREFIX || readSync(fd, prefix, 0, PREFIX, 0) < PREFIX || prefix.toString('ascii', 0, MAGIC.length) !== MAGIC) {
        throw new AttentionPackError(file, 'is not an AEM Studio attention file (no AEMPACK1 header)');
      }
      const headerLength = prefix.readUInt32LE(MAGIC.length);
      if (PREFIX + headerLength > size) throw new AttentionPackError(file, `is cut short: its header needs ${PREFIX + headerLength} bytes, the file has ${size}`);
      const headerBytes = Buffer.alloc(headerLength);
      readSync(fd, headerBytes, 0, headerLength, PREFIX);
      let header: unknown;
      try {
        header = JSON.parse(headerBytes.toString('utf8'));
      } catch {
        throw new AttentionPackError(file, 'has a damaged header (not JSON)');
      }
      const h = header as { meta?: { format?: unknown; epoch?: unknown; slides?: unknown }; arrays?: unknown };
      if (h.meta?.format !== 'aem-attention' || !Array.isArray(h.meta.slides) || !Array.isArray(h.arrays)) {
        throw new AttentionPackError(file, 'is a pack but not an attention pack (a checkpoint?)');
      }
      const slides = h.meta.slides.filter(isSlideMeta);
      const entries = new Map<string, ArrayEntry>();
      for (const e of h.arrays) if (isEntry(e)) entries.set(e.name, e);
      const epoch = typeof h.meta.epoch === 'number' ? h.meta.epoch : 0;
      return new AttentionPackIndex(file, epoch, slides, entries, PREFIX + headerLength, size);
    } finally {
      closeSync(fd);
    }
  }

  slide(slideId: string): PackSlideMeta | undefined {
    return this.slides.find((s) => s.slideId === slideId);
  }

  /** One slide's attention [heads, n] and coordinates, read from their offsets. */
  read(slideId: string, withCoords = true): PackSlide {
    const meta = this.slide(slideId);
    if (!meta) throw new AttentionPackError(this.file, `has no slide "${slideId}"`);
    const fd = openSync(this.file, 'r');
    try {
      const attention = this.readArray(fd, `attention/${slideId}`, meta.heads * meta.n);
      const coords = withCoords && meta.hasCoords ? this.readArray(fd, `coords/${slideId}`, meta.n * 2) : undefined;
      return { meta, attention: attention as Float32Array, coords: coords as Int32Array | undefined };
    } finally {
      closeSync(fd);
    }
  }

  private readArray(fd: number, name: string, expected: number): Float32Array | Int32Array {
    const e = this.entries.get(name);
    if (!e) throw new AttentionPackError(this.file, `has no array ${name}`);
    if (e.length !== expected) throw new AttentionPackError(this.file, `array ${name} holds ${e.length} values, its slide needs ${expected}`);
    const start = this.dataStart + e.offset;
    const bytes = e.length * 4;
    if (start + bytes > this.fileSize) throw new AttentionPackError(this.file, `is cut short: array ${name} ends at byte ${start + bytes}, the file has ${this.fileSize}`);
    const buf = new ArrayBuffer(bytes);
    readSync(fd, new Uint8Array(buf), 0, bytes, start);
    return e.dtype === 'int32' ? new Int32Array(buf) : new Float32Array(buf);
  }
}
