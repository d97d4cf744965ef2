// Fast path for unfiltered HDF5 datasets: finds where the raw bytes lie (contiguous block, or the chunks a
// version-1 B-tree indexes) and reads them straight into the caller's buffer.
//
// Why: CLAM's save_hdf5 writes features and coords with chunks=(1, D). Through h5wasm every chunk costs a
// B-tree lookup, a chunk-cache round trip and a JS filesystem call (~10 us each), which caps a 20,000-row
// slide at ~250 MB/s; read here it is one large read per run of adjacent chunks. h5wasm still opens the
// file, checks it and describes the dataset; this module only locates bytes. Whatever it does not
// recognise (another chunk index, an odd superblock, a chunk outside the file) returns undefined and the
// caller reads through h5wasm instead.
import { readSync } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import { mapLimit, readFully } from './fileRead.js';

const SIGNATURE = [0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a];
const MSG_LAYOUT = 0x0008;
const MSG_CONTINUATION = 0x0010;
const MAX_NODES = 1_000_000;

export interface RawChunk {
  /** Element offsets of the chunk's first element, one per dataset dimension. */
  offsets: number[];
  address: number;
}

export type RawPlan =
  | { kind: 'contiguous'; address: number }
  | { kind: 'chunked'; chunkDims: number[]; chunks: RawChunk[] };

class Unsupported extends Error {}

function readAt(fd: number, pos: number, len: number, fileSize: number): Buffer {
  if (pos < 0 || len < 0 || pos + len > fileSize) throw new Unsupported('read past the end of the file');
  const buf = Buffer.allocUnsafe(len);
  let done = 0;
  while (done < len) {
    const n = readSync(fd, buf, done, len - done, pos + done);
    if (n === 0) throw new Unsupported('short read');
    done += n;
  }
  return buf;
}

/** A little-endian 8-byte unsigned integer (as two 32-bit halves: BigInt reads are slow on 20,000-chunk B-trees). */
function u64(buf: Buffer, at: number): number {
  const hi = buf.readUInt32LE(at + 4);
  if (hi >= 0x200000) throw new Unsupported('value too large');
  return hi * 0x100000000 + buf.readUInt32LE(at);
}

/** An 8-byte address; undefined for HDF5's "undefined address" (all ones). */
function addr(buf: Buffer, at: number): number | undefined {
  if (buf.readUInt32LE(at) === 0xffffffff && buf.readUInt32LE(at + 4) === 0xffffffff) return undefined;
  return u64(buf, at);
}

/** The base address all file addresses are relative to. Only 8-byte offsets and lengths are handled. */
function readBaseAddress(fd: number, fileSize: number): number {
  for (let at = 0; at + 64 <= fileSize; at = at === 0 ? 512 : at * 2) {
    const head = readAt(fd, at, 64, fileSize);
    if (!SIGNATURE.every((b, i) => head[i] === b)) continue;
    const version = head[8]!;
    if (version <= 1) {
      if (head[13] !== 8 || head[14] !== 8) throw new Unsupported('offset size');
      return addr(head, version === 0 ? 24 : 28) ?? at;
    }
    if (head[9] !== 8 || head[10] !== 8) throw new Unsupported('offset size');
    return addr(head, 12) ?? at;
  }
  throw new Unsupported('no superblock');
}

/** The body of the object header's data layout message, following continuation blocks. */
function findLayoutMessage(fd: number, headerAt: number, base: number, fileSize: number): Buffer {
  const first = readAt(fd, headerAt, Math.min(16, fileSize - headerAt), fileSize);
  const blocks: { at: number; len: number }[] = [];
  let v2: boolean;
  let crtOrder = false;
  if (first.toString('latin1', 0, 4) === 'OHDR') {
    v2 = true;
    const flags = first[5]!;
    crtOrder = (flags & 0x04) !== 0;
    let p = 6 + (flags & 0x20 ? 16 : 0) + (flags & 0x10 ? 4 : 0);
    const sizeBytes = 1 << (flags & 3);
    const sz = readAt(fd, headerAt + p, sizeBytes, fileSize);
    const len = sizeBytes === 8 ? u64(sz, 0) : sz.readUIntLE(0, sizeBytes);
    p += sizeBytes;
    blocks.push({ at: headerAt + p, len });
  } else if (first[0] === 1) {
    v2 = false;
    blocks.push({ at: headerAt + 16, len: first.readUInt32LE(8) });
  } else {
    throw new Unsupported('object header version');
  }

  for (let b = 0; b < blocks.length && b < 64; b++) {
    const { at, len } = blocks[b]!;
    const buf = readAt(fd, at, len, fileSize);
    let p = 0;
    let end = len;
    if (v2 && b > 0) {
      if (buf.toString('latin1', 0, 4) !== 'OCHK') throw new Unsupported('continuation signature');
      p = 4;
      end = len - 4; // checksum
    }
    const hdrLen = v2 ? 4 + (crtOrder ? 2 : 0) : 8;
    while (p + hdrLen <= end) {
      const type = v2 ? buf[p]! : buf.readUInt16LE(p);
      const size = v2 ? buf.readUInt16LE(p + 1) : buf.readUInt16LE(p + 2);
      const body = p + hdrLen;
      if (body + size > end) break;
      if (type === MSG_LAYOUT) return buf.subarray(body, body + size);
      if (type === MSG_CONTINUATION) {
        const cAt = addr(buf, body);
        if (cAt !== undefined) blocks.push({ at: base + cAt, len: u64(buf, body + 8) });
      }
      p = body + size;
    }
  }
  throw new Unsupported('no layout message');
}

