// Bags kept in memory under a byte budget (least recently used out), with the next bag read ahead while
// the current one trains. Bags are stored as the loader returns them: float16 stays float16.
import type { Bag } from './types.js';

export interface BagCacheStats {
  /** get() calls answered from memory. */
  hits: number;
  /** get() calls that had to wait for a read (their own, or a prefetch still in flight). */
  misses: number;
  hitRate: number;
  /** Bytes of all bags the loader returned. */
  bytesRead: number;
  /** Time spent inside the loader, summed over reads. */
  readSeconds: number;
  readMBps: number;
  /** Time callers of get() spent waiting for their bag. */
  waitSeconds: number;
  /** Bags dropped to stay within the budget. */
  evictions: number;
  residentBytes: number;
}

export function bagBytes(bag: Bag): number {
  return bag.features.byteLength + (bag.coords?.byteLength ?? 0) + (bag.instanceTruth?.byteLength ?? 0);
}

function now(): number {
  return performance.now() / 1000;
}

export class BagCache {
  /** Resident bags; Map order is recency order (first = least recently used). */
  private readonly resident = new Map<string, Bag>();
  private readonly inflight = new Map<string, Promise<Bag>>();
  /** A prefetched bag too large for the budget, held only until get() picks it up. */
  private parked: Bag | undefined;
  private residentBytes = 0;
  private hits = 0;
  private misses = 0;
  private bytesRead = 0;
  private readSeconds = 0;
  private waitSeconds = 0;
  private evictions = 0;

  constructor(
    private readonly loader: (slideId: string) => Promise<Bag>,
    private readonly budgetBytes: number,
  ) {
    if (!(budgetBytes >= 0)) throw new Error(`BagCache budget must be a non-negative number of bytes, not ${budgetBytes}`);
  }

  async get(slideId: string): Promise<Bag> {
    const cached = this.take(slideId);
    if (cached) {
      this.hits++;
      return cached;
    }
    this.misses++;
    const start = now();
    try {
      const bag = await (this.inflight.get(slideId) ?? this.load(slideId));
      if (this.parked === bag) this.parked = undefined;
      return bag;
    } finally {
      this.waitSeconds += now() - start;
    }
  }

  /** Starts reading `slideId` in the background unless it is in memory or already being read. */
  prefetch(slideId: string): void {
    if (this.resident.has(slideId)) {
      this.touch(slideId);
      return;
    }
    if (this.parked?.slideId === slideId || this.inflight.has(slideId)) return;
    this.load(slideId).then(
      (bag) => {
        if (!this.resident.has(slideId)) this.parked = bag;
      },
      // The error surfaces at the get() that asks for this bag, which retries the read.
      () => undefined,
    );
  }

  stats(): BagCacheStats {
    const calls = this.hits + this.misses;
    return {
      hits: this.hits,
      misses: this.misses,
      hitRate: calls > 0 ? this.hits / calls : 0,
      bytesRead: this.bytesRead,
      readSeconds: this.readSeconds,
      readMBps: this.readSeconds > 0 ? this.bytesRead / 1e6 / this.readSeconds : 0,
      waitSeconds: this.waitSeconds,
      evictions: this.evictions,
      residentBytes: this.residentBytes,
    };
  }

  /** The bag if it is in memory (marking it most recently used). */
  private take(slideId: string): Bag | undefined {
    if (this.parked?.slideId === slideId) {
      const bag = this.parked;
      this.parked = undefined;
      return bag;
    }
    return this.touch(slideId);
  }

  private touch(slideId: string): Bag | undefined {
    const bag = this.resident.get(slideId);
    if (bag) {
      this.resident.delete(slideId);
      this.resident.set(slideId, bag);
    }
    return bag;
  }

  private load(slideId: string): Promise<Bag> {
    const start = now();
    let started: Promise<Bag>;
    try {
      started = this.loader(slideId);
    } catch (e) {
      started = Promise.reject(e instanceof Error ? e : new Error(String(e)));
    }
    const promise = started.then((bag) => {
      this.readSeconds += now() - start;
      this.bytesRead += bagBytes(bag);
      this.keep(slideId, bag);
      return bag;
    });
    this.inflight.set(slideId, promise);
    // Whatever the outcome, the read is over: a failed one is retried by the next request.
    const clear = (): void => {
      if (this.inflight.get(slideId) === promise) this.inflight.delete(slideId);
    };
    promise.then(clear, clear);
    return promise;
  }

  private keep(slideId: string, bag: Bag): void {
    const bytes = bagBytes(bag);
    const previous = this.resident.get(slideId);
    if (previous) {
      this.resident.delete(slideId);
      this.residentBytes -= bagBytes(previous);
    }
    if (bytes > this.budgetBytes) return;
    for (const [id, old] of this.resident) {
      if (this.residentBytes + bytes <= this.budgetBytes) break;
      this.resident.delete(id);
      this.residentBytes -= bagBytes(old);
      this.evictions++;
    }
    this.resident.set(slideId, bag);
    this.residentBytes += bytes;
  }
}

/**
 * Yields the bags of `slideIds` in order, reading the next `ahead` bags while the caller works on the
 * current one. With a synchronous training step only the read already handed to the OS progresses during
 * the step, so `ahead = 2` lets the bag after next reach its bulk read while the caller waits for the next.
 */
export async function* iterateWithPrefetch(cache: BagCache, slideIds: string[], ahead = 1): AsyncGenerator<Bag> {
  for (let i = 0; i < slideIds.length; i++) {
    const bag = await cache.get(slideIds[i] as string);
    for (const next of slideIds.slice(i + 1, i + 1 + ahead)) cache.prefetch(next);
    yield bag;
  }
}
