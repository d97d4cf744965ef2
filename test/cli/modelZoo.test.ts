// Every model.arch of the zoo trains end to end through the aem-train command line (the bundled
// dist/engine.mjs) on the tiny synthetic preset, and options that do not fit the arch exit 2.
// (Learning the demo preset: test/trainer/training.test.ts and zooLearning.test.ts.)
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync, readdirSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseEngineEventLine, type EngineEvent } from '../../src/protocol/events.js';
import { readTensorPack } from '../../src/trainer/tensorPack.js';
import { projectRoot } from '../helpers/paths.js';

const engine = path.join(projectRoot, 'dist', 'engine.mjs');
const work = mkdtempSync(path.join(os.tmpdir(), 'aem-zoo-cli-'));

function aemTrain(name: string, body: unknown, args: string[] = []): { code: number | null; stdout: string; stderr: string } {
  const file = path.join(work, `${name}.aem.json`);
  writeFileSync(file, JSON.stringify(body, null, 2));
  const r = spawnSync(process.execPath, [engine, file, ...args], { cwd: work, encoding: 'utf8', timeout: 120_000 });
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
  const metrics = readFileSync(path.join(runsDir, runDir, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { split: string; entropy: number });
  const test0 = metrics.find((m) => m.split === 'test');
  assert.ok(test0 && Number.isFinite(test0.entropy) && test0.entropy > 0);
  const pack = readTensorPack<{ slides: { slideId: string; heads: number; n: number }[] }>(path.join(runsDir, runDir, 'attention-best.pack'));
  const slides = pack.meta.slides;
  assert.ok(slides.length > 0);
  for (const s of slides) assert.equal(s.heads, 4, `${s.slideId}: attention of every head`);
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
  assert.match(unknown.stderr, /model\.arch.*must be one of: abmil, mha, dsmil/);
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
