// CLAM's pt_files/<slide>.pt: one tensor [N, D] written by torch.save (zip format). The zip holds
// <name>/data.pkl (the pickled tensor: storage key, dtype, offset, shape, stride) and <name>/data/<key>
// (the storage's raw bytes, stored uncompressed). A saved view keeps its whole storage, so offset and
// stride matter. Contiguous tensors are read straight into the result; views are gathered.
import { open, stat } from 'node:fs/promises';
import pickleparser from 'pickleparser';
import yauzl from 'yauzl';
import { readFully } from './fileRead.js';
import { dataError, errorText, fileAccessError, type ProblemAt } from './problems.js';
import type { SourceHeader } from './h5Reader.js';
import { DataError, type Bag, type FeatureDtype } from './types.js';

const { Parser, NameRegistry } = pickleparser;

const RESAVE = 'Save the features again as one float32 or float16 tensor: torch.save(features.float().contiguous(), path)';

/** Storage classes torch pickles, by element type. */
const STORAGE_TYPES: Record<string, { dtype: FeatureDtype | undefined; name: string; size: number }> = {
  FloatStorage: { dtype: 'float32', name: 'float32', size: 4 },
  HalfStorage: { dtype: 'float16', name: 'float16', size: 2 },
  DoubleStorage: { dtype: undefined, name: 'float64', size: 8 },
  BFloat16Storage: { dtype: undefined, name: 'bfloat16', size: 2 },
  LongStorage: { dtype: undefined, name: 'int64', size: 8 },
  IntStorage: { dtype: undefined, name: 'int32', size: 4 },
  ShortStorage: { dtype: undefined, name: 'int16', size: 2 },
  CharStorage: { dtype: undefined, name: 'int8', size: 1 },
  ByteStorage: { dtype: undefined, name: 'uint8', size: 1 },
  BoolStorage: { dtype: undefined, name: 'bool', size: 1 },
};

class StorageType {
  constructor(readonly className: string) {}
}

class StorageRef {
  constructor(
    readonly type: StorageType,
    readonly key: string,
    readonly numel: number,
  ) {}
}

class TensorRef {
  constructor(
    readonly storage: StorageRef,
    readonly offset: number,
    readonly shape: number[],
    readonly stride: number[],
  ) {}
}

function toInts(v: unknown): number[] {
  if (!Array.isArray(v)) return [];
  return v.map((x) => Number(x));
}

class TorchNames extends NameRegistry {
  override resolve(module: string, name: string): (...args: unknown[]) => unknown {
    if (module === 'torch._utils' && (name === '_rebuild_tensor_v2' || name === '_rebuild_tensor')) {
      return (storage, offset, size, stride) => {
        if (!(storage instanceof StorageRef)) throw new Error('tensor without a storage');
        return new TensorRef(storage, Number(offset), toInts(size), toInts(stride));
      };
    }
    if (module === 'torch._utils' && name === '_rebuild_parameter') return (data) => data;
    // torch 2 wraps tensor subclasses: (rebuild function, subclass, its args, state)
    if (module === 'torch._tensor' && name === '_rebuild_from_type_v2') {
      return (fn, _type, args) => (typeof fn === 'function' && Array.isArray(args) ? (fn as (...a: unknown[]) => unknown)(...(args as unknown[])) : undefined);
    }
    if (module === 'torch' && name.endsWith('Storage')) {
      const type = new StorageType(name);
      return Object.assign(() => type, { storageType: type });
    }
    if (module === 'collections' && name === 'OrderedDict') return () => new Map();
    return (...args: unknown[]) => ({ __global__: `${module}.${name}`, args });
  }
}

function storageTypeOf(v: unknown): StorageType | undefined {
  if (v instanceof StorageType) return v;
  if (typeof v === 'function' && 'storageType' in v && v.storageType instanceof StorageType) return v.storageType;
  return undefined;
}

