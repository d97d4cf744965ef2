// A minimal HDF5 writer for CLAM-layout feature files: `features` [n, d] (float32 or float16) and `coords`
// [n, 2] int64 with integer attributes, both contiguous, in one root group.
// Why not h5wasm: its writer cannot create float16 datasets ("Float size not supported"), and every file it
// writes carries object timestamps, so the same seed would not give the same bytes. The layout here is
// superblock v2 + version-2 object headers with compact links (what libhdf5 writes with libver v108 and
// later); the tests read these files back with h5wasm, i.e. with libhdf5 itself.
import { open } from 'node:fs/promises';
import type { FeatureDtype } from './types.js';

export interface FeatureFileContent {
  n: number;
  d: number;
  dtype: FeatureDtype;
  /** Row-major [n, d]; float16 as raw IEEE half bits. */
  features: Float32Array | Uint16Array;
  /** Row-major [n, 2] (x, y). */
  coords: Int32Array;
  /** Scalar int64 attributes stored on `coords` (CLAM: patch_size, patch_level). */
  coordAttrs: Record<string, number>;
}

const UNDEFINED_ADDRESS = 0xffffffffffffffffn;

/** Bob Jenkins' lookup3 hashlittle, the checksum of HDF5 metadata blocks (H5_checksum_lookup3). */
export function lookup3(bytes: Uint8Array, initval = 0): number {
  const rot = (x: number, k: number): number => (x << k) | (x >>> (32 - k));
  let length = bytes.length;
  let a = (0xdeadbeef + length + initval) | 0;
  let b = a;
  let c = a;
  const word = (o: number): number =>
    ((bytes[o] ?? 0) | ((bytes[o + 1] ?? 0) << 8) | ((bytes[o + 2] ?? 0) << 16) | ((bytes[o + 3] ?? 0) << 24)) | 0;
  let k = 0;
  while (length > 12) {
    a = (a + word(k)) | 0;
    b = (b + word(k + 4)) | 0;
    c = (c + word(k + 8)) | 0;
    a = (a - c) | 0; a ^= rot(c, 4); c = (c + b) | 0;
    b = (b - a) | 0; b ^= rot(a, 6); a = (a + c) | 0;
    c = (c - b) | 0; c ^= rot(b, 8); b = (b + a) | 0;
    a = (a - c) | 0; a ^= rot(c, 16); c = (c + b) | 0;
    b = (b - a) | 0; b ^= rot(a, 19); a = (a + c) | 0;
    c = (c - b) | 0; c ^= rot(b, 4); b = (b + a) | 0;
    length -= 12;
    k += 12;
  }
  if (length === 0) return c >>> 0;
  // The tail is added byte by byte into a, b, c as little-endian words (the C code's fall-through switch).
  const tail = [0, 0, 0];
  for (let j = 0; j < length; j++) {
    const w = j >> 2;
    tail[w] = (tail[w] ?? 0) + ((bytes[k + j] ?? 0) << ((j & 3) * 8));
  }
  a = (a + (tail[0] ?? 0)) | 0;
  b = (b + (tail[1] ?? 0)) | 0;
  c = (c + (tail[2] ?? 0)) | 0;
  c ^= b; c = (c - rot(b, 14)) | 0;
  a ^= c; a = (a - rot(c, 11)) | 0;
  b ^= a; b = (b - rot(a, 25)) | 0;
  c ^= b; c = (c - rot(b, 16)) | 0;
  a ^= c; a = (a - rot(c, 4)) | 0;
  b ^= a; b = (b - rot(a, 14)) | 0;
  c ^= b; c = (c - rot(b, 24)) | 0;
  return c >>> 0;
}

