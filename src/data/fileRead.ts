// Small file-reading helpers shared by the readers.
import type { FileHandle } from 'node:fs/promises';

/** Reads exactly `len` bytes at file position `pos` into `out` at `outOffset`; throws on a short file. */
export async function readFully(fh: FileHandle, out: Uint8Array, outOffset: number, len: number, pos: number): Promise<void> {
  let done = 0;
  while (done < len) {
    const { bytesRead } = await fh.read(out, outOffset + done, len - done, pos + done);
    if (bytesRead === 0) throw new RangeError(`the file ends at byte ${pos + done}, before the data does`);
    done += bytesRead;
  }
}

/** Runs `fn` over `items` with at most `limit` calls in flight; results keep the items' order. */
export async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}