function parseTensorPickle(pkl: Uint8Array): unknown {
  const parser = new Parser({
    nameResolver: new TorchNames(),
    persistentResolver: {
      resolve(pid: unknown) {
        if (!Array.isArray(pid) || pid[0] !== 'storage') throw new Error(`unknown persistent id ${JSON.stringify(pid)}`);
        const type = storageTypeOf(pid[1]);
        if (!type) throw new Error('storage without a type');
        return new StorageRef(type, String(pid[2]), Number(pid[4]));
      },
    },
  });
  return parser.parse(pkl);
}

interface PtLayout {
  dtype: FeatureDtype;
  elemSize: number;
  n: number;
  d: number;
  offset: number;
  stride: number[];
  /** Absolute file offset of the storage's first byte. */
  dataStart: number;
}

async function readEntry(zip: yauzl.ZipFile, entry: yauzl.Entry): Promise<Buffer> {
  const stream = await zip.openReadStreamPromise(entry);
  const parts: Buffer[] = [];
  for await (const chunk of stream) parts.push(chunk as Buffer);
  return Buffer.concat(parts);
}

/** Checks the zip signature (and names the legacy format); returns the file size. */
async function checkMagic(file: string, at: ProblemAt): Promise<number> {
  let head: Buffer;
  let size: number;
  try {
    const st = await stat(file);
    if (!st.isFile()) throw dataError('is not a file', 'Point the path at a .pt file', at);
    size = st.size;
    const fh = await open(file, 'r');
    try {
      head = Buffer.alloc(4);
      await fh.read(head, 0, 4, 0);
    } finally {
      await fh.close();
    }
  } catch (err) {
    throw fileAccessError(err, at);
  }
  if (head[0] === 0x50 && head[1] === 0x4b && head[2] === 0x03 && head[3] === 0x04) return size;
  if (head[0] === 0x80 || head[0] === 0x8a) {
    throw dataError('saved in the legacy (pre-1.6) torch format, which is not supported', 'Load and save it again with a current torch (torch.save writes the zip format by default)', at);
  }
  throw dataError('is not a torch .pt file (no zip signature); it may be truncated or damaged', 'Copy or extract the file again', at);
}

