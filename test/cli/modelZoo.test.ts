// Every model.arch of the zoo trains end to end through the aem-train command line (the bundled
// dist/engine.mjs) on the tiny synthetic preset, and options that do not fit the arch exit 2.
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
