// train.subsample (a seeded fraction of a training bag at every step) and the maxInstances cap: how
// many instances a step draws, which ones (seeded, fresh each step), and that evaluation sees whole bags.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ConfigError, parseExperiment } from '../../src/config/load.js';
import { instancesDrawn, trainingRows } from '../../src/trainer/bagSampling.js';
import { runPaths } from '../../src/trainer/runStore.js';
import { readTensorPack } from '../../src/trainer/tensorPack.js';
import { SeededRandom } from '../../src/util/seededRandom.js';
import { trainSynthetic } from '../helpers/syntheticRun.js';

const workspace = mkdtempSync(path.join(os.tmpdir(), 'aem-bag-sampling-'));
after(() => rmSync(workspace, { recursive: true, force: true }));

test('a step draws max(1, floor(subsample * N)) instances, then at most maxInstances', () => {
  assert.equal(instancesDrawn(400, {}), 400);
  assert.equal(instancesDrawn(400, { subsample: 0.5 }), 200);
  assert.equal(instancesDrawn(401, { subsample: 0.5 }), 200, 'floor');
  assert.equal(instancesDrawn(100, { subsample: 0.29 }), 29, '0.29 * 100 is 28.999999999999996 in floats, still 29');
  assert.equal(instancesDrawn(3, { subsample: 0.1 }), 1, 'at least one instance');
  assert.equal(instancesDrawn(1, { subsample: 0.5 }), 1);
  assert.equal(instancesDrawn(400, { subsample: 1 }), 400);
  assert.equal(instancesDrawn(400, { subsample: 0.5, maxInstances: 120 }), 120, 'the cap applies after the fraction');
  assert.equal(instancesDrawn(400, { subsample: 0.25, maxInstances: 120 }), 100);
  assert.equal(instancesDrawn(50, { maxInstances: 120 }), 50);
});

test('the rows are distinct, increasing, the same for the same seed and fresh at every step', () => {
  const draw = (seed: number, steps: number) => {
    const rng = SeededRandom.fromSeed(seed);
    return Array.from({ length: steps }, () => Array.from(trainingRows(1000, { subsample: 0.3 }, rng) ?? []));
  };
  const a = draw(7, 4);
  assert.deepEqual(draw(7, 4), a, 'same seed, same draws');
  assert.notDeepEqual(draw(8, 4), a, 'another seed, other draws');
  for (const rows of a) {
    assert.equal(rows.length, 300);
    assert.ok(rows.every((r, i) => r >= 0 && r < 1000 && (i === 0 || r > (rows[i - 1] as number))), 'distinct, in range, increasing');
  }
  assert.notDeepEqual(a[1], a[0], 'a fresh draw at every step');
  assert.notDeepEqual(a[2], a[1]);
});

test('a whole bag draws nothing, so runs without subsampling keep their random stream', () => {
  const rng = SeededRandom.fromSeed(3);
  const before = rng.state();
  assert.equal(trainingRows(500, {}, rng), undefined);
  assert.equal(trainingRows(500, { subsample: 1 }, rng), undefined);
  assert.equal(trainingRows(1, { subsample: 0.5 }, rng), undefined);
  assert.equal(trainingRows(80, { maxInstances: 100 }, rng), undefined);
  assert.deepEqual(rng.state(), before);
});

test('train.subsample must be a fraction in (0, 1]', () => {
  const parse = (v: unknown) => parseExperiment(JSON.stringify({ name: 'x', data: { format: 'synthetic' }, train: { subsample: v } }), 'x.aem.json');
  assert.equal(parse(0.5).train.subsample, 0.5);
  assert.equal(parse(1).train.subsample, 1);
  for (const bad of [0, -0.1, 1.5]) {
    assert.throws(() => parse(bad), (err: unknown) => err instanceof ConfigError && err.problems.some((p) => p.path === 'train.subsample'), `${bad} is refused`);
  }
});

test('a run with train.subsample trains, and evaluates whole bags', async () => {
  const run = await trainSynthetic(workspace, { lambda: 0.1, epochs: 1, seed: 0, subsample: 0.25, backend: 'cpu' });
  assert.equal(run.summary.status, 'done');
  const pack = readTensorPack<{ slides: { slideId: string; n: number }[] }>(runPaths(run.dir).attention('last'));
  const full = await trainSynthetic(workspace, { lambda: 0.1, epochs: 1, seed: 0, backend: 'cpu' });
  const fullPack = readTensorPack<{ slides: { slideId: string; n: number }[] }>(runPaths(full.dir).attention('last'));
  assert.deepEqual(pack.meta.slides.map((s) => [s.slideId, s.n]), fullPack.meta.slides.map((s) => [s.slideId, s.n]), 'val and test attention covers every instance');
  assert.notEqual(run.summary.best?.loss, full.summary.best?.loss, 'subsampling changed what was learnt');
});
