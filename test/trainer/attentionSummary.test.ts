// The attention metrics of a split (src/trainer/attentionSummary.ts) and their wiring in evaluateSplit:
// with several rows per bag (heads, branches, classes) `perHead` holds each row's own entropy, normalised
// entropy and top-k curve (the attentionStats of that row, averaged over bags), and the mean fields are
// the mean of those over rows, as before; one row, rows that differ between bags, or DTFD's pseudo-bags
// give no perHead.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { BagCache } from '../../src/data/bagCache.js';
import type { Bag, DatasetIndex, SlideRecord } from '../../src/data/types.js';
import { EvalEpochMetricsSchema, PER_HEAD_TOPK_POINTS } from '../../src/protocol/events.js';
import { attentionEntropy, normalisedEntropy, topkCumulative } from '../../src/trainer/attentionStats.js';
import { AttentionSummary } from '../../src/trainer/attentionSummary.js';
import { evaluateSplit, type TruthLookup } from '../../src/trainer/evaluate.js';
import type { TrainingRunner } from '../../src/trainer/runner.js';
import type { BagEvaluation } from '../../src/trainer/step.js';
import { SeededRandom } from '../../src/util/seededRandom.js';

/** A seeded attention of `rows` softmax rows over n instances, each row peaked differently. */
function attentionOf(rng: SeededRandom, rows: number, n: number): Float32Array {
  const out = new Float32Array(rows * n);
  for (let h = 0; h < rows; h++) {
    const scores = Array.from({ length: n }, () => (h + 1) * 2 * rng.float());
    const max = Math.max(...scores);
    const e = scores.map((s) => Math.exp(s - max));
    const sum = e.reduce((a, b) => a + b, 0);
    e.forEach((v, i) => (out[h * n + i] = v / sum));
  }
  return out;
}

const rowOf = (a: Float32Array, h: number, n: number) => a.subarray(h * n, (h + 1) * n);
const mean = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

function assertClose(actual: number, expected: number, what: string): void {
  assert.ok(Math.abs(actual - expected) <= 1e-12 * Math.max(1, Math.abs(expected)), `${what}: ${actual} vs ${expected}`);
}

test('perHead holds each row\'s own attentionStats averaged over bags, and the mean fields are their mean over rows', () => {
  const rng = SeededRandom.fromSeed(7);
  const K = 12; // larger than the smallest bag: its curve stays at 1 past k = N
  const rows = 3;
  const bags = [5, 9, 30].map((n) => ({ n, a: attentionOf(rng, rows, n) }));
  const summary = new AttentionSummary(K, 'head');
  for (const { n, a } of bags) summary.add(a, rows, n);
  const m = summary.metrics();
  assert.ok(EvalEpochMetricsSchema.shape.perHead.safeParse(m.perHead).success, 'perHead follows the protocol');
  const p = m.perHead;
  assert.ok(p, 'a three-row attention has perHead');
  assert.equal(p.row, 'head');
  assert.deepEqual(p.topkKs, Array.from({ length: K }, (_, i) => i + 1), 'every k when K is small');
  assert.equal(p.entropy.length, rows);
  for (let h = 0; h < rows; h++) {
    assertClose(p.entropy[h] as number, mean(bags.map(({ n, a }) => attentionEntropy(rowOf(a, h, n)))), `head ${h} entropy`);
    assertClose(p.entropyNormalised[h] as number, mean(bags.map(({ n, a }) => normalisedEntropy(rowOf(a, h, n)))), `head ${h} normalised entropy`);
    const curves = bags.map(({ n, a }) => topkCumulative(rowOf(a, h, n), K));
    for (let k = 0; k < K; k++) assertClose(p.topk[h]?.[k] as number, mean(curves.map((c) => c[k] as number)), `head ${h} top-${k + 1}`);
  }
  // The heads differ (each is peaked differently), so a row is not a copy of another.
  assert.ok((p.entropy[0] as number) > (p.entropy[2] as number) + 0.05, `head entropies ${p.entropy.join(', ')}`);
  assertClose(m.entropy, mean(p.entropy), 'entropy is the mean over heads');
  assertClose(m.entropyNormalised, mean(p.entropyNormalised), 'normalised entropy is the mean over heads');
  for (let k = 0; k < K; k++) assertClose(m.topk[k] as number, mean(p.topk.map((c) => c[k] as number)), `top-${k + 1} is the mean over heads`);
});

test('with K above PER_HEAD_TOPK_POINTS each head keeps its curve at log-spaced k, 1 and K included', () => {
  const rng = SeededRandom.fromSeed(3);
  const K = 1000;
  const n = 1500;
  const a = attentionOf(rng, 2, n);
  const summary = new AttentionSummary(K, 'branch');
  summary.add(a, 2, n);
  const m = summary.metrics();
  const p = m.perHead;
  assert.ok(p);
  assert.equal(m.topk.length, K, 'the mean curve keeps every k');
  assert.ok(p.topkKs.length <= PER_HEAD_TOPK_POINTS + 1 && p.topkKs.length > 100, `${p.topkKs.length} k kept`);
  assert.equal(p.topkKs[0], 1);
  assert.equal(p.topkKs.at(-1), K);
  for (let i = 1; i < p.topkKs.length; i++) assert.ok((p.topkKs[i] as number) > (p.topkKs[i - 1] as number), 'increasing k');
  for (let h = 0; h < 2; h++) {
    const full = topkCumulative(rowOf(a, h, n), K);
    p.topkKs.forEach((k, i) => assertClose(p.topk[h]?.[i] as number, full[k - 1] as number, `branch ${h} top-${k}`));
  }
});

