import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { TopkAccumulator, attentionEntropy, normalisedEntropy, topkCumulative } from '../../src/trainer/attentionStats.js';

const projectRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const golden = path.resolve(projectRoot, '../shared/golden');

interface ParityCase {
  name: string;
  N: number;
  expected: { attention: number[]; entropy: number; topk_cumsum: number[] };
}

const fixture = JSON.parse(readFileSync(path.join(golden, 'abmil_parity.json'), 'utf8')) as { cases: ParityCase[] };

function assertClose(actual: number, expected: number, what: string): void {
  const ok = Math.abs(actual - expected) <= Math.max(1e-6 * Math.abs(expected), 1e-12);
  assert.ok(ok, `${what}: ${actual} vs ${expected}`);
}

test('fixture includes the single-instance bag', () => {
  assert.ok(fixture.cases.some((c) => c.N === 1));
});

for (const c of fixture.cases) {
  test(`golden attention stats: ${c.name}`, () => {
    const a = c.expected.attention;
    assert.equal(a.length, c.N);
    assertClose(attentionEntropy(a), c.expected.entropy, 'entropy');
    // The fixture's curve is cumsum(sort(a, descending)), length N; ours continues at the full sum.
    assert.equal(c.expected.topk_cumsum.length, c.N);
    const K = c.N + 5;
    const curve = topkCumulative(a, K);
    assert.equal(curve.length, K);
    for (let k = 0; k < c.N; k++) assertClose(curve[k] as number, c.expected.topk_cumsum[k] as number, `top-${k + 1}`);
    for (let k = c.N; k < K; k++) assertClose(curve[k] as number, 1, `top-${k + 1} beyond N`);
    // And a shorter curve is the prefix of the longer one.
    const short = topkCumulative(a, 2);
    assert.deepEqual(Array.from(short), Array.from(curve.subarray(0, 2)));
  });
}

test('single instance: entropy 0, attention 1', () => {
  assert.equal(attentionEntropy([1]), 0);
  assert.equal(normalisedEntropy([1]), 0);
  assert.deepEqual(Array.from(topkCumulative([1], 3)), [1, 1, 1]);
});

test('entropy: 0 log 0 = 0, uniform is log N, normalised to [0, 1]', () => {
  assert.equal(attentionEntropy([0, 1, 0]), 0);
  assertClose(attentionEntropy([0.25, 0.25, 0.25, 0.25]), Math.log(4), 'uniform');
  assertClose(normalisedEntropy([0.25, 0.25, 0.25, 0.25]), 1, 'uniform normalised');
  assertClose(normalisedEntropy([0.5, 0.5, 0, 0]), 0.5, 'half');
  assert.throws(() => attentionEntropy([]), RangeError);
});

// Deterministic LCG so the large-bag checks are reproducible.
function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

function softmax(z: Float64Array): Float64Array {
  let mx = -Infinity;
  for (const v of z) mx = Math.max(mx, v);
  const e = z.map((v) => Math.exp(v - mx));
  let s = 0;
  for (const v of e) s += v;
  return e.map((v) => v / s);
}

function reference(a: Float64Array, K: number): Float64Array {
  const s = Float64Array.from(a).sort().reverse();
  const out = new Float64Array(K);
  let acc = 0;
  for (let k = 0; k < K; k++) {
    if (k < s.length) acc += s[k] as number;
    out[k] = acc;
  }
  return out;
}

test('partial selection agrees exactly with a full sort on large and awkward bags', () => {
  const rnd = lcg(7);
  const N = 20000;
  const bags: Record<string, Float64Array> = {
    random: softmax(Float64Array.from({ length: N }, () => (rnd() - 0.5) * 6)),
    uniform: new Float64Array(N).fill(1 / N),
    ascending: softmax(Float64Array.from({ length: N }, (_, i) => (i / N) * 5)),
    descending: softmax(Float64Array.from({ length: N }, (_, i) => (-i / N) * 5)),
    fewDistinct: softmax(Float64Array.from({ length: N }, () => Math.floor(rnd() * 3))),
    withZeros: Float64Array.from({ length: N }, (_, i) => (i % 100 === 0 ? 1 / 200 : 0)),
  };
  for (const [name, a] of Object.entries(bags)) {
    for (const K of [1, 7, 1000, N - 1, N, N + 3]) {
      const got = topkCumulative(a, K);
      assert.deepEqual(Array.from(got), Array.from(reference(a, K)), `${name} K=${K}`);
    }
  }
  const before = Float64Array.from(bags.random as Float64Array);
  topkCumulative(bags.random as Float64Array, 10);
  assert.deepEqual(bags.random, before, 'input not modified');
});

test('topkCumulative: plain arrays, NaN and bad K', () => {
  assert.deepEqual(Array.from(topkCumulative([0.1, 0.6, 0.3], 2)), [0.6, 0.8999999999999999]);
  assert.ok(topkCumulative([0.5, Number.NaN], 3).every((v) => Number.isNaN(v)));
  assert.throws(() => topkCumulative([1], 0), RangeError);
  assert.throws(() => topkCumulative([], 3), RangeError);
});

test('TopkAccumulator averages curves over bags', () => {
  const acc = new TopkAccumulator(3);
  assert.equal(acc.count, 0);
  assert.throws(() => acc.mean(), /no bags/);
  acc.add([1]);
  acc.add([0.5, 0.25, 0.25]);
  assert.equal(acc.count, 2);
  // Curves [1, 1, 1] and [0.5, 0.75, 1].
  assert.deepEqual(Array.from(acc.mean()), [0.75, 0.875, 1]);
});
