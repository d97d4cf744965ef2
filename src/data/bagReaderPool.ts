// Reads bags in a worker thread. The training step is synchronous and long; reading (and h5wasm's
// parsing) on the same thread could only happen between steps, so a prefetch would not overlap with it.
// A reader thread that dies with reads pending (it exits, or crashes) is started again once and those
// reads are sent again; a second death fails them.
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

export interface BagReaderPoolOptions {
  workerUrl?: URL;
  /** How many times a dead reader thread is started again. */
  restarts?: number;
  /** Told each time a dead thread is replaced (for the run's log). */
  onRestart?: (reason: string, retried: number) => void;
}

interface PendingRead {
  request: BagReadRequest;
  resolve: (r: BagRead) => void;
  reject: (e: Error) => void;
}

export class BagReaderPool {
  private worker: Worker;
  private nextId = 0;
  private readonly pending = new Map<number, PendingRead>();
  private failure: Error | undefined;
  private closing = false;
  private restartsLeft: number;
  private readonly workerUrl: URL;

  constructor(options: BagReaderPoolOptions | URL = {}) {
    const opts = options instanceof URL ? { workerUrl: options } : options;
    this.workerUrl = opts.workerUrl ?? new URL('./bagReaderWorker.js', import.meta.url);
    this.restartsLeft = opts.restarts ?? 1;
    this.onRestart = opts.onRestart;
    this.worker = this.startWorker();
  }

  private readonly onRestart: BagReaderPoolOptions['onRestart'];

  private startWorker(): Worker {
    const worker = new Worker(this.workerUrl);
    worker.unref();
    let crash: string | undefined;
    worker.on('message', (r: BagReadResponse) => {
      const p = this.pending.get(r.id);
      if (!p) return;
      this.pending.delete(r.id);
      if (this.pending.size === 0) worker.unref();
      if (r.ok) p.resolve({ bag: r.bag, nonFiniteRow: r.nonFiniteRow });
      else p.reject(r.problems ? new DataError(r.problems) : new Error(r.message));
    });
    worker.on('error', (err) => {
      crash = `failed: ${err.message}`;
    });
    worker.on('exit', (code) => {
      if (worker !== this.worker || this.closing) return;
      this.threadDied(crash ?? `exited (code ${code})`);
    });
    return worker;
  }

  private threadDied(reason: string): void {
    if (this.pending.size === 0 && this.restartsLeft > 0) {
      // Nothing was lost: start a thread for the next read.
      this.restartsLeft -= 1;
      this.onRestart?.(reason, 0);
      this.worker = this.startWorker();
      return;
    }
    if (this.restartsLeft > 0) {
      this.restartsLeft -= 1;
      this.onRestart?.(reason, this.pending.size);
      this.worker = this.startWorker();
      this.worker.ref();
      for (const p of this.pending.values()) this.worker.postMessage(p.request);
      return;
    }
    this.failAll(new Error(`the bag reader thread ${reason}${this.pending.size > 0 ? ` with ${this.pending.size} read(s) pending` : ''}, after it had been restarted`));
  }

  read(source: FeatureSource, slideId: string): Promise<BagRead> {
    if (this.failure) return Promise.reject(this.failure);
    if (this.closing) return Promise.reject(new Error('the bag reader is closed'));
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      const request: BagReadRequest = { id, source, slideId };
      // Pending reads keep the process alive; an idle reader does not.
      if (this.pending.size === 0) this.worker.ref();
      this.pending.set(id, { request, resolve, reject });
      this.worker.postMessage(request);
    });
  }

  async close(): Promise<void> {
    this.closing = true;
    // An idle reader is unref'd: without this the loop can empty before the thread's exit is reported,
    // leaving this promise (and the run that awaits it) pending forever.
    this.worker.ref();
    await this.worker.terminate();
    // Reads still in flight (a prefetch nobody waits for) end here rather than never.
    this.failAll(new Error('the bag reader was closed'));
  }

  private failAll(err: Error): void {
    this.failure ??= err;
    for (const p of this.pending.values()) p.reject(err);
    this.pending.clear();
  }
}
