// HDF5 bags: CLAM's h5_files/<slide>.h5 ('features' [N, D], 'coords' [N, 2]) and, with other dataset paths,
// the groups of an ACMIL file. h5wasm opens and describes the file; unfiltered data is read by h5Raw.
import { open } from 'node:fs/promises';
import { datasetInfo, groupKeys, hdf5Reason, objectAddress, readDatasetBytes, withH5File, type H5DatasetInfo, type H5File, type H5Module } from './h5File.js';
import { planRawRead, readRaw } from './h5Raw.js';
import { dataError, type ProblemAt } from './problems.js';
import { DataError, type Bag, type BagHeader, type FeatureDtype } from './types.js';

/** A header plus what the index checks against it. */
export interface SourceHeader extends BagHeader {
  /** Rows of the coordinates, when the file has them (must equal n). */
  coordsRows?: number;
}

export interface H5BagPaths {
  features: string;
  coords: string;
  /** Where the datasets live, for messages ('' = the file's root). */
  group: string;
}

export const CLAM_H5_PATHS: H5BagPaths = { features: 'features', coords: 'coords', group: '' };

const REEXTRACT = "CLAM feature files hold 'features' [N, D] (float32 or float16) and 'coords' [N, 2]; extract the features again or point data.features at the right folder";

interface Described {
  n: number;
  d: number;
  dtype: FeatureDtype;
  feat: H5DatasetInfo;
  coords: H5DatasetInfo | undefined;
}

function featureDtype(info: H5DatasetInfo): FeatureDtype | undefined {
  if (info.kind !== 'float') return undefined;
  return info.size === 4 ? 'float32' : info.size === 2 ? 'float16' : undefined;
}

function dtypeName(info: H5DatasetInfo): string {
  if (info.kind === 'float') return `float${info.size * 8}`;
  if (info.kind === 'int') return `${info.signed ? 'int' : 'uint'}${info.size * 8}`;
  return 'a non-numeric type';
}

function describe(f: H5File, m: H5Module, paths: H5BagPaths, at: ProblemAt): Described {
  const feat = datasetInfo(f, m, paths.features);
  const where = paths.group ? `group '${paths.group}'` : 'the file';
  if (!feat) {
    const keys = groupKeys(f, paths.group);
    throw dataError(`no '${paths.features}' dataset in ${where} (it has: ${keys.join(', ') || 'nothing'})`, REEXTRACT, at);
  }
  if (feat.shape.length !== 2) {
    throw dataError(`'${paths.features}' has shape [${feat.shape.join(', ')}], expected [N, D]`, REEXTRACT, at);
  }
  const dtype = featureDtype(feat);
  if (!dtype) {
    throw dataError(`'${paths.features}' is ${dtypeName(feat)}; only float32 and float16 features are supported`, "Convert the features, e.g. with h5py: f['features'][...].astype('float32')", at);
  }
  const coords = datasetInfo(f, m, paths.coords);
  if (coords && (coords.shape.length !== 2 || coords.shape[1] !== 2 || (coords.kind !== 'int' && coords.kind !== 'float') || coords.size < 4)) {
    throw dataError(`'${paths.coords}' has shape [${coords.shape.join(', ')}] and type ${dtypeName(coords)}, expected [N, 2] integers`, REEXTRACT, at);
  }
  return { n: feat.shape[0]!, d: feat.shape[1]!, dtype, feat, coords };
}

/** The header of the bag at `paths` in an open file (throws DataError when the datasets are unusable). */
export function h5HeaderOf(f: H5File, m: H5Module, paths: H5BagPaths, at: ProblemAt): SourceHeader {
  const desc = describe(f, m, paths, at);
  const header: SourceHeader = {
    n: desc.n,
    d: desc.d,
    dtype: desc.dtype,
    hasCoords: desc.coords !== undefined,
    bytes: desc.n * desc.d * (desc.dtype === 'float16' ? 2 : 4),
  };
  if (desc.coords) header.coordsRows = desc.coords.shape[0]!;
  return header;
}

export function readH5Header(file: string, paths: H5BagPaths, at: ProblemAt): Promise<SourceHeader> {
  return withH5File(file, at, (f, m) => h5HeaderOf(f, m, paths, at));
}

function rawEligible(info: H5DatasetInfo): boolean {
  return info.filters.length === 0 && info.littleEndian;
}

