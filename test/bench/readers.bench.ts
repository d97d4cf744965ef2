// Read throughput of the feature readers on one 20,000 x 1024 slide (float32, 80 MB of features), written
// into a temp folder: h5 contiguous, h5 in CLAM's layout (chunks=(1, D), maxshape=(None, D), appended in
// batches as CLAM's save_hdf5 does; coords likewise), h5 gzip-chunked, and a torch .pt. The h5 files are
// written with h5wasm and the .pt with the small zip + pickle writer below, so the benchmark needs no Python.
// Each figure: one untimed read (page cache, wasm heap growth), then the median of 5 reads; MB/s counts
// feature bytes (n * d * 4). `npm run bench -- readers [--rows=N] [--dim=D]`.
import { mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { crc32 } from 'node:zlib';
import h5wasm from 'h5wasm/node';
import { h5Module } from '../../src/data/h5File.js';
import { CLAM_H5_PATHS, readH5Bag } from '../../src/data/h5Reader.js';
import { readBag } from '../../src/data/readBag.js';
import type { Bag } from '../../src/data/types.js';

function intArg(args: string[], name: string, fallback: number): number {
  const a = args.find((x) => x.startsWith(`--${name}=`));
  return a ? Number(a.split('=')[1]) : fallback;
}

function syntheticFeatures(n: number, d: number): Float32Array {
  const x = new Float32Array(n * d);
  let s = 12345;
  for (let i = 0; i < x.length; i++) {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    x[i] = (s / 2 ** 32) * 4 - 2;
  }
  return x;
}

function coordsOf(n: number): BigInt64Array {
  const c = new BigInt64Array(n * 2);
  for (let i = 0; i < n; i++) {
    c[2 * i] = BigInt((i % 200) * 256);
    c[2 * i + 1] = BigInt(Math.floor(i / 200) * 256);
  }
  return c;
}

async function writeH5(file: string, n: number, d: number, x: Float32Array, layout: 'contiguous' | 'clam' | 'gzip'): Promise<void> {
  await h5Module();
  const f = new h5wasm.File(file, 'w');
  try {
    const coords = coordsOf(n);
    if (layout === 'contiguous') {
      f.create_dataset({ name: 'features', data: x, shape: [n, d], dtype: '<f' });
      f.create_dataset({ name: 'coords', data: coords, shape: [n, 2], dtype: '<q' });
    } else if (layout === 'gzip') {
      f.create_dataset({ name: 'features', data: x, shape: [n, d], dtype: '<f', chunks: [64, d], compression: 4 });
      f.create_dataset({ name: 'coords', data: coords, shape: [n, 2], dtype: '<q' });
    } else {
      const batch = 512;
      const feats = f.create_dataset({ name: 'features', data: x.subarray(0, Math.min(batch, n) * d), shape: [Math.min(batch, n), d], dtype: '<f', maxshape: [null, d], chunks: [1, d] });
      const crd = f.create_dataset({ name: 'coords', data: coords.subarray(0, Math.min(batch, n) * 2), shape: [Math.min(batch, n), 2], dtype: '<q', maxshape: [null, 2], chunks: [1, 2] });
      for (let s = batch; s < n; s += batch) {
        const e = Math.min(n, s + batch);
        feats.resize([e, d]);
        feats.write_slice([[s, e], []], x.subarray(s * d, e * d));
        crd.resize([e, 2]);
        crd.write_slice([[s, e], []], coords.subarray(s * 2, e * 2));
      }
    }
  } finally {
    f.close();
  }
}

// ---- a minimal torch.save writer: protocol-2 pickle of _rebuild_tensor_v2 and a STORED zip ----

function pickleTensor(n: number, d: number): Buffer {
  const parts: Buffer[] = [];
  const op = (...bytes: number[]): void => void parts.push(Buffer.from(bytes));
  const text = (s: string): void => void parts.push(Buffer.from(s, 'latin1'));
  const unicode = (s: string): void => {
    const b = Buffer.from(s, 'utf8');
    const len = Buffer.alloc(4);
    len.writeUInt32LE(b.length);
    parts.push(Buffer.from('X'), len, b);
  };
  const int = (v: number): void => {
    const b = Buffer.alloc(5);
    b[0] = 0x4a; // BININT
    b.writeInt32LE(v, 1);
    parts.push(b);
  };
  op(0x80, 2);
  text('ctorch._utils\n_rebuild_tensor_v2\n');
  op(0x28, 0x28); // MARK MARK
  unicode('storage');
  text('ctorch\nFloatStorage\n');
  unicode('0');
  unicode('cpu');
  int(n * d);
  op(0x74, 0x51); // TUPLE BINPERSID
  int(0);
  int(n);
  int(d);
  op(0x86); // TUPLE2
  int(d);
  int(1);
  op(0x86, 0x89); // TUPLE2 NEWFALSE
  text('ccollections\nOrderedDict\n');
  op(0x29, 0x52, 0x74, 0x52, 0x2e); // EMPTY_TUPLE REDUCE TUPLE REDUCE STOP
  return Buffer.concat(parts);
}

function zipStored(entries: { name: string; data: Uint8Array }[]): Buffer {
  const out: Buffer[] = [];
  const central: Buffer[] = [];
  let offset = 0;
  for (const e of entries) {
    const name = Buffer.from(e.name);
    // torch pads each entry's extra field so its data starts on a 64-byte boundary.
    const pad = (64 - ((offset + 30 + name.length + 4) % 64)) % 64;
    const extra = Buffer.alloc(4 + pad);
    extra.writeUInt16LE(0x4246, 0);
    extra.writeUInt16LE(pad, 2);
    const crc = crc32(e.data);
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt16LE(0x21, 12); // DOS date 1980-01-01
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(e.data.length, 18);
    local.writeUInt32LE(e.data.length, 22);
    local.writeUInt16LE(name.length, 26);
    local.writeUInt16LE(extra.length, 28);
    const cd = Buffer.alloc(46);
    cd.writeUInt32LE(0x02014b50, 0);
    cd.writeUInt16LE(20, 4);
    cd.writeUInt16LE(20, 6);
    cd.writeUInt16LE(0x21, 14);
    cd.writeUInt32LE(crc, 16);
    cd.writeUInt32LE(e.data.length, 20);
    cd.writeUInt32LE(e.data.length, 24);
    cd.writeUInt16LE(name.length, 28);
    cd.writeUInt32LE(offset, 42);
    central.push(cd, name);
    out.push(local, name, extra, Buffer.from(e.data.buffer, e.data.byteOffset, e.data.byteLength));
    offset += local.length + name.length + extra.length + e.data.length;
  }
  const cdSize = central.reduce((a, b) => a + b.length, 0);
  const eocd = Buffer.alloc(22);
  eocd.writeUInt32LE(0x06054b50, 0);
  eocd.writeUInt16LE(entries.length, 8);
  eocd.writeUInt16LE(entries.length, 10);
  eocd.writeUInt32LE(cdSize, 12);
  eocd.writeUInt32LE(offset, 16);
  return Buffer.concat([...out, ...central, eocd]);
}

async function writePt(file: string, n: number, d: number, x: Float32Array): Promise<void> {
  const data = new Uint8Array(x.buffer, x.byteOffset, x.byteLength);
  await writeFile(file, zipStored([
    { name: 'slide/data.pkl', data: pickleTensor(n, d) },
    { name: 'slide/data/0', data },
    { name: 'slide/version', data: Buffer.from('3\n') },
  ]));
}

async function median5(read: () => Promise<Bag>, check: (b: Bag) => void): Promise<number> {
  check(await read());
  const times: number[] = [];
  for (let i = 0; i < 5; i++) {
    const t = performance.now();
    const bag = await read();
    times.push(performance.now() - t);
    check(bag);
  }
  times.sort((a, b) => a - b);
  return times[2]!;
}

export async function run(args: string[]): Promise<void> {
  const n = intArg(args, 'rows', 20000);
  const d = intArg(args, 'dim', 1024);
  const dir = await mkdtemp(path.join(os.tmpdir(), 'aem-readers-bench-'));
  try {
    const x = syntheticFeatures(n, d);
    const expectFirst = x[0]!;
    const files = {
      contiguous: path.join(dir, 'contiguous.h5'),
      clam: path.join(dir, 'clam_chunks.h5'),
      gzip: path.join(dir, 'gzip.h5'),
      pt: path.join(dir, 'slide.pt'),
    };
    await writeH5(files.contiguous, n, d, x, 'contiguous');
    await writeH5(files.clam, n, d, x, 'clam');
    await writeH5(files.gzip, n, d, x, 'gzip');
    await writePt(files.pt, n, d, x);

    const check = (b: Bag): void => {
      if (b.n !== n || b.d !== d || b.dtype !== 'float32') throw new Error(`bench: read ${b.n} x ${b.d} ${b.dtype}`);
      if (b.features[0] !== expectFirst || b.features[b.features.length - 1] !== x[x.length - 1]) throw new Error('bench: wrong values');
    };
    const cases: { name: string; file: string; bytes: number; read: () => Promise<Bag> }[] = [
      { name: 'h5 contiguous float32', file: files.contiguous, bytes: n * d * 4, read: () => readBag({ kind: 'h5', path: files.contiguous }, 's') },
      { name: 'h5 CLAM chunks (1, D) float32', file: files.clam, bytes: n * d * 4, read: () => readBag({ kind: 'h5', path: files.clam }, 's') },
      { name: '  same through h5wasm only', file: files.clam, bytes: n * d * 4, read: () => readH5Bag(files.clam, CLAM_H5_PATHS, 's', { direct: false }) },
      { name: 'h5 gzip (64, D) chunks float32', file: files.gzip, bytes: n * d * 4, read: () => readBag({ kind: 'h5', path: files.gzip }, 's') },
      { name: 'pt float32', file: files.pt, bytes: n * d * 4, read: () => readBag({ kind: 'pt', path: files.pt }, 's') },
    ];
    console.log(`${n} x ${d} slide in ${dir} (h5 written with h5wasm, .pt with the benchmark's own zip writer)`);
    console.log(`${'reader'.padEnd(34)}${'file MB'.padStart(9)}${'median ms'.padStart(11)}${'MB/s'.padStart(8)}`);
    for (const c of cases) {
      const ms = await median5(c.read, check);
      const size = (await stat(c.file)).size;
      console.log(`${c.name.padEnd(34)}${(size / 1e6).toFixed(1).padStart(9)}${ms.toFixed(1).padStart(11)}${(c.bytes / 1e6 / (ms / 1000)).toFixed(0).padStart(8)}`);
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
