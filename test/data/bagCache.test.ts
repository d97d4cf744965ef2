import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { BagCache, bagBytes, iterateWithPrefetch } from '../../src/data/bagCache.js';
import type { Bag } from '../../src/data/types.js';

/** A float32 bag of `n` x 1 values: 4n bytes. */
function bagOf(slideId: string, n: number): Bag {
  return { slideId, n, d: 1, dtype: 'float32', features: new Float32Array(n).fill(n) };
}

/** A loader over fixed bag sizes that records every call; `delayMs` makes it slow. */
function recordingLoader(sizes: Record<string, number>, delayMs = 0): { calls: string[]; load: (id: string) => Promise<Bag> } {
  const calls: string[] = [];
  return {
    calls,
    load: async (id: string) => {
      calls.push(id);
      if (delayMs > 0) await sleep(delayMs);
      const n = sizes[id];
      if (n === undefined) throw new Error(`no bag ${id}`);
      return bagOf(id, n);
    },
  };
}

test('least recently used bags go first, and a touched bag stays', async () => {
  const { calls, load } = recordingLoader({ a: 100, b: 100, c: 100, d: 100 });
  const cache = new BagCache(load, 1200); // room for three 400-byte bags
  await cache.get('a');
  await cache.get('b');
  await cache.get('c');
  await cache.get('a'); // a is now the most recent; b the least
  await cache.get('d'); // evicts b
  assert.deepEqual(calls, ['a', 'b', 'c', 'd']);
  assert.equal(cache.stats().evictions, 1);
  await cache.get('a');
  await cache.get('c');
  await cache.get('d');
  assert.deepEqual(calls, ['a', 'b', 'c', 'd'], 'a, c and d were kept');
  await cache.get('b'); // b was evicted: read again, evicting the least recent (a)
  assert.deepEqual(calls, ['a', 'b', 'c', 'd', 'b']);
  await cache.get('c');
  await cache.get('a');
  assert.deepEqual(calls, ['a', 'b', 'c', 'd', 'b', 'a']);
});

test('resident bytes never exceed the budget; a bag larger than the budget is returned but not kept', async () => {
  const sizes: Record<string, number> = {};
  for (let i = 0; i < 30; i++) sizes[`s${i}`] = 50 + ((i * 37) % 200);
  sizes['huge'] = 5000;
  const { calls, load } = recordingLoader(sizes);
  const budget = 2000;
  const cache = new BagCache(load, budget);
  let seq = 1;
  for (let step = 0; step < 300; step++) {
    seq = (seq * 48271) % 2147483647;
    const id = step % 50 === 0 ? 'huge' : `s${seq % 30}`;
    const bag = await cache.get(id);
    assert.equal(bag.slideId, id);
    const s = cache.stats();
    assert.ok(s.residentBytes <= budget, `resident ${s.residentBytes} <= ${budget}`);
  }
  assert.equal(calls.filter((c) => c === 'huge').length, 6, 'the oversized bag is read every time');
  const before = cache.stats().residentBytes;
  const huge = await cache.get('huge');
  assert.equal(huge.n, 5000);
  assert.equal(cache.stats().residentBytes, before, 'and does not displace anything');
});

test('hit and miss counts, bytes read and rates', async () => {
  const { load } = recordingLoader({ a: 10, b: 20 });
  const cache = new BagCache(load, 1e6);
  await cache.get('a');
  await cache.get('a');
  await cache.get('b');
  await cache.get('a');
  await cache.get('b');
  const s = cache.stats();
  assert.equal(s.hits, 3);
  assert.equal(s.misses, 2);
  assert.equal(s.hitRate, 0.6);
  assert.equal(s.bytesRead, 40 + 80);
  assert.equal(s.residentBytes, 120);
  assert.equal(s.evictions, 0);
  assert.ok(s.readSeconds >= 0 && s.waitSeconds >= 0);
  assert.equal(new BagCache(load, 10).stats().hitRate, 0);
});

test('concurrent requests for one bag share one read; get() joins an in-flight prefetch', async () => {
  const { calls, load } = recordingLoader({ a: 10, b: 10 }, 20);
  const cache = new BagCache(load, 1e6);
  const [x, y] = await Promise.all([cache.get('a'), cache.get('a')]);
  assert.equal(x, y);
  assert.deepEqual(calls, ['a']);
  cache.prefetch('b');
  cache.prefetch('b');
  const b = await cache.get('b');
  assert.equal(b.slideId, 'b');
  assert.deepEqual(calls, ['a', 'b']);
  cache.prefetch('b'); // resident: nothing to read
  assert.deepEqual(calls, ['a', 'b']);
});

