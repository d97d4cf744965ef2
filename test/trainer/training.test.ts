// End-to-end training on the built-in synthetic data: it learns, AEM raises attention entropy, the same
// seed gives the same metrics bit for bit, and a run stopped mid-epoch resumes to the same result.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { readMetrics, runPaths } from '../../src/trainer/runStore.js';
import { readTensorPack } from '../../src/trainer/tensorPack.js';
import { comparable, resumeRun, trainSynthetic } from '../helpers/syntheticRun.js';

const workspace = mkdtempSync(path.join(os.tmpdir(), 'aem-train-test-'));

const train = (lambda: number, epochs: number, seed: number, stopAfterSteps?: number, preset: 'tiny' | 'demo' = 'tiny') =>
  trainSynthetic(workspace, { lambda, epochs, seed, preset, ...(stopAfterSteps !== undefined ? { stopAfterSteps } : {}) });

test('ABMIL learns the synthetic task, and AEM spreads attention', async () => {
  // The demo preset: 70 training slides, D = 128, bags of ~400 instances with 0.5-10 % tumour.
  const abmil = await train(0, 15, 0, undefined, 'demo');
  const aem = await train(0.1, 15, 0, undefined, 'demo');
  assert.equal(abmil.summary.status, 'done');
  assert.equal(abmil.summary.epochsDone, 15);
  const best = abmil.summary.best;
  assert.ok(best && best.auroc !== null && best.auroc >= 0.9, `test AUROC at the best epoch: ${best?.auroc}`);
  const lastEntropy = (r: { dir: string }) => readMetrics(r.dir).filter((m) => m.split === 'test').map((m) => (m.split === 'test' ? m.entropy : 0));
  const meanEntropy = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  assert.ok(meanEntropy(lastEntropy(aem)) > meanEntropy(lastEntropy(abmil)), `AEM entropy ${meanEntropy(lastEntropy(aem))} vs ABMIL ${meanEntropy(lastEntropy(abmil))}`);

  const p = runPaths(abmil.dir);
  for (const f of [p.config, p.metrics, p.summary, p.checkpoint('last'), p.checkpoint('best'), p.attention('last'), p.attention('best'), p.predictions('last'), p.predictions('best')]) {
    assert.ok(existsSync(f), `${path.basename(f)} written`);
  }
  const csv = readFileSync(p.predictions('best'), 'utf8').trim().split('\n');
  assert.match(csv[0] as string, /^slide_id,split,label,label_name,predicted,p_normal,p_tumor,epoch$/);
  const attention = readTensorPack<{ slides: { slideId: string; n: number; hasCoords: boolean }[] }>(p.attention('best'));
  const first = attention.meta.slides[0];
  assert.ok(first && first.hasCoords);
  const values = attention.arrays.get(`attention/${first.slideId}`)?.data as Float32Array;
  assert.equal(values.length, first.n);
  assert.ok(Math.abs(values.reduce((a, b) => a + b, 0) - 1) < 1e-4, 'attention sums to 1');
  const epochs = abmil.events.filter((e) => e.type === 'epoch');
  assert.equal(epochs.length, 15);
  const test0 = readMetrics(abmil.dir).find((m) => m.split === 'test');
  assert.ok(test0 && test0.split === 'test' && test0.topk.length === 50 && typeof test0.tumourAttention === 'number');
});

test('the same seed gives the same metrics, bit for bit; another seed does not', async () => {
  const a = await train(0.1, 3, 1);
  const b = await train(0.1, 3, 1);
  const c = await train(0.1, 3, 2);
  assert.deepEqual(comparable(readMetrics(a.dir)), comparable(readMetrics(b.dir)));
  assert.notDeepEqual(comparable(readMetrics(a.dir)), comparable(readMetrics(c.dir)));
});

test('a run stopped mid-epoch resumes exactly where it stopped', async () => {
  const straight = await train(0.1, 4, 5);
  const stopped = await train(0.1, 4, 5, 50);
  assert.equal(stopped.summary.status, 'stopped');
  const { summary: resumed, events } = await resumeRun(stopped.dir);
  assert.equal(resumed.status, 'done');
  const started = events.find((e) => e.type === 'run-started');
  assert.ok(started && started.type === 'run-started' && started.resumedAt && started.resumedAt.iter > 0, 'resumed mid-epoch');
  assert.deepEqual(comparable(readMetrics(stopped.dir)), comparable(readMetrics(straight.dir)));
  assert.equal(resumed.bestEpoch, straight.summary.bestEpoch);
});

// A stop that arrives while an epoch is evaluated (SLURM's TERM on a requeue, say) is seen at the next
// epoch's first step: the checkpoint must hold the state before that epoch's order was drawn.
test('a run stopped between epochs resumes exactly (the next epoch\'s order is not drawn twice)', async () => {
  const trainSlides = 28; // the tiny preset's train split
  const straight = await train(0.1, 3, 6);
  const stopped = await train(0.1, 3, 6, trainSlides);
  assert.equal(stopped.summary.status, 'stopped');
  assert.equal(stopped.summary.epochsDone, 1);
  const { summary: resumed, events } = await resumeRun(stopped.dir);
  assert.equal(resumed.status, 'done');
  const started = events.find((e) => e.type === 'run-started');
  assert.ok(started && started.type === 'run-started' && started.resumedAt?.epoch === 1 && started.resumedAt.iter === 0, 'resumed at the start of epoch 2');
  assert.deepEqual(comparable(readMetrics(stopped.dir)), comparable(readMetrics(straight.dir)));
});

test('a run with aem.schedule "auto" stopped mid-epoch resumes exactly where it stopped (lambda included)', async () => {
  const auto = { schedule: 'auto', targetEntropy: 0.999, lambdaLr: 2 };
  const straight = await trainSynthetic(workspace, { lambda: 0.1, epochs: 3, seed: 6, aem: auto });
  const stopped = await trainSynthetic(workspace, { lambda: 0.1, epochs: 3, seed: 6, aem: auto, stopAfterSteps: 40 });
  assert.equal(stopped.summary.status, 'stopped');
  const { summary: resumed, events } = await resumeRun(stopped.dir);
  assert.equal(resumed.status, 'done');
  const started = events.find((e) => e.type === 'run-started');
  assert.ok(started && started.type === 'run-started' && started.resumedAt && started.resumedAt.iter > 0, 'resumed mid-epoch');
  const lambdas = readMetrics(straight.dir).flatMap((m) => (m.split === 'train' ? [m.lambda] : []));
  assert.ok(new Set(lambdas).size === lambdas.length, `lambda moves from epoch to epoch: ${lambdas.join(', ')}`);
  assert.deepEqual(comparable(readMetrics(stopped.dir)), comparable(readMetrics(straight.dir)));
});