async function locate(file: string, at: ProblemAt): Promise<PtLayout> {
  const size = await checkMagic(file, at);
  let zip: yauzl.ZipFile;
  try {
    zip = await yauzl.openPromise(file, { lazyEntries: true, autoClose: false });
  } catch (err) {
    throw dataError(`cannot read the .pt archive (${errorText(err)})`, 'The file is truncated or damaged: copy or extract it again', at);
  }
  try {
    const entries = new Map<string, yauzl.Entry>();
    for await (const e of zip.eachEntry()) entries.set(e.fileName, e);
    const pklName = [...entries.keys()].filter((k) => k.endsWith('data.pkl')).sort((a, b) => a.length - b.length)[0];
    if (!pklName) throw dataError('the archive has no data.pkl, so it was not written by torch.save', RESAVE, at);
    const prefix = pklName.slice(0, -'data.pkl'.length);
    const byteorder = entries.get(`${prefix}byteorder`);
    if (byteorder && (await readEntry(zip, byteorder)).toString('latin1').trim() === 'big') {
      throw dataError('the tensor was saved on a big-endian machine', RESAVE, at);
    }
    let obj: unknown;
    try {
      obj = parseTensorPickle(await readEntry(zip, entries.get(pklName)!));
    } catch (err) {
      throw dataError(`cannot parse data.pkl (${errorText(err)})`, RESAVE, at);
    }
    if (!(obj instanceof TensorRef)) {
      const what = obj instanceof Map || (typeof obj === 'object' && obj !== null && !Array.isArray(obj)) ? 'a dict' : Array.isArray(obj) ? 'a list or tuple' : typeof obj;
      throw dataError(`the file holds ${what}, not a bare tensor`, RESAVE, at);
    }
    const st = STORAGE_TYPES[obj.storage.type.className];
    if (!st?.dtype) {
      throw dataError(`the tensor is ${st?.name ?? obj.storage.type.className}; only float32 and float16 features are supported`, RESAVE, at);
    }
    if (obj.shape.length !== 2 || obj.stride.length !== 2) {
      throw dataError(`the tensor has shape [${obj.shape.join(', ')}], expected [N, D]`, RESAVE, at);
    }
    const entry = entries.get(`${prefix}data/${obj.storage.key}`);
    if (!entry) throw dataError(`the archive lacks the storage data/${obj.storage.key}`, 'The file is damaged: copy or extract it again', at);
    if (entry.compressionMethod !== 0) throw dataError('the tensor storage is compressed in the archive', RESAVE, at);
    const [n, d] = obj.shape as [number, number];
    const [s0, s1] = obj.stride as [number, number];
    const last = n === 0 || d === 0 ? -1 : obj.offset + (n - 1) * s0 + (d - 1) * s1;
    const storageNumel = Math.floor(entry.uncompressedSize / st.size);
    if (obj.offset < 0 || s0 < 0 || s1 < 0 || last >= storageNumel) {
      throw dataError(`the tensor view (offset ${obj.offset}, shape [${n}, ${d}], stride [${s0}, ${s1}]) reaches past its storage of ${storageNumel} elements`, 'The file is damaged: copy or extract it again', at);
    }
    const { fileDataStart } = await zip.readLocalFileHeaderPromise(entry, { minimal: true });
    if (fileDataStart + entry.uncompressedSize > size) {
      throw dataError(`the file is truncated (${size} bytes, the storage ends at byte ${fileDataStart + entry.uncompressedSize})`, 'Copy or extract the file again', at);
    }
    return { dtype: st.dtype, elemSize: st.size, n, d, offset: obj.offset, stride: [s0, s1], dataStart: fileDataStart };
  } catch (err) {
    if (err instanceof DataError) throw err;
    throw dataError(`cannot read the .pt archive (${errorText(err)})`, 'The file is truncated or damaged: copy or extract it again', at);
  } finally {
    zip.close();
  }
}

export async function readPtHeader(file: string, at: ProblemAt): Promise<SourceHeader> {
  const l = await locate(file, at);
  return { n: l.n, d: l.d, dtype: l.dtype, hasCoords: false, bytes: l.n * l.d * l.elemSize };
}

function isRowMajor(l: PtLayout): boolean {
  const [s0, s1] = l.stride as [number, number];
  return (l.n <= 1 || s0 === l.d) && (l.d <= 1 || s1 === 1);
}

export async function readPtBag(file: string, slideId: string): Promise<Bag> {
  const at: ProblemAt = { file, slideId };
  const l = await locate(file, at);
  const count = l.n * l.d;
  const out = l.dtype === 'float16' ? new Uint16Array(count) : new Float32Array(count);
  const fh = await open(file, 'r').catch((err: unknown) => {
    throw fileAccessError(err, at);
  });
  try {
    if (isRowMajor(l)) {
      await readFully(fh, new Uint8Array(out.buffer), 0, out.byteLength, l.dataStart + l.offset * l.elemSize);
    } else if (count > 0) {
      // A view: read the span of storage it touches, then gather.
      const [s0, s1] = l.stride as [number, number];
      const spanLen = (l.n - 1) * s0 + (l.d - 1) * s1 + 1;
      const span = l.dtype === 'float16' ? new Uint16Array(spanLen) : new Float32Array(spanLen);
      await readFully(fh, new Uint8Array(span.buffer), 0, span.byteLength, l.dataStart + l.offset * l.elemSize);
      for (let i = 0; i < l.n; i++) {
        for (let j = 0; j < l.d; j++) out[i * l.d + j] = span[i * s0 + j * s1]!;
      }
    }
  } catch (err) {
    throw dataError(`reading the tensor failed (${errorText(err)})`, 'The file is truncated or damaged: copy or extract it again', at);
  } finally {
    await fh.close();
  }
  return { slideId, n: l.n, d: l.d, dtype: l.dtype, features: out };
}
