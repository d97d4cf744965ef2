// Every model.arch of the zoo trains end to end through the aem-train command line (the bundled
// dist/engine.mjs) on the tiny synthetic preset, and options that do not fit the arch exit 2.
// (Learning the demo preset: test/trainer/training.test.ts and zooLearning.test.ts.)
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync, readdirSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseEngineEventLine, parseMetricsLines, type EngineEvent } from '../../src/protocol/events.js';
import { attentionEntropy } from '../../src/trainer/attentionStats.js';
import { readTensorPack } from '../../src/trainer/tensorPack.js';
import { projectRoot } from '../helpers/paths.js';

const engine = path.join(projectRoot, 'dist', 'engine.mjs');
const work = mkdtempSync(path.join(os.tmpdir(), 'aem-zoo-cli-'));

function aemTrain(name: string, body: unknown, args: string[] = [], timeout = 120_000): { code: number | null; stdout: string; stderr: string } {
  const file = path.join(work, `${name}.aem.json`);
  writeFileSync(file, JSON.stringify(body, null, 2));
  const r = spawnSync(process.execPath, [engine, file, ...args], { cwd: work, encoding: 'utf8', timeout });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

const data = { format: 'synthetic', synthetic: { preset: 'tiny' } };

test('model.arch "mha" trains through the CLI and saves per-head attention', () => {
  const r = aemTrain('mha', { name: 'mha', data, model: { arch: 'mha', heads: 4 }, train: { epochs: 2, topK: 20 }, compute: { backend: 'wasm' } }, ['--json']);
  assert.equal(r.code, 0, r.stderr);
  const events: EngineEvent[] = r.stdout
    .trim()
    .split('\n')
    .map((line) => {
      const parsed = parseEngineEventLine(line);
      assert.ok(parsed.ok, `not a valid event: ${line.slice(0, 200)}`);
      return parsed.value;
    });
  assert.equal(events.filter((e) => e.type === 'epoch').length, 2);
  const finished = events.find((e) => e.type === 'run-finished');
  assert.ok(finished && finished.type === 'run-finished' && finished.status === 'done');

  const runsDir = path.join(work, '.aem', 'runs', 'mha');
  const [runDir] = readdirSync(runsDir);
  assert.ok(runDir);
  const metrics = parseMetricsLines(readFileSync(path.join(runsDir, runDir, 'metrics.jsonl'), 'utf8'));
  assert.equal(metrics.length, 6, 'every line follows the protocol');
  const test0 = metrics.find((m) => m.split === 'test');
  assert.ok(test0 && test0.split === 'test' && Number.isFinite(test0.entropy) && test0.entropy > 0);
  const pack = readTensorPack<{ epoch: number; slides: { slideId: string; split: string; heads: number; n: number }[] }>(path.join(runsDir, runDir, 'attention-best.pack'));
  const slides = pack.meta.slides;
  assert.ok(slides.length > 0);
  for (const s of slides) assert.equal(s.heads, 4, `${s.slideId}: attention of every head`);
  // The pack holds each head's own row: the test slides' rows give the best epoch's per-head metrics.
  const best = metrics.find((m) => m.split === 'test' && m.epoch === pack.meta.epoch);
  assert.ok(best && best.split === 'test' && best.perHead, 'the test line of the best epoch has perHead');
  assert.equal(best.perHead.row, 'head');
  const testSlides = slides.filter((s) => s.split === 'test');
  const perHead = [0, 1, 2, 3].map((h) => {
    let entropy = 0;
    for (const s of testSlides) {
      const rows = pack.arrays.get(`attention/${s.slideId}`)?.data as Float32Array;
      assert.equal(rows.length, 4 * s.n);
      entropy += attentionEntropy(rows.subarray(h * s.n, (h + 1) * s.n));
    }
    return entropy / testSlides.length;
  });
  perHead.forEach((e, h) => assert.ok(Math.abs(e - (best.perHead?.entropy[h] as number)) < 1e-9, `head ${h}: pack ${e} vs metrics ${String(best.perHead?.entropy[h])}`));
  assert.ok(new Set(perHead.map((e) => e.toFixed(6))).size > 1, `the heads differ: ${perHead.join(', ')}`);
  assert.ok(Math.abs(best.entropy - perHead.reduce((a, b) => a + b, 0) / 4) < 1e-9, 'entropy is the mean over heads');
});

test('model.arch "dsmil" trains through the CLI and saves per-class attention', () => {
  const r = aemTrain('dsmil', { name: 'dsmil', data, model: { arch: 'dsmil', query: 16 }, train: { epochs: 2, topK: 20 }, compute: { backend: 'wasm' } });
  assert.equal(r.code, 0, r.stderr);
  const runsDir = path.join(work, '.aem', 'runs', 'dsmil');
  const [runDir] = readdirSync(runsDir);
  assert.ok(runDir);
  const metrics = readFileSync(path.join(runsDir, runDir, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { split: string; loss: number; entropy: number });
  assert.equal(metrics.filter((m) => m.split === 'test').length, 2);
  for (const m of metrics) assert.ok(Number.isFinite(m.loss) && (m.split === 'train' || Number.isFinite(m.entropy)), JSON.stringify(m));
  const pack = readTensorPack<{ slides: { slideId: string; heads: number }[] }>(path.join(runsDir, runDir, 'attention-best.pack'));
  for (const s of pack.meta.slides) assert.equal(s.heads, 2, `${s.slideId}: one attention row per class`);
});

/** The events of an `aem-train --json` run, each checked against the protocol. */
function eventsOf(stdout: string): EngineEvent[] {
  return stdout
    .trim()
    .split('\n')
    .map((line) => {
      const parsed = parseEngineEventLine(line);
      assert.ok(parsed.ok, `not a valid event: ${line.slice(0, 200)}`);
      return parsed.value;
    });
}

function metricsOf(name: string): { runDir: string; metrics: { split: string; loss: number; ce: number; terms?: Record<string, number> }[] } {
  const runsDir = path.join(work, '.aem', 'runs', name);
  const [dir] = readdirSync(runsDir);
  assert.ok(dir);
  const runDir = path.join(runsDir, dir);
  return { runDir, metrics: readFileSync(path.join(runDir, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { split: string; loss: number; ce: number; terms?: Record<string, number> }) };
}

test('model.arch "clam_sb" trains through the CLI with its instance loss as a metric of its own', () => {
  const r = aemTrain('clam', { name: 'clam', data, model: { arch: 'clam_sb', kSample: 4, instanceLoss: 'svm', subtyping: true }, train: { epochs: 2, topK: 20 }, compute: { backend: 'wasm' } }, ['--json']);
  assert.equal(r.code, 0, r.stderr);
  const events = eventsOf(r.stdout);
  const epochs = events.filter((e) => e.type === 'epoch');
  assert.equal(epochs.length, 2);
  for (const e of epochs) if (e.type === 'epoch') for (const m of [e.train, e.val, e.test]) assert.ok(Number.isFinite(m.terms?.['instance']), `the ${m.split} event carries the instance loss`);
  assert.equal(events.filter((e) => e.type === 'log' && /fewer than model\.kSample/.test(e.message)).length, 0, 'no bag of the tiny preset is smaller than 4');
  const { runDir, metrics } = metricsOf('clam');
  assert.equal(metrics.length, 6);
  for (const m of metrics) assert.ok(Number.isFinite(m.terms?.['instance']) && (m.terms?.['instance'] as number) > 0, JSON.stringify(m));
  const pack = readTensorPack<{ slides: { slideId: string; heads: number }[] }>(path.join(runDir, 'attention-best.pack'));
  for (const s of pack.meta.slides) assert.equal(s.heads, 1, `${s.slideId}: one attention row`);
});

test('model.arch "acmil" trains through the CLI, saves every branch\'s attention and says once that a bag is smaller than maskedInstances', () => {
  // The tiny preset's bags have 20-300 instances: masking from the top 30 meets some smaller bags.
  const r = aemTrain('acmil', { name: 'acmil', data, model: { arch: 'acmil', branches: 3, maskedInstances: 30 }, train: { epochs: 2, topK: 20 }, compute: { backend: 'wasm' } }, ['--json']);
  assert.equal(r.code, 0, r.stderr);
  const events = eventsOf(r.stdout);
  const small = events.filter((e) => e.type === 'log' && /fewer than model\.maskedInstances 30/.test(e.message));
  assert.equal(small.length, 1, 'logged once per run');
  const note = small[0];
  assert.ok(note && note.type === 'log' && note.level === 'warn');
  assert.match(note.message, /^slide \S+ has (\d+) instances, fewer than model\.maskedInstances 30: ACMIL masks (\d+) of its top \1 per branch/);
  const { runDir, metrics } = metricsOf('acmil');
  for (const m of metrics) assert.deepEqual(Object.keys(m.terms ?? {}).sort(), ['branches', 'diversity'], JSON.stringify(m));
  for (const m of metrics.filter((l) => l.split !== 'train')) {
    const perHead = (m as { perHead?: { row: string; entropy: number[] } }).perHead;
    assert.equal(perHead?.row, 'branch', `${m.split}: entropy per branch`);
    assert.equal(perHead?.entropy.length, 3);
  }
  const pack = readTensorPack<{ slides: { slideId: string; heads: number }[] }>(path.join(runDir, 'attention-best.pack'));
  for (const s of pack.meta.slides) assert.equal(s.heads, 3, `${s.slideId}: one attention row per branch`);
});

test('clam_sb and acmil options exit 2 on another arch, with the key', () => {
  const onAcmil = aemTrain('kSampleOnAcmil', { name: 'kSampleOnAcmil', data, model: { arch: 'acmil', kSample: 4 }, train: { epochs: 1 } });
  assert.equal(onAcmil.code, 2, onAcmil.stderr);
  assert.match(onAcmil.stderr, /model.*"kSample" does not apply to model\.arch "acmil"/);
  const onClam = aemTrain('branchesOnClam', { name: 'branchesOnClam', data, model: { arch: 'clam_sb', branches: 2, maskProbability: 0.5 }, train: { epochs: 1 } });
  assert.equal(onClam.code, 2, onClam.stderr);
  assert.match(onClam.stderr, /model.*"branches", "maskProbability" does not apply to model\.arch "clam_sb"/);
  const loss = aemTrain('instanceLoss', { name: 'instanceLoss', data, model: { arch: 'clam_sb', instanceLoss: 'hinge' }, train: { epochs: 1 } });
  assert.equal(loss.code, 2, loss.stderr);
  assert.match(loss.stderr, /model\.instanceLoss/);
  const kl = aemTrain('acmilKl', { name: 'acmilKl', data, model: { arch: 'acmil' }, aem: { regulariser: 'kl' }, train: { epochs: 1 } });
  assert.equal(kl.code, 2, kl.stderr);
  assert.match(kl.stderr, /aem\.regulariser.*"kl" does not apply to model\.arch "acmil"/);
});

test('an option of another arch, or heads that do not divide the width, exit 2 with the path', () => {
  const wrong = aemTrain('wrong', { name: 'wrong', data, model: { arch: 'mha', attention: 64 }, train: { epochs: 1 } });
  assert.equal(wrong.code, 2, wrong.stderr);
  assert.match(wrong.stderr, /model.*"attention" does not apply to model\.arch "mha"/);
  const unknown = aemTrain('unknown', { name: 'unknown', data, model: { arch: 'resnet' }, train: { epochs: 1 } });
  assert.equal(unknown.code, 2, unknown.stderr);
  assert.match(unknown.stderr, /model\.arch.*must be one of: abmil, mha, dsmil, clam_sb, acmil, dtfd, transmil/);
  const dsmilHidden = aemTrain('dsmilHidden', { name: 'dsmilHidden', data, model: { arch: 'dsmil', hidden: 8 }, train: { epochs: 1 } });
  assert.equal(dsmilHidden.code, 2, dsmilHidden.stderr);
  assert.match(dsmilHidden.stderr, /"hidden" does not apply to model\.arch "dsmil"/);
  const heads = aemTrain('heads', { name: 'heads', data, model: { arch: 'mha', hidden: 16, heads: 3 }, train: { epochs: 1 } });
  assert.equal(heads.code, 2, heads.stderr);
  assert.match(heads.stderr, /model\.heads.*3 heads do not divide model\.hidden 16/);
  // The default width is half the feature dimension (32 on the tiny preset -> 16): 5 heads do not divide it.
  const byData = aemTrain('byData', { name: 'byData', data, model: { arch: 'mha', heads: 5 }, train: { epochs: 1 }, compute: { backend: 'cpu' } });
  assert.equal(byData.code, 2, byData.stderr);
  assert.match(byData.stderr, /model\.heads 5 does not divide the model width 16/);
});

interface MetricsRow {
  epoch: number;
  split: string;
  loss: number;
  ce: number;
  auroc?: number | null;
  entropy?: number;
  terms?: Record<string, number>;
}

function runDirsOf(experiment: string): Map<string, string> {
  const runsDir = path.join(work, '.aem', 'runs', experiment);
  return new Map(readdirSync(runsDir).map((d) => [d.replace(/-s\d+-\d{8}-\d{6}$/, ''), path.join(runsDir, d)]));
}

function metricRows(runDir: string): MetricsRow[] {
  return readFileSync(path.join(runDir, 'metrics.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as MetricsRow);
}

test('model.arch "dtfd" trains through the CLI: tier-1 CE as a metric, one attention row per pseudo-bag, small bags logged once', () => {
  // 40 pseudo-bags: several tiny-preset slides have fewer instances (the smallest 20).
  const r = aemTrain('dtfd', { name: 'dtfd', data, model: { arch: 'dtfd', pseudoBags: 40, distillation: 'MaxMinS' }, train: { epochs: 1, topK: 20 }, compute: { backend: 'wasm' } }, ['--json']);
  assert.equal(r.code, 0, r.stderr);
  const events = eventsOf(r.stdout);
  const notices = events.filter((e) => e.type === 'log' && e.level === 'warn' && /pseudoBags/.test(e.message));
  assert.equal(notices.length, 1, 'the small-bag notice is logged once per run');
  const notice = notices[0];
  assert.ok(notice && notice.type === 'log');
  assert.match(notice.message, /^slide \S+ has \d+ instance\(s\), fewer than model\.pseudoBags 40: split into \d+ pseudo-bag\(s\) of one instance/);

  const [runDir] = [...runDirsOf('dtfd').values()];
  assert.ok(runDir);
  const metrics = metricRows(runDir);
  assert.deepEqual(metrics.map((m) => m.split), ['train', 'val', 'test']);
  for (const m of metrics) {
    const tier1 = m.terms?.['tier1'];
    assert.ok(tier1 !== undefined && Number.isFinite(tier1) && tier1 > 0, `${m.split}: tier1 ${JSON.stringify(m.terms)}`);
  }
  assert.ok(metrics.every((m) => !('perHead' in m)), 'pseudo-bags are a fresh partition of each bag: no per-row metrics');
  const pack = readTensorPack<{ slides: { slideId: string; heads: number; n: number }[] }>(path.join(runDir, 'attention-best.pack'));
  assert.ok(pack.meta.slides.some((s) => s.n < 40), 'the preset has bags smaller than the pseudo-bags');
  for (const s of pack.meta.slides) {
    assert.equal(s.heads, Math.min(s.n, 40), `${s.slideId}: one tier-1 attention row per pseudo-bag`);
    const rows = pack.arrays.get(`attention/${s.slideId}`)?.data;
    assert.ok(rows);
    // Each instance sits in exactly one pseudo-bag: the rows' column sums are 1 where it is, summing to G.
    let total = 0;
    for (let i = 0; i < rows.length; i++) total += rows[i] as number;
    assert.ok(Math.abs(total - s.heads) < 1e-3, `${s.slideId}: every row is a distribution (sum ${total})`);
  }
});

test('model.arch "transmil" trains through the CLI and saves the cls attention per head', () => {
  const r = aemTrain('transmil', { name: 'transmil', data, model: { arch: 'transmil', width: 16, heads: 2, landmarks: 8 }, train: { epochs: 1, topK: 20 }, compute: { backend: 'wasm' } });
  assert.equal(r.code, 0, r.stderr);
  const [runDir] = [...runDirsOf('transmil').values()];
  assert.ok(runDir);
  const metrics = metricRows(runDir);
  assert.deepEqual(metrics.map((m) => m.split), ['train', 'val', 'test']);
  for (const m of metrics) assert.ok(Number.isFinite(m.loss) && m.terms === undefined, JSON.stringify(m));
  const pack = readTensorPack<{ slides: { slideId: string; heads: number }[] }>(path.join(runDir, 'attention-best.pack'));
  for (const s of pack.meta.slides) assert.equal(s.heads, 2, `${s.slideId}: one attention row per head`);
});

test('dtfd and transmil options that do not apply, or heads that do not divide the width, exit 2 with the path', () => {
  const wrong = aemTrain('dtfdWrong', { name: 'dtfdWrong', data, model: { arch: 'dtfd', heads: 4 }, train: { epochs: 1 } });
  assert.equal(wrong.code, 2, wrong.stderr);
  assert.match(wrong.stderr, /model.*"heads" does not apply to model\.arch "dtfd"/);
  const hidden = aemTrain('transmilHidden', { name: 'transmilHidden', data, model: { arch: 'transmil', hidden: 64 }, train: { epochs: 1 } });
  assert.equal(hidden.code, 2, hidden.stderr);
  assert.match(hidden.stderr, /"hidden" does not apply to model\.arch "transmil"/);
  const heads = aemTrain('transmilHeads', { name: 'transmilHeads', data, model: { arch: 'transmil', width: 16, heads: 3 }, train: { epochs: 1 } });
  assert.equal(heads.code, 2, heads.stderr);
  assert.match(heads.stderr, /model\.heads.*3 heads do not divide model\.width 16/);
});

// Seeded learning on the demo preset (70 training slides, lr 1e-3 as media/demo.aem.json): each model
// reaches test AUROC >= 0.85 at its best epoch within 20 epochs, and AEM (lambda 0.1) gives a higher mean
// test attention entropy (over the 20 epochs) than lambda 0 with the same seed. On this shared 2-vCPU
// machine a DTFD-MIL run took 3-5 minutes. TransMIL runs smaller than the authors' (width 32, 2 heads, 16
// landmarks, their dropout 0.1: ~6 s an epoch here) and does not reach the AUROC: it fits the 70 slides
// within 5 epochs while its cls attention stays near uniform (test entropy 5.9 of log N 6.0), so it reads
// the bag much as a mean would (at the best val epoch: 0.52 / 0.53 at lambda 0 / 0.1, 2026-12-07; 0.69
// with dropout 0, 2026-12-03; other settings tried 2026-12-04: 0.45-0.74). That is TransMIL's own
// behaviour on this preset: the same architecture in PyTorch on the same files
// (test/bench/torch_transmil_demo.py, docs/transmil-learning.md) gets 0.43-0.69 over every setting
// tried, the authors' own defaults and optimiser included, mean pooling 0.63, and gated ABMIL in the
// same script 1.00. So its case stays a visible todo; its entropy part holds (mean test
// entropy 5.976 against 5.864 nats, 2026-12-07).
const LEARNING: { arch: string; model: Record<string, unknown>; todo?: string }[] = [
  { arch: 'dtfd', model: { arch: 'dtfd' } },
  { arch: 'transmil', model: { arch: 'transmil', width: 32, heads: 2, landmarks: 16 }, todo: 'TransMIL does not learn the demo preset, in PyTorch either (docs/transmil-learning.md): test AUROC 0.52 at the best val epoch (2026-12-07)' },
];

for (const { arch, model, todo } of LEARNING) {
  // TransMIL's case takes some 4 minutes on a 2-vCPU machine, for a known todo: npm test reports it skipped unless asked for.
  const slow = todo !== undefined && process.env.AEM_TRANSMIL_LEARNING !== '1';
  const options = slow ? { skip: `${todo}; ~4 min here: run with AEM_TRANSMIL_LEARNING=1` } : todo ? { todo } : {};
  test(`model.arch "${arch}" learns the demo preset (seeded) and AEM raises its test attention entropy`, options, () => {
    const name = `${arch}Learns`;
    const body = { name, data: { format: 'synthetic', synthetic: { preset: 'demo', seed: 0, classes: 2 } }, model, train: { epochs: 20, lr: 1e-3, topK: 20 }, sweep: { 'aem.lambda': [0, 0.1] }, seeds: [0], compute: { backend: 'wasm', parallel: 1 } };
    const r = aemTrain(name, body, [], 1_800_000);
    assert.equal(r.code, 0, r.stderr);
    const runs = runDirsOf(name);
    const plain = runs.get('lambda0');
    const aem = runs.get('lambda0.1');
    assert.ok(plain && aem, [...runs.keys()].join(', '));
    for (const dir of [plain, aem]) {
      const summary = JSON.parse(readFileSync(path.join(dir, 'summary.json'), 'utf8')) as { status: string; best: { auroc: number | null } | null };
      assert.equal(summary.status, 'done');
      assert.ok((summary.best?.auroc ?? 0) >= 0.85, `${path.basename(dir)}: best-epoch test AUROC ${summary.best?.auroc}`);
    }
    const meanTestEntropy = (dir: string) => {
      const test = metricRows(dir).filter((m) => m.split === 'test');
      assert.equal(test.length, 20);
      return test.reduce((sum, m) => sum + (m.entropy ?? Number.NaN), 0) / test.length;
    };
    assert.ok(meanTestEntropy(aem) > meanTestEntropy(plain), `mean test entropy over the epochs: lambda 0.1 ${meanTestEntropy(aem)}, lambda 0 ${meanTestEntropy(plain)}`);
  });
}
