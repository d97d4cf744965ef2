// One binary file holding named float32/int32 arrays plus a JSON header: checkpoints and attention maps.
// Layout: "AEMPACK1" | u32 header length | header JSON (padded to 8 bytes) | raw little-endian arrays.
import { readFileSync } from 'node:fs';
import { writeFileAtomic } from './atomicFile.js';

const MAGIC = 'AEMPACK1';

export type PackArray = Float32Array | Int32Array;

interface PackHeader<M> {
  meta: M;
  arrays: { name: string; dtype: 'float32' | 'int32'; shape: number[]; offset: number; length: number }[];
}

export function writeTensorPack<M>(file: string, meta: M, arrays: { name: string; shape: number[]; data: PackArray }[]): void {
  let offset = 0;
  const entries = arrays.map((a) => {
    const entry = { name: a.name, dtype: a.data instanceof Int32Array ? ('int32' as const) : ('float32' as const), shape: a.shape, offset, length: a.data.length };
    offset += a.data.byteLength;
    return entry;
  });
  const header: PackHeader<M> = { meta, arrays: entries };
  let headerBytes = Buffer.from(JSON.stringify(header), 'utf8');
  const padded = Math.ceil((MAGIC.length + 4 + headerBytes.length) / 8) * 8 - MAGIC.length - 4;
  headerBytes = Buffer.concat([headerBytes, Buffer.alloc(padded - headerBytes.length, 0x20)]);
  const prefix = Buffer.alloc(MAGIC.length + 4);
  prefix.write(MAGIC, 0, 'ascii');
  prefix.writeUInt32LE(headerBytes.length, MAGIC.length);
  writeFileAtomic(file, [prefix, headerBytes, ...arrays.map((a) => new Uint8Array(a.data.buffer, a.data.byteOffset, a.data.byteLength))]);
}

export interface TensorPack<M> {
  meta: M;
  arrays: Map<string, { shape: number[]; data: PackArray }>;
}

export function readTensorPack<M>(file: string): TensorPack<M> {
  const buf = readFileSync(file);
  if (buf.length < MAGIC.length + 4 || buf.toString('ascii', 0, MAGIC.length) !== MAGIC) throw new Error(`${file}: not an AEM Studio checkpoint or attention file`);
  const headerLength = buf.readUInt32LE(MAGIC.length);
  const start = MAGIC.length + 4;
  if (start + headerLength > buf.length) throw new Error(`${file}: truncated (its header is cut short: ${buf.length} bytes)`);
  let header: PackHeader<M>;
  try {
    header = JSON.parse(buf.toString('utf8', start, start + headerLength)) as PackHeader<M>;
  } catch (err) {
    throw new Error(`${file}: corrupt header (${err instanceof Error ? err.message : String(err)})`);
  }
  if (!Array.isArray(header.arrays)) throw new Error(`${file}: corrupt header (no array list)`);
  const dataStart = start + headerLength;
  const arrays = new Map<string, { shape: number[]; data: PackArray }>();
  for (const e of header.arrays) {
    const bytes = e.length * 4;
    if (dataStart + e.offset + bytes > buf.length) throw new Error(`${file}: truncated (array ${e.name})`);
    const copy = new Uint8Array(bytes);
    copy.set(buf.subarray(dataStart + e.offset, dataStart + e.offset + bytes));
    arrays.set(e.name, { shape: e.shape, data: e.dtype === 'int32' ? new Int32Array(copy.buffer) : new Float32Array(copy.buffer) });
  }
  return { meta: header.meta, arrays };
}
