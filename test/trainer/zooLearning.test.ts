// CLAM_SB, ACMIL, MHA and DSMIL learn the demo preset (seeded; DSMIL's data, below): test AUROC >= 0.85
// within 20 epochs, AEM (lambda 0.1) raises the mean test attention entropy against lambda 0 with the same
// seed, and each model's own loss terms are metrics of their own; a stopped run resumes exactly.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { readMetrics } from '../../src/trainer/runStore.js';
import { comparable, resumeRun, trainSynthetic, type SyntheticRun } from '../helpers/syntheticRun.js';

const workspace = mkdtempSync(path.join(os.tmpdir(), 'aem-zoo-learn-'));
const EPOCHS = 20;

const meanTestEntropy = (r: SyntheticRun) => {
  const xs = readMetrics(r.dir).flatMap((m) => (m.split === 'test' ? [m.entropy] : []));
  return xs.reduce((a, b) => a + b, 0) / xs.length;
};

/** The demo's own dataset (media/demo.aem.json: demo preset, data seed 0), where the helper's default is data seed 3. */
const DEMO_DATA = { format: 'synthetic', synthetic: { preset: 'demo', seed: 0, classes: 2 } };

/**
 * On the demo's own data (data seed 0) DSMIL does not learn, in PyTorch either: its authors' module form
 * (AEM's main.py), trained from this engine's initial weights and bag order, follows this engine's run to
 * 5 digits (test AUROC 0.35-0.41 every epoch, training seed 0); the class-1 critical instance of a failed
 * run lands on no lesion of a positive test bag, and over training seeds 0-7 here 1 of 8 runs reaches 0.85,
 * over seeds 0-9 in PyTorch 1 of 10 (measured 2026-12-03). Its case here is on the demo preset with the
 * data seed the CLAM-SB and ACMIL cases use (3), where it learns (0.968 / 0.852, 2026-12-04).
 */
const CASES: { model: { arch: string }; terms: string[]; data?: Record<string, unknown> }[] = [
  { model: { arch: 'clam_sb' }, terms: ['instance'] },
  { model: { arch: 'acmil' }, terms: ['branches', 'diversity'] },
  { model: { arch: 'mha' }, terms: [], data: DEMO_DATA },
  { model: { arch: 'dsmil' }, terms: ['maxInstance'] },
];

for (const { model, terms, data } of CASES) {
  test(`${model.arch} learns the demo preset, and AEM spreads its attention`, async () => {
    const plain = await trainSynthetic(workspace, { lambda: 0, epochs: EPOCHS, seed: 0, preset: 'demo', model, ...(data ? { data } : {}) });
    const aem = await trainSynthetic(workspace, { lambda: 0.1, epochs: EPOCHS, seed: 0, preset: 'demo', model, ...(data ? { data } : {}) });
    for (const r of [plain, aem]) {
      assert.equal(r.summary.status, 'done');
      assert.equal(r.summary.epochsDone, EPOCHS);
      const best = r.summary.best;
      assert.ok(best && best.auroc !== null && best.auroc >= 0.85, `${model.arch}: test AUROC at the best epoch ${best?.auroc}`);
    }
    assert.ok(meanTestEntropy(aem) > meanTestEntropy(plain), `${model.arch}: AEM entropy ${meanTestEntropy(aem)} vs ${meanTestEntropy(plain)}`);
    // Lambda 0: every line's loss is the weighted bag CE plus the model's own terms, each a metric of its own.
    for (const line of readMetrics(plain.dir)) {
      assert.deepEqual(Object.keys(line.terms ?? {}).sort(), [...terms].sort(), `${line.split} ${line.epoch}: the model's loss terms`);
      const sum = Object.values(line.terms ?? {}).reduce((a, b) => a + b, 0);
      assert.ok(Object.values(line.terms ?? {}).every((v) => Number.isFinite(v) && v >= 0), JSON.stringify(line));
      assert.ok(Math.abs(line.loss - (line.ce + sum)) <= 1e-4 * Math.max(1, Math.abs(line.loss)), JSON.stringify(line));
    }
  });
}

test('clam_sb and acmil runs stopped mid-epoch resume to the same metrics, bit for bit', async () => {
  // ACMIL's masks come from the run's random stream, and CLAM's unused instance classifier takes fewer
  // AdamW steps than the others: both must be restored from the checkpoint exactly.
  for (const model of [{ arch: 'clam_sb', dropout: 0.25 }, { arch: 'acmil', branches: 3 }]) {
    const straight = await trainSynthetic(workspace, { lambda: 0.1, epochs: 3, seed: 4, model });
    const stopped = await trainSynthetic(workspace, { lambda: 0.1, epochs: 3, seed: 4, model, stopAfterSteps: 40 });
    assert.equal(stopped.summary.status, 'stopped');
    const resumed = await resumeRun(stopped.dir);
    assert.equal(resumed.summary.status, 'done');
    assert.deepEqual(comparable(readMetrics(stopped.dir)), comparable(readMetrics(straight.dir)), `${model.arch}: resumed run`);
  }
});
