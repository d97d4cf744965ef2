// Bag cache under memory pressure: a dataset twice the cache budget (40 bags of 4000 x 256 float32 =
// 164 MB, budget 80 MB), read with the real reader while simulated training steps run, 3 epochs in a
// shuffled order. A step is a matmul pass over the bag (features x a 256 x 32 weight) repeated for
// --stepMs, once fully synchronous (like a CPU/wasm backend step) and once yielding to the event loop every
// 5 ms. Reports the bag wait per step as a share of the step time (medians over steps), without prefetch and
// with 1 or 2 bags read ahead, the hit rate and the loader's MB/s (time inside the loader, waits included).
// `npm run bench -- cache [--bags=40] [--rows=4000] [--dim=256] [--budgetMB=80] [--stepMs=30] [--epochs=3]`
// Note: the files were just written, so the OS page cache usually holds them and reads run at memory speed.
// With a synchronous step only the reader's first async stage overlaps the step (its later stages and the
// h5wasm parsing run on the main thread after it), so the yielding block shows what prefetch can hide.
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { BagCache, iterateWithPrefetch } from '../../src/data/bagCache.js';
import { readBag } from '../../src/data/readBag.js';
import { writeFeatureH5 } from '../../src/data/syntheticH5.js';
import type { Bag } from '../../src/data/types.js';

function numArg(args: string[], name: string, fallback: number): number {
  const a = args.find((x) => x.startsWith(`--${name}=`));
  const v = a ? Number(a.split('=')[1]) : fallback;
  if (!Number.isFinite(v) || v <= 0) throw new Error(`--${name} must be a positive number`);
  return v;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length === 0 ? 0 : s.length % 2 ? (s[m] ?? 0) : ((s[m - 1] ?? 0) + (s[m] ?? 0)) / 2;
}

function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

function shuffled<T>(items: T[], rand: () => number): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [out[i], out[j]] = [out[j] as T, out[i] as T];
  }
  return out;
}

async function writeDataset(dir: string, bags: number, rows: number, dim: number): Promise<string[]> {
  const rand = lcg(1);
  const ids: string[] = [];
  for (let b = 0; b < bags; b++) {
    const id = `bag_${String(b).padStart(3, '0')}`;
    const features = new Float32Array(rows * dim);
    for (let i = 0; i < features.length; i++) features[i] = rand() * 2 - 1;
    const coords = new Int32Array(rows * 2);
    for (let i = 0; i < rows; i++) {
      coords[2 * i] = (i % 64) * 256;
      coords[2 * i + 1] = Math.floor(i / 64) * 256;
    }
    await writeFeatureH5(path.join(dir, `${id}.h5`), { n: rows, d: dim, dtype: 'float32', features, coords, coordAttrs: { patch_size: 256, patch_level: 0 } });
    ids.push(id);
  }
  return ids;
}

const HIDDEN = 32;

/** A stand-in for a training step: matmul passes over the bag until `ms` have passed (synchronously). */
function trainStep(bag: Bag, weight: Float32Array, ms: number): number {
  const x = bag.features;
  const out = new Float32Array(HIDDEN);
  const end = performance.now() + ms;
  let sink = 0;
  do {
    for (let i = 0; i < bag.n; i++) {
      out.fill(0);
      const row = i * bag.d;
      for (let j = 0; j < bag.d; j++) {
        const v = x[row + j] ?? 0;
        const w = j * HIDDEN;
        for (let k = 0; k < HIDDEN; k++) out[k] = (out[k] ?? 0) + v * (weight[w + k] ?? 0);
      }
      sink += out[0] ?? 0;
      if ((i & 63) === 0 && performance.now() >= end) break;
    }
  } while (performance.now() < end);
  return sink;
}

