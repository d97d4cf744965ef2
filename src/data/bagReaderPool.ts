// Reads bags in a worker thread. The training step is synchronous and long; reading (and h5wasm's
// parsing) on the same thread could only happen between steps, so a prefetch would not overlap with it.
import { Worker } from 'node:worker_threads';
import { DataError, type Bag, type DataProblem, type FeatureSource } from './types.js';

export interface BagReadRequest {
  id: number;
  source: FeatureSource;
  slideId: string;
}

export type BagReadResponse =
  | { id: number; ok: true; bag: Bag; nonFiniteRow: number }
  | { id: number; ok: false; message: string; problems?: DataProblem[] };

export interface BagRead {
  bag: Bag;
  /** Row of the first NaN or infinite value, -1 when all are finite. */
  nonFiniteRow: number;
}

export class BagReaderPool {
  private readonly worker: Worker;
  private nextId = 0;
  private readonly pending = new Map<number, { resolve: (r: BagRead) => void; reject: (e: Error) => void }>();
  private failure: Error | undefined;

  constructor(workerUrl: URL = new URL('./bagReaderWorker.js', import.meta.url)) {
    this.worker = new Worker(workerUrl);
    this.worker.unref();
    this.worker.on('message', (r: BagReadResponse) => {
      const p = this.pending.get(r.id);
      if (!p) return;
      this.pending.delete(r.id);
      if (r.ok) p.resolve({ bag: r.bag, nonFiniteRow: r.nonFiniteRow });
      else p.reject(r.problems ? new DataError(r.problems) : new Error(r.message));
    });
    this.worker.on('error', (err) => this.failAll(new Error(`the bag reader thread failed: ${err.message}`)));
    this.worker.on('exit', (code) => {
      if (this.pending.size > 0) this.failAll(new Error(`the bag reader thread exited (code ${code})`));
    });
  }

  read(source: FeatureSource, slideId: string): Promise<BagRead> {
    if (this.failure) return Promise.reject(this.failure);
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      const request: BagReadRequest = { id, source, slideId };
      this.worker.postMessage(request);
    });
  }

  async close(): Promise<void> {
    await this.worker.terminate();
  }

  private failAll(err: Error): void {
    this.failure = err;
    for (const p of this.pending.values()) p.reject(err);
    this.pending.clear();
  }
}