/** Little-endian byte builder. */
class Bytes {
  private readonly parts: number[] = [];
  u8(v: number): this { this.parts.push(v & 0xff); return this; }
  u16(v: number): this { return this.u8(v).u8(v >>> 8); }
  u32(v: number): this { return this.u16(v & 0xffff).u16(v >>> 16); }
  u64(v: bigint): this {
    return this.u32(Number(v & 0xffffffffn)).u32(Number((v >> 32n) & 0xffffffffn));
  }
  raw(b: ArrayLike<number>): this { for (let i = 0; i < b.length; i++) this.u8(b[i] ?? 0); return this; }
  get length(): number { return this.parts.length; }
  done(): Uint8Array { return Uint8Array.from(this.parts); }
}

function ascii(s: string): number[] {
  return Array.from(s, (ch) => {
    const code = ch.charCodeAt(0);
    if (code > 127) throw new Error(`HDF5 name must be ASCII: ${s}`);
    return code;
  });
}

function dataspaceSimple(dims: number[]): Uint8Array {
  const b = new Bytes().u8(2).u8(dims.length).u8(0).u8(1);
  for (const dim of dims) b.u64(BigInt(dim));
  return b.done();
}

const DATASPACE_SCALAR = new Bytes().u8(2).u8(0).u8(0).u8(0).done();

function datatypeInt64(): Uint8Array {
  // class 0 (fixed point), version 1; bit 3 = signed; size 8; bit offset 0, precision 64.
  return new Bytes().u8(0x10).u8(0x08).u8(0).u8(0).u32(8).u16(0).u16(64).done();
}

function datatypeFloat(dtype: FeatureDtype): Uint8Array {
  // class 1 (floating point), version 1; mantissa normalisation "msb implied" (bits 4-5 = 2); then the sign bit.
  const [size, expBits, mantBits, bias] = dtype === 'float32' ? [4, 8, 23, 127] : [2, 5, 10, 15];
  return new Bytes()
    .u8(0x11).u8(0x20).u8(size * 8 - 1).u8(0)
    .u32(size)
    .u16(0).u16(size * 8).u8(mantBits).u8(expBits).u8(0).u8(mantBits).u32(bias)
    .done();
}

interface Message { type: number; flags: number; body: Uint8Array }

function objectHeader(messages: Message[]): Uint8Array {
  let chunk = 0;
  for (const m of messages) chunk += 4 + m.body.length;
  // flags bits 0-1 = 2: the chunk size is stored in 4 bytes; no times, no attribute creation order.
  const b = new Bytes().raw(ascii('OHDR')).u8(2).u8(0x02).u32(chunk);
  for (const m of messages) b.u8(m.type).u16(m.body.length).u8(m.flags).raw(m.body);
  const bytes = b.done();
  const out = new Uint8Array(bytes.length + 4);
  out.set(bytes);
  new DataView(out.buffer).setUint32(bytes.length, lookup3(bytes), true);
  return out;
}

function linkMessage(name: string, address: bigint): Message {
  const nameBytes = ascii(name);
  if (nameBytes.length > 255) throw new Error(`HDF5 link name too long: ${name}`);
  // version 1, flags 0: hard link, 1-byte name length, ASCII.
  return { type: 0x06, flags: 0, body: new Bytes().u8(1).u8(0).u8(nameBytes.length).raw(nameBytes).u64(address).done() };
}

function attributeInt64(name: string, value: number): Message {
  const nameBytes = [...ascii(name), 0];
  const dt = datatypeInt64();
  const body = new Bytes()
    .u8(3).u8(0).u16(nameBytes.length).u16(dt.length).u16(DATASPACE_SCALAR.length).u8(0)
    .raw(nameBytes).raw(dt).raw(DATASPACE_SCALAR).u64(BigInt(value))
    .done();
  return { type: 0x0c, flags: 0, body };
}