test('one row, rows not comparable across bags, or a bag with another row count: no perHead, means as before', () => {
  const rng = SeededRandom.fromSeed(11);
  const single = new AttentionSummary(5, 'head');
  const a1 = attentionOf(rng, 1, 8);
  single.add(a1, 1, 8);
  const m1 = single.metrics();
  assert.equal(m1.perHead, undefined);
  assert.equal(m1.entropy, attentionEntropy(a1));
  assert.deepEqual(m1.topk, Array.from(topkCumulative(a1, 5)));

  const pseudoBags = new AttentionSummary(5, undefined);
  pseudoBags.add(attentionOf(rng, 3, 8), 3, 8);
  assert.equal(pseudoBags.metrics().perHead, undefined);

  const varying = new AttentionSummary(5, 'head');
  const b1 = attentionOf(rng, 3, 8);
  const b2 = attentionOf(rng, 2, 6);
  varying.add(b1, 3, 8);
  varying.add(b2, 2, 6);
  const mv = varying.metrics();
  assert.equal(mv.perHead, undefined);
  const perBag = (a: Float32Array, rows: number, n: number) => mean(Array.from({ length: rows }, (_, h) => attentionEntropy(rowOf(a, h, n))));
  assertClose(mv.entropy, (perBag(b1, 3, 8) + perBag(b2, 2, 6)) / 2, 'the mean over each bag\'s rows, then over bags');

  assert.throws(() => new AttentionSummary(5, 'head').add(new Float32Array(7), 2, 4), /7 attention values are not 2 rows of 4/);
  assert.throws(() => new AttentionSummary(5, 'head').metrics(), /no bags/);
});

// evaluateSplit over a stand-in runner whose attention is known: which archs get perHead.
function slide(id: string, label: number): SlideRecord {
  return { slideId: id, caseId: id, label, labelName: String(label), split: 'test', source: { kind: 'h5', path: `${id}.h5` }, extra: {} };
}

async function evaluateWith(arch: string, rows: number, truthOf?: TruthLookup): Promise<{ metrics: Awaited<ReturnType<typeof evaluateSplit>>['metrics']; attention: Float32Array[]; sizes: number[] }> {
  const rng = SeededRandom.fromSeed(5);
  const sizes = [6, 10, 4, 12];
  const slides = sizes.map((_, i) => slide(`s${i}`, i % 2));
  const attention = sizes.map((n) => attentionOf(rng, rows, n));
  const bags = new Map(slides.map((s, i) => [s.slideId, { slideId: s.slideId, n: sizes[i] as number, d: 1, dtype: 'float32', features: new Float32Array(sizes[i] as number) } as Bag]));
  const cache = { get: async (id: string) => bags.get(id) as Bag, prefetch: () => undefined } as unknown as BagCache;
  let next = 0;
  const runner = {
    arch,
    evaluate: async (_bag: Bag, label: number): Promise<BagEvaluation> => {
      const i = next++;
      return { total: 0.5, ce: 0.5, regulariser: 0, terms: {}, probs: Float32Array.from(label === 0 ? [0.7, 0.3] : [0.4, 0.6]), attention: attention[i] as Float32Array, heads: rows };
    },
    flush: async () => undefined,
  } as unknown as TrainingRunner;
  const index = { classes: ['0', '1'], featureDim: 1, slides } as DatasetIndex;
  const out = await evaluateSplit(runner, cache, slides, 'test', 0, { nClasses: 2, regulariser: 'entropy', lambda: 0 }, 8, index, truthOf);
  return { metrics: out.metrics, attention, sizes };
}

test('evaluateSplit writes perHead for mha heads, acmil branches and dsmil classes, not for dtfd or one row', async () => {
  for (const [arch, row] of [['mha', 'head'], ['transmil', 'head'], ['acmil', 'branch'], ['dsmil', 'class']] as const) {
    const { metrics, attention, sizes } = await evaluateWith(arch, 3);
    assert.ok(EvalEpochMetricsSchema.safeParse(metrics).success, `${arch}: a valid eval line`);
    const p = metrics.perHead;
    assert.ok(p, `${arch} has perHead`);
    assert.equal(p.row, row);
    for (let h = 0; h < 3; h++) assertClose(p.entropy[h] as number, mean(attention.map((a, i) => attentionEntropy(rowOf(a, h, sizes[i] as number)))), `${arch} row ${h}`);
    assertClose(metrics.entropy, mean(p.entropy), `${arch}: entropy is the mean over rows`);
  }
  assert.equal((await evaluateWith('dtfd', 3)).metrics.perHead, undefined, 'DTFD pseudo-bags are no fixed rows');
  assert.equal((await evaluateWith('abmil', 1)).metrics.perHead, undefined, 'one attention row');
});

test('tumour attention is the mass on tumour instances averaged over the rows, as the entropy is', async () => {
  // Instances 0 and 1 of every bag are tumour.
  const truth = (n: number) => Uint8Array.from({ length: n }, (_, i) => (i < 2 ? 1 : 0));
  const { metrics, attention, sizes } = await evaluateWith('mha', 3, async (_id, n) => truth(n));
  const massOf = (values: Float32Array) => (values[0] as number) + (values[1] as number);
  const expected = mean(attention.map((a, i) => mean([0, 1, 2].map((h) => massOf(rowOf(a, h, sizes[i] as number))))));
  assert.ok(typeof metrics.tumourAttention === 'number');
  assertClose(metrics.tumourAttention, expected, 'mean over bags of the mean over heads');
  const firstRowOnly = mean(attention.map((a, i) => massOf(rowOf(a, 0, sizes[i] as number))));
  assert.ok(Math.abs(metrics.tumourAttention - firstRowOnly) > 1e-3, 'the rows differ, so this tells the mean from row 0 alone');
});
