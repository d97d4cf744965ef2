// One entry point for every feature file format: header (no feature read) and the whole bag.
import { readAcmilBag, readAcmilHeader } from './acmilReader.js';
import { CLAM_H5_PATHS, readH5Bag, readH5Header, type SourceHeader } from './h5Reader.js';
import { readPtBag, readPtHeader } from './ptReader.js';
import type { Bag, FeatureSource } from './types.js';

export type { SourceHeader } from './h5Reader.js';

/** n, d, dtype and whether there are coordinates, from the file's metadata only. Throws DataError (naming `slideId` when given). */
export function readBagHeader(source: FeatureSource, slideId?: string): Promise<SourceHeader> {
  const at = { file: source.path, ...(slideId !== undefined ? { slideId } : {}) };
  switch (source.kind) {
    case 'h5':
      return readH5Header(source.path, CLAM_H5_PATHS, at);
    case 'pt':
      return readPtHeader(source.path, at);
    case 'acmil':
      return readAcmilHeader(source.path, source.group, { file: source.path, slideId: slideId ?? source.group });
  }
}

/**
 * The whole bag. float16 features stay float16 (Uint16Array of raw bits); coordinates come as Int32Array
 * [n * 2] when the file has them. Throws DataError naming the file and slide. Values are not checked for
 * NaN / Inf here: callers that need it use findNonFinite.
 */
export function readBag(source: FeatureSource, slideId: string): Promise<Bag> {
  switch (source.kind) {
    case 'h5':
      return readH5Bag(source.path, CLAM_H5_PATHS, slideId);
    case 'pt':
      return readPtBag(source.path, slideId);
    case 'acmil':
      return readAcmilBag(source.path, source.group, slideId);
  }
}

/** The instance row of the first NaN or infinite feature value, or -1 when all are finite. */
export function findNonFinite(bag: Bag): number {
  const f = bag.features;
  const d = Math.max(1, bag.d);
  if (f instanceof Uint16Array) {
    for (let i = 0; i < f.length; i++) if ((f[i]! & 0x7c00) === 0x7c00) return Math.floor(i / d);
    return -1;
  }
  for (let i = 0; i < f.length; i++) {
    const v = f[i]!;
    if (v - v !== 0) return Math.floor(i / d);
  }
  return -1;
}
