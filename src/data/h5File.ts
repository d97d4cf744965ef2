// h5wasm, opened once and used through a few helpers: open a file (always closed again), describe a
// dataset, read it as raw bytes (h5wasm itself has no float16 view), read an attribute.
import { stat } from 'node:fs/promises';
import h5wasm from 'h5wasm/node';
import type { Dataset, File as H5wasmFile, Group } from 'h5wasm/node';
import { dataError, errorText, fileAccessError, type ProblemAt } from './problems.js';

export type H5Module = Awaited<typeof h5wasm.ready>;
export type H5File = H5wasmFile;

let ready: Promise<H5Module> | undefined;

/** The h5wasm module. HDF5 errors are switched to thrown exceptions (the default prints to stderr and returns -1). */
export function h5Module(): Promise<H5Module> {
  ready ??= h5wasm.ready.then((m) => {
    m.activate_throwing_error_handler();
    return m;
  });
  return ready;
}

/** The innermost reason in an HDF5 error stack ("file signature not found"), not the whole trace. */
export function hdf5Reason(err: unknown): string {
  const text = errorText(err);
  const frames = text.split('\n').filter((l) => /#\d+:/.test(l));
  const last = frames[frames.length - 1];
  if (!last) return text.split('\n')[0] ?? text;
  const m = /in [\w.]+\(\): (.*)$/.exec(last);
  return (m?.[1] ?? last).trim();
}

/** Opens `file` read-only, runs `fn` (synchronously: h5wasm is synchronous) and closes the file whatever happens. */
export async function withH5File<T>(file: string, at: ProblemAt, fn: (f: H5File, m: H5Module) => T): Promise<T> {
  const m = await h5Module();
  try {
    const st = await stat(file);
    if (!st.isFile()) throw dataError('is not a file', 'Point the path at an .h5 file', at);
  } catch (err) {
    throw fileAccessError(err, at);
  }
  let f: H5File;
  try {
    f = new h5wasm.File(file, 'r');
  } catch (err) {
    const reason = hdf5Reason(err);
    const fix = /signature|truncated|eof|read failed/i.test(reason)
      ? 'The file is damaged, truncated or not HDF5: copy or extract it again'
      : 'Check that the file is a readable HDF5 file';
    throw dataError(`cannot open as HDF5 (${reason})`, fix, at);
  }
  try {
    return fn(f, m);
  } finally {
    f.close();
  }
}

export interface H5DatasetInfo {
  shape: number[];
  /** HDF5 type class. */
  kind: 'float' | 'int' | 'other';
  /** Bytes per element. */
  size: number;
  signed: boolean;
  littleEndian: boolean;
  chunks: number[] | null;
  filters: string[];
}

function asDataset(entity: unknown): Dataset | undefined {
  return entity instanceof h5wasm.Dataset ? entity : undefined;
}

function getEntity(f: H5File, path: string): unknown {
  try {
    return f.get(path);
  } catch {
    return null; // a missing intermediate group throws instead of returning null
  }
}

/** Describes the dataset at `path`, or undefined when there is none (or it is not a dataset). */
export function datasetInfo(f: H5File, m: H5Module, path: string): H5DatasetInfo | undefined {
  const ds = asDataset(getEntity(f, path));
  if (!ds) return undefined;
  const md = ds.metadata;
  const cls = m.H5T_class_t;
  const kind = md.type === cls.H5T_FLOAT.value ? 'float' : md.type === cls.H5T_INTEGER.value ? 'int' : 'other';
  return {
    shape: md.shape ?? [],
    kind,
    size: md.size,
    signed: md.signed,
    littleEndian: md.littleEndian,
    chunks: md.chunks,
    filters: ds.filters.map((x) => x.name),
  };
}

/** Names under a group ('' = the root). */
export function groupKeys(f: H5File, path: string): string[] {
  if (path === '' || path === '/') return f.keys();
  const g = getEntity(f, path);
  return g instanceof h5wasm.Group ? (g as Group).keys() : [];
}

export function isGroup(f: H5File, path: string): boolean {
  return getEntity(f, path) instanceof h5wasm.Group;
}

/** The whole dataset as little-endian raw bytes in a fresh buffer (byteOffset 0, so any typed view is aligned). */
export function readDatasetBytes(f: H5File, m: H5Module, path: string, nbytes: number): Uint8Array {
  if (nbytes === 0) return new Uint8Array(0);
  const ptr = m._malloc(nbytes);
  if (!ptr) throw new Error(`out of wasm memory reading ${nbytes} bytes`);
  try {
    m.get_dataset_data(f.file_id, path, null, null, null, BigInt(ptr));
    return m.HEAPU8.slice(ptr, ptr + nbytes);
  } finally {
    m._free(ptr);
  }
}

/** The object header address HDF5 stores in an object reference (relative to the file's base address). */
export function objectAddress(f: H5File, m: H5Module, path: string): bigint | undefined {
  try {
    // Comes back as a plain array of bytes despite the Uint8Array in h5wasm's types.
    const ref = Uint8Array.from(m.create_object_reference(f.file_id, path));
    if (ref.length < 8) return undefined;
    return new DataView(ref.buffer).getBigUint64(0, true);
  } catch {
    return undefined;
  }
}

/** A scalar attribute as a number or string; undefined when absent or not scalar. */
export function scalarAttr(f: H5File, path: string, name: string): number | string | undefined {
  const obj = path === '' || path === '/' ? f : getEntity(f, path);
  if (!(obj instanceof h5wasm.Group) && !(obj instanceof h5wasm.Dataset)) return undefined;
  const attr = obj.attrs[name];
  if (!attr) return undefined;
  let v: unknown = attr.value;
  if ((ArrayBuffer.isView(v) || Array.isArray(v)) && (v as ArrayLike<unknown>).length === 1) v = (v as ArrayLike<unknown>)[0];
  if (typeof v === 'bigint') return Number(v);
  if (typeof v === 'number' || typeof v === 'string') return v;
  if (typeof v === 'boolean') return v ? 1 : 0;
  return undefined;
}