interface Layout {
  kind: 'contiguous' | 'chunked';
  address: number | undefined;
  chunkDims: number[];
}

function parseLayout(msg: Buffer, rank: number, elemSize: number): Layout {
  const version = msg[0]!;
  const cls = msg[1]!;
  if (version < 3 || version > 5) throw new Unsupported('layout version');
  if (cls === 1) return { kind: 'contiguous', address: addr(msg, 2), chunkDims: [] };
  if (cls !== 2 || version !== 3) throw new Unsupported('layout class or chunk index'); // v4+ chunk indexes go to h5wasm
  const ndims = msg[2]!;
  if (ndims !== rank + 1) throw new Unsupported('chunk rank');
  const address = addr(msg, 3);
  const dims: number[] = [];
  for (let i = 0; i < ndims; i++) dims.push(msg.readUInt32LE(11 + 4 * i));
  if (dims[rank] !== elemSize) throw new Unsupported('element size');
  return { kind: 'chunked', address, chunkDims: dims.slice(0, rank) };
}

/** Every chunk a version-1 B-tree (node type 1) indexes. */
function collectChunks(fd: number, base: number, root: number, rank: number, chunkBytes: number, fileSize: number): RawChunk[] {
  const ndims = rank + 1;
  const keySize = 8 + 8 * ndims;
  const chunks: RawChunk[] = [];
  const seen = new Set<number>();
  const stack = [root];
  while (stack.length > 0) {
    const at = base + stack.pop()!;
    if (seen.has(at) || seen.size > MAX_NODES) throw new Unsupported('B-tree cycle');
    seen.add(at);
    // One read covers a node with the default 64 entries; larger nodes take a second.
    let node = readAt(fd, at, Math.min(4096, fileSize - at), fileSize);
    if (node.toString('latin1', 0, 4) !== 'TREE' || node[4] !== 1) throw new Unsupported('B-tree node');
    const level = node[5]!;
    const used = node.readUInt16LE(6);
    const need = 24 + used * (keySize + 8) + keySize;
    if (need > node.length) node = readAt(fd, at, need, fileSize);
    const body = node.subarray(24);
    for (let i = 0; i < used; i++) {
      const k = i * (keySize + 8);
      const child = addr(body, k + keySize);
      if (child === undefined) throw new Unsupported('undefined child');
      if (level > 0) {
        stack.push(child);
        continue;
      }
      const size = body.readUInt32LE(k);
      const filterMask = body.readUInt32LE(k + 4);
      if (size !== chunkBytes || filterMask !== 0) throw new Unsupported('filtered chunk');
      const offsets: number[] = [];
      for (let d = 0; d < rank; d++) offsets.push(u64(body, k + 8 + 8 * d));
      chunks.push({ offsets, address: base + child });
    }
  }
  return chunks;
}

/** Chunks must tile the dataset exactly once and lie inside the file; otherwise HDF5 (fill values) must read it. */
function chunksTile(chunks: RawChunk[], shape: number[], chunkDims: number[], chunkBytes: number, fileSize: number): boolean {
  const grid = shape.map((s, i) => Math.ceil(s / chunkDims[i]!));
  const total = grid.reduce((a, b) => a * b, 1);
  if (chunks.length !== total) return false;
  const hit = new Uint8Array(total);
  for (const c of chunks) {
    if (c.address + chunkBytes > fileSize) return false;
    let idx = 0;
    for (let d = 0; d < shape.length; d++) {
      const o = c.offsets[d]!;
      if (o % chunkDims[d]! !== 0 || o >= shape[d]!) return false;
      idx = idx * grid[d]! + o / chunkDims[d]!;
    }
    if (hit[idx]) return false;
    hit[idx] = 1;
  }
  return true;
}

