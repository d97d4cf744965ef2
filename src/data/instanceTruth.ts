// Instance-level truth (1 = lesion instance) stored next to synthetic datasets, and how much attention lands on it.
import { readFile } from 'node:fs/promises';
import path from 'node:path';

/** The truth file of one slide (`<truthDir>/<slideId>.u8`, one byte per instance), or undefined if there is none. */
export async function readInstanceTruth(truthDir: string, slideId: string): Promise<Uint8Array | undefined> {
  try {
    const buf = await readFile(path.join(truthDir, `${slideId}.u8`));
    return new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
}

/** Sum of the attention on instances whose truth is 1 (attention sums to 1, so this is the share on the lesion). */
export function attentionMassOnTruth(attention: Float32Array | number[], truth: Uint8Array): number {
  if (attention.length !== truth.length) {
    throw new Error(`attention has ${attention.length} values but the instance truth has ${truth.length}; they must describe the same bag`);
  }
  let mass = 0;
  for (let i = 0; i < truth.length; i++) if (truth[i] === 1) mass += attention[i] ?? 0;
  return mass;
}