function byteCount(info: H5DatasetInfo): number {
  return info.shape.reduce((a, b) => a * b, 1) * info.size;
}

/** Coordinates as Int32Array [n * 2], whatever integer or float type the file stores. */
function toInt32Coords(bytes: Uint8Array, info: H5DatasetInfo, at: ProblemAt): Int32Array {
  const count = bytes.byteLength / info.size;
  const out = new Int32Array(count);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (let i = 0; i < count; i++) {
    const o = i * info.size;
    let v: number;
    if (info.kind === 'float') v = Math.round(info.size === 8 ? view.getFloat64(o, true) : view.getFloat32(o, true));
    else if (info.size === 8) v = Number(info.signed ? view.getBigInt64(o, true) : view.getBigUint64(o, true));
    else v = info.signed ? view.getInt32(o, true) : view.getUint32(o, true);
    if (!Number.isFinite(v) || v > 2147483647 || v < -2147483648) {
      throw dataError(`coordinate ${i >> 1} (${v}) does not fit a 32-bit integer`, 'Check the coords dataset; pixel coordinates should be level-0 pixel positions', at);
    }
    out[i] = v;
  }
  return out;
}

interface Pending {
  info: H5DatasetInfo;
  path: string;
  bytes?: Uint8Array;
  address?: bigint;
}

/** Reads the datasets' bytes: unfiltered ones straight from the file, the rest (and any h5Raw declines) via h5wasm. */
async function readDatasets(file: string, items: Pending[], at: ProblemAt): Promise<void> {
  const direct = items.filter((it) => it.bytes === undefined && it.address !== undefined);
  if (direct.length > 0) {
    const fh = await open(file, 'r');
    try {
      const { size } = await fh.stat();
      for (const it of direct) {
        const plan = planRawRead(fh.fd, size, it.address!, it.info.shape, it.info.size);
        if (!plan) continue;
        const out = new Uint8Array(byteCount(it.info));
        await readRaw(fh, plan, out, it.info.shape, it.info.size);
        it.bytes = out;
      }
    } finally {
      await fh.close();
    }
  }
  if (items.some((it) => it.bytes === undefined)) {
    await withH5File(file, at, (f, m) => {
      for (const it of items) it.bytes ??= readDatasetBytes(f, m, it.path, byteCount(it.info));
    });
  }
}

export interface H5ReadOptions {
  /** false: read everything through h5wasm (the fast path's reference; used by tests and the benchmark). */
  direct?: boolean;
}

export async function readH5Bag(file: string, paths: H5BagPaths, slideId: string, opts: H5ReadOptions = {}): Promise<Bag> {
  const at: ProblemAt = { file, slideId };
  const items: Pending[] = [];
  let desc: Described;
  try {
    desc = await withH5File(file, at, (f, m) => {
      const dsc = describe(f, m, paths, at);
      if (dsc.coords && dsc.coords.shape[0] !== dsc.n) {
        throw dataError(`'${paths.coords}' has ${dsc.coords.shape[0]} rows but '${paths.features}' has ${dsc.n}`, REEXTRACT, at);
      }
      const wanted: [H5DatasetInfo, string][] = [[dsc.feat, paths.features]];
      if (dsc.coords) wanted.push([dsc.coords, paths.coords]);
      for (const [info, path] of wanted) {
        const it: Pending = { info, path };
        const address = opts.direct !== false && rawEligible(info) ? objectAddress(f, m, path) : undefined;
        if (address !== undefined) it.address = address;
        else it.bytes = readDatasetBytes(f, m, path, byteCount(info));
        items.push(it);
      }
      return dsc;
    });
    await readDatasets(file, items, at);
  } catch (err) {
    if (err instanceof DataError) throw err;
    throw dataError(`reading the data failed (${hdf5Reason(err)})`, 'The file is damaged or truncated: copy or extract it again', at);
  }
  const featBytes = items[0]!.bytes!;
  const features = desc.dtype === 'float16' ? new Uint16Array(featBytes.buffer, featBytes.byteOffset, desc.n * desc.d) : new Float32Array(featBytes.buffer, featBytes.byteOffset, desc.n * desc.d);
  const bag: Bag = { slideId, n: desc.n, d: desc.d, dtype: desc.dtype, features };
  const coordItem = items[1];
  if (coordItem?.bytes) bag.coords = toInt32Coords(coordItem.bytes, coordItem.info, at);
  return bag;
}
