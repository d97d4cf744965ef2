// DTFD-MIL and TransMIL in the training loop (in this process, tiny preset): the same seed gives the same
// metrics bit for bit (DTFD's pseudo-bags come from the run's seeded source, another seed draws others),
// and a DTFD or TransMIL run stopped mid-epoch resumes to the same result (the random stream, which draws
// DTFD's partitions and TransMIL's dropout masks, is in the checkpoint).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { readMetrics } from '../../src/trainer/runStore.js';
import { comparable, resumeRun, trainSynthetic } from '../helpers/syntheticRun.js';

const workspace = mkdtempSync(path.join(os.tmpdir(), 'aem-zoo-train-'));
const dtfd = { arch: 'dtfd', pseudoBags: 4, distillation: 'MaxMinS' };

test('DTFD-MIL: the same seed gives the same metrics bit for bit, another seed does not', async () => {
  const a = await trainSynthetic(workspace, { lambda: 0.1, epochs: 2, seed: 1, model: dtfd });
  const b = await trainSynthetic(workspace, { lambda: 0.1, epochs: 2, seed: 1, model: dtfd });
  const c = await trainSynthetic(workspace, { lambda: 0.1, epochs: 2, seed: 2, model: dtfd });
  assert.equal(a.summary.status, 'done');
  assert.deepEqual(comparable(readMetrics(a.dir)), comparable(readMetrics(b.dir)));
  assert.notDeepEqual(comparable(readMetrics(a.dir)), comparable(readMetrics(c.dir)));
});

test('DTFD-MIL: a run stopped mid-epoch resumes exactly where it stopped', async () => {
  const straight = await trainSynthetic(workspace, { lambda: 0.1, epochs: 2, seed: 5, model: dtfd });
  const stopped = await trainSynthetic(workspace, { lambda: 0.1, epochs: 2, seed: 5, model: dtfd, stopAfterSteps: 40 });
  assert.equal(stopped.summary.status, 'stopped');
  const { summary } = await resumeRun(stopped.dir);
  assert.equal(summary.status, 'done');
  assert.deepEqual(comparable(readMetrics(stopped.dir)), comparable(readMetrics(straight.dir)));
});

// TransMIL at its default dropout 0.1: the masks come from the run's seeded stream too.
const transmil = { arch: 'transmil', width: 16, heads: 2, landmarks: 8 };

test('TransMIL: the same seed gives the same metrics bit for bit, another seed does not', async () => {
  const a = await trainSynthetic(workspace, { lambda: 0.1, epochs: 1, seed: 1, model: transmil });
  const b = await trainSynthetic(workspace, { lambda: 0.1, epochs: 1, seed: 1, model: transmil });
  const c = await trainSynthetic(workspace, { lambda: 0.1, epochs: 1, seed: 2, model: transmil });
  assert.equal(a.summary.status, 'done');
  assert.deepEqual(comparable(readMetrics(a.dir)), comparable(readMetrics(b.dir)));
  assert.notDeepEqual(comparable(readMetrics(a.dir)), comparable(readMetrics(c.dir)));
});

test('TransMIL: a run stopped mid-epoch resumes exactly where it stopped (dropout masks included)', async () => {
  const straight = await trainSynthetic(workspace, { lambda: 0.1, epochs: 2, seed: 5, model: transmil });
  const stopped = await trainSynthetic(workspace, { lambda: 0.1, epochs: 2, seed: 5, model: transmil, stopAfterSteps: 40 });
  assert.equal(stopped.summary.status, 'stopped');
  const { summary } = await resumeRun(stopped.dir);
  assert.equal(summary.status, 'done');
  assert.deepEqual(comparable(readMetrics(stopped.dir)), comparable(readMetrics(straight.dir)));
});