test('a prefetched bag too large for the budget is handed to the next get() without a second read', async () => {
  const { calls, load } = recordingLoader({ big: 1000 }, 5);
  const cache = new BagCache(load, 100);
  cache.prefetch('big');
  await sleep(30);
  const bag = await cache.get('big');
  assert.equal(bag.n, 1000);
  assert.deepEqual(calls, ['big']);
  assert.equal(cache.stats().residentBytes, 0);
  await cache.get('big');
  assert.deepEqual(calls, ['big', 'big'], 'handed over once, not kept');
});

test('prefetch hides a slow loader behind a slower consumer', async () => {
  const ids = Array.from({ length: 8 }, (_, i) => `s${i}`);
  const sizes = Object.fromEntries(ids.map((id) => [id, 100]));
  const loadMs = 25;
  const stepMs = 50;

  const plain = new BagCache(recordingLoader(sizes, loadMs).load, 1e6);
  for (const id of ids) {
    await plain.get(id);
    await sleep(stepMs);
  }

  const { calls, load } = recordingLoader(sizes, loadMs);
  const cache = new BagCache(load, 1e6);
  const seen: string[] = [];
  for await (const bag of iterateWithPrefetch(cache, ids)) {
    seen.push(bag.slideId);
    await sleep(stepMs);
  }
  assert.deepEqual(seen, ids);
  assert.deepEqual(calls, ids, 'each bag read once, in order');
  const waited = cache.stats().waitSeconds;
  const waitedPlain = plain.stats().waitSeconds;
  assert.ok(waitedPlain >= (ids.length * loadMs * 0.9) / 1000, `without prefetch every bag is waited for (${waitedPlain.toFixed(3)} s)`);
  // Only the first bag is waited for; the rest arrive while the consumer works.
  assert.ok(waited < (3 * loadMs) / 1000, `waited ${waited.toFixed(3)} s with prefetch`);
  assert.ok(waited < waitedPlain / 2);
});

test('a loader error rejects that get(); the bag is read again on the next request', async () => {
  let failures = 1;
  const calls: string[] = [];
  const cache = new BagCache(async (id) => {
    calls.push(id);
    await sleep(1);
    if (failures-- > 0) throw new Error(`disk hiccup on ${id}`);
    return bagOf(id, 4);
  }, 1e6);
  await assert.rejects(cache.get('a'), /disk hiccup on a/);
  const bag = await cache.get('a');
  assert.equal(bag.n, 4);
  assert.deepEqual(calls, ['a', 'a']);
});

test('a failed prefetch does not poison the cache: the next get() retries', async () => {
  let failures = 1;
  const calls: string[] = [];
  const cache = new BagCache(async (id) => {
    calls.push(id);
    await sleep(1);
    if (failures-- > 0) throw new Error('transient');
    return bagOf(id, 4);
  }, 1e6);
  cache.prefetch('a');
  await sleep(20); // the prefetch has failed by now, without an unhandled rejection
  const bag = await cache.get('a');
  assert.equal(bag.slideId, 'a');
  assert.deepEqual(calls, ['a', 'a']);
});

test('a loader that throws synchronously is handled like a rejection', async () => {
  let fail = true;
  const cache = new BagCache((id) => {
    if (fail) {
      fail = false;
      throw new Error('sync failure');
    }
    return Promise.resolve(bagOf(id, 2));
  }, 1e6);
  cache.prefetch('a');
  await sleep(1);
  assert.equal((await cache.get('a')).n, 2);
});

test('float16 bags are kept exactly as the loader returned them', async () => {
  const bits = new Uint16Array([0x3c00, 0x4000, 0xc000, 0x3800]);
  const f16: Bag = { slideId: 'h', n: 2, d: 2, dtype: 'float16', features: bits, coords: new Int32Array(4) };
  const cache = new BagCache(() => Promise.resolve(f16), 1e6);
  const a = await cache.get('h');
  const b = await cache.get('h');
  assert.equal(a, f16);
  assert.equal(b.features, bits);
  assert.equal(cache.stats().residentBytes, bagBytes(f16));
  assert.equal(bagBytes(f16), 8 + 16);
});