/** The same work in slices of `sliceMs`, letting the event loop run in between (an async-friendly step). */
async function yieldingStep(bag: Bag, weight: Float32Array, ms: number, sliceMs: number): Promise<number> {
  const end = performance.now() + ms;
  let sink = 0;
  for (let left = ms; left > 0; left = end - performance.now()) {
    sink += trainStep(bag, weight, Math.min(sliceMs, left));
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
  return sink;
}

interface Result { waitShare: number; medianWaitMs: number; medianStepMs: number; totalWaitShare: number; hitRate: number; readMBps: number; evictions: number }

async function trainEpochs(ids: string[], dir: string, budgetBytes: number, epochs: number, stepMs: number, ahead: number, dim: number, sliceMs: number): Promise<Result> {
  const cache = new BagCache((id) => readBag({ kind: 'h5', path: path.join(dir, `${id}.h5`) }, id), budgetBytes);
  const weight = new Float32Array(dim * HIDDEN).fill(0.01);
  const rand = lcg(42);
  const waits: number[] = [];
  const steps: number[] = [];
  let sink = 0;
  for (let e = 0; e < epochs; e++) {
    const order = shuffled(ids, rand);
    const source: AsyncIterator<Bag> = ahead > 0
      ? iterateWithPrefetch(cache, order, ahead)
      : (async function* () {
          for (const id of order) yield await cache.get(id);
        })();
    for (;;) {
      const t0 = performance.now();
      const next = await source.next();
      const t1 = performance.now();
      if (next.done) break;
      sink += sliceMs > 0 ? await yieldingStep(next.value, weight, stepMs, sliceMs) : trainStep(next.value, weight, stepMs);
      waits.push(t1 - t0);
      steps.push(performance.now() - t1);
    }
  }
  if (!Number.isFinite(sink)) console.log('(sink)', sink);
  const s = cache.stats();
  const totalWait = waits.reduce((a, b) => a + b, 0);
  const totalStep = steps.reduce((a, b) => a + b, 0);
  return {
    waitShare: median(waits) / median(steps),
    medianWaitMs: median(waits),
    medianStepMs: median(steps),
    totalWaitShare: totalWait / totalStep,
    hitRate: s.hitRate,
    readMBps: s.readMBps,
    evictions: s.evictions,
  };
}

export async function run(args: string[]): Promise<void> {
  const bags = numArg(args, 'bags', 40);
  const rows = numArg(args, 'rows', 4000);
  const dim = numArg(args, 'dim', 256);
  const budgetMB = numArg(args, 'budgetMB', 80);
  const stepMs = numArg(args, 'stepMs', 30);
  const epochs = numArg(args, 'epochs', 3);
  const dir = await mkdtemp(path.join(os.tmpdir(), 'aem-cache-bench-'));
  try {
    const ids = await writeDataset(dir, bags, rows, dim);
    const totalMB = (bags * rows * (dim * 4 + 8)) / 1e6;
    console.log(`dataset: ${bags} bags x ${rows} x ${dim} float32 = ${totalMB.toFixed(0)} MB; cache budget ${budgetMB} MB; step ${stepMs} ms; ${epochs} epochs, shuffled`);
    for (const sliceMs of [0, 5]) {
      console.log(sliceMs === 0 ? 'synchronous step (the event loop waits for the whole step):' : `step yielding to the event loop every ${sliceMs} ms:`);
      for (const ahead of [0, 1, 2]) {
        const r = await trainEpochs(ids, dir, budgetMB * 1e6, epochs, stepMs, ahead, dim, sliceMs);
        console.log(
          `  ${ahead === 0 ? 'no prefetch     ' : `prefetch ${ahead} ahead`}: median bag wait ${(100 * r.waitShare).toFixed(1)} % of the median step ` +
            `(${r.medianWaitMs.toFixed(2)} of ${r.medianStepMs.toFixed(1)} ms; sum of waits / sum of steps ${(100 * r.totalWaitShare).toFixed(1)} %), ` +
            `hit rate ${(100 * r.hitRate).toFixed(0)} %, read ${r.readMBps.toFixed(0)} MB/s, ${r.evictions} evictions`,
        );
      }
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