function datasetHeader(dims: number[], datatype: Uint8Array, dataAddress: bigint, dataSize: number, attrs: Message[]): Uint8Array {
  // Fill value v3: allocation time late, write fill value "if set", no fill value defined.
  const fill = new Bytes().u8(3).u8(0x02 | (2 << 2)).done();
  const layout = new Bytes().u8(3).u8(1).u64(dataAddress).u64(BigInt(dataSize)).done();
  return objectHeader([
    { type: 0x01, flags: 0, body: dataspaceSimple(dims) },
    { type: 0x03, flags: 1, body: datatype },
    { type: 0x05, flags: 1, body: fill },
    { type: 0x08, flags: 0, body: layout },
    ...attrs,
  ]);
}

function byteView(a: Float32Array | Uint16Array | BigInt64Array): Uint8Array {
  return new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
}

/** Writes one CLAM-layout feature file. The output depends only on the content (no timestamps). */
export async function writeFeatureH5(path: string, content: FeatureFileContent): Promise<void> {
  const { n, d, dtype, features, coords } = content;
  const elemBytes = dtype === 'float32' ? 4 : 2;
  if ((dtype === 'float32') !== features instanceof Float32Array) throw new Error(`features array does not match dtype ${dtype}`);
  if (features.length !== n * d) throw new Error(`features hold ${features.length} values, expected ${n} x ${d}`);
  if (coords.length !== n * 2) throw new Error(`coords hold ${coords.length} values, expected ${n} x 2`);

  const coords64 = BigInt64Array.from(coords, (v) => BigInt(v));
  const featureBytes = n * d * elemBytes;
  const coordBytes = n * 2 * 8;
  const attrs = Object.entries(content.coordAttrs).map(([k, v]) => attributeInt64(k, v));

  // Header sizes do not depend on the addresses written into them, so lay out with placeholders first.
  const sizeOf = (h: Uint8Array): number => h.length;
  const superblockSize = 48;
  const rootSize = sizeOf(rootHeader(0n, 0n));
  const featSize = sizeOf(datasetHeader([n, d], datatypeFloat(dtype), 0n, featureBytes, []));
  const coordSize = sizeOf(datasetHeader([n, 2], datatypeInt64(), 0n, coordBytes, attrs));
  const rootAddr = BigInt(superblockSize);
  const featAddr = rootAddr + BigInt(rootSize);
  const coordAddr = featAddr + BigInt(featSize);
  const featDataAddr = coordAddr + BigInt(coordSize);
  const coordDataAddr = featDataAddr + BigInt(featureBytes);
  const eof = coordDataAddr + BigInt(coordBytes);

  const sbBody = new Bytes()
    .raw([0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a])
    .u8(2).u8(8).u8(8).u8(0)
    .u64(0n).u64(UNDEFINED_ADDRESS).u64(eof).u64(rootAddr)
    .done();
  const superblock = new Uint8Array(superblockSize);
  superblock.set(sbBody);
  new DataView(superblock.buffer).setUint32(sbBody.length, lookup3(sbBody), true);

  const parts = [
    superblock,
    rootHeader(featAddr, coordAddr),
    datasetHeader([n, d], datatypeFloat(dtype), featDataAddr, featureBytes, []),
    datasetHeader([n, 2], datatypeInt64(), coordDataAddr, coordBytes, attrs),
    byteView(features),
    byteView(coords64),
  ];
  const fh = await open(path, 'w');
  try {
    for (const part of parts) {
      let off = 0;
      while (off < part.length) off += (await fh.write(part, off, part.length - off)).bytesWritten;
    }
  } finally {
    await fh.close();
  }
}

function rootHeader(featAddr: bigint, coordAddr: bigint): Uint8Array {
  // Link info v0 (no creation order, no dense storage) + group info v0, then compact links.
  const linkInfo = new Bytes().u8(0).u8(0).u64(UNDEFINED_ADDRESS).u64(UNDEFINED_ADDRESS).done();
  const groupInfo = new Bytes().u8(0).u8(0).done();
  return objectHeader([
    { type: 0x02, flags: 0, body: linkInfo },
    { type: 0x0a, flags: 0, body: groupInfo },
    linkMessage('coords', coordAddr),
    linkMessage('features', featAddr),
  ]);
}