/**
 * Where the bytes of an unfiltered, little-endian dataset of `shape` lie in the file, or undefined when this
 * module does not recognise the layout (the caller then reads through h5wasm). `objectAddress` is the
 * dataset's object header address as stored in an HDF5 object reference.
 */
export function planRawRead(fd: number, fileSize: number, objectAddress: bigint, shape: number[], elemSize: number): RawPlan | undefined {
  try {
    if (shape.length < 1 || shape.length > 2) return undefined;
    const base = readBaseAddress(fd, fileSize);
    const layout = parseLayout(findLayoutMessage(fd, base + Number(objectAddress), base, fileSize), shape.length, elemSize);
    const nbytes = shape.reduce((a, b) => a * b, 1) * elemSize;
    if (layout.kind === 'contiguous') {
      if (layout.address === undefined) return nbytes === 0 ? { kind: 'contiguous', address: 0 } : undefined;
      const address = base + layout.address;
      return address + nbytes <= fileSize ? { kind: 'contiguous', address } : undefined;
    }
    const chunkBytes = layout.chunkDims.reduce((a, b) => a * b, 1) * elemSize;
    const chunks = layout.address === undefined ? [] : collectChunks(fd, base, layout.address, shape.length, chunkBytes, fileSize);
    if (!chunksTile(chunks, shape, layout.chunkDims, chunkBytes, fileSize)) return undefined;
    return { kind: 'chunked', chunkDims: layout.chunkDims, chunks };
  } catch (err) {
    if (err instanceof Unsupported || err instanceof RangeError) return undefined;
    throw err;
  }
}

const STAGING_BYTES = 4 << 20;

/** Executes a plan into `out` (row-major, shape.product * elemSize bytes). */
export async function readRaw(fh: FileHandle, plan: RawPlan, out: Uint8Array, shape: number[], elemSize: number): Promise<void> {
  if (plan.kind === 'contiguous') {
    await readFully(fh, out, 0, out.length, plan.address);
    return;
  }
  const rows = shape[0]!;
  const cols = shape.length === 2 ? shape[1]! : 1;
  const cr = plan.chunkDims[0]!;
  const cc = shape.length === 2 ? plan.chunkDims[1]! : 1;
  const rowBytes = cols * elemSize;
  const chunkBytes = cr * cc * elemSize;
  const sorted = [...plan.chunks].sort((a, b) => a.address - b.address);

  if (cc === cols) {
    // Full-width chunks: each one's valid rows are one byte range of `out`; adjacent ones read as a single run.
    const runs: { file: number; out: number; len: number }[] = [];
    let last: { file: number; out: number; len: number } | undefined;
    let lastFull = false;
    for (const c of sorted) {
      const r0 = c.offsets[0]!;
      const len = Math.min(cr, rows - r0) * rowBytes;
      const dst = r0 * rowBytes;
      if (last && lastFull && c.address === last.file + last.len && dst === last.out + last.len) {
        last.len += len;
      } else {
        last = { file: c.address, out: dst, len };
        runs.push(last);
      }
      lastFull = len === chunkBytes;
    }
    // A few reads in flight let the thread pool overlap them (page faults of the fresh buffer included).
    await mapLimit(runs, 4, (r) => readFully(fh, out, r.out, r.len, r.file));
    return;
  }

  // Narrower chunks: stage a few at a time and scatter their rows.
  const perStage = Math.max(1, Math.floor(STAGING_BYTES / chunkBytes));
  const staging = new Uint8Array(Math.min(perStage, sorted.length) * chunkBytes);
  for (let s = 0; s < sorted.length; s += perStage) {
    const batch = sorted.slice(s, s + perStage);
    await Promise.all(batch.map((c, i) => readFully(fh, staging, i * chunkBytes, chunkBytes, c.address)));
    batch.forEach((c, i) => {
      const r0 = c.offsets[0]!;
      const c0 = shape.length === 2 ? c.offsets[1]! : 0;
      const nr = Math.min(cr, rows - r0);
      const rowLen = Math.min(cc, cols - c0) * elemSize;
      for (let r = 0; r < nr; r++) {
        const src = i * chunkBytes + r * cc * elemSize;
        out.set(staging.subarray(src, src + rowLen), (r0 + r) * rowBytes + c0 * elemSize);
      }
    });
  }
}
