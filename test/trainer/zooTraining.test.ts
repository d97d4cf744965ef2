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
import { comparable, resumeRun, trainSynthetic, type SyntheticRunOptions } from '../helpers/syntheticRun.js';

type ModelOptions = NonNullable<SyntheticRunOptions['model']>;

const workspace = mkdtempSync(path.join(os.tmpdir(), 'aem-zoo-train-'));
const dtfd = { arch: 'dtfd', pseudoBags: 4, distillation: 'MaxMinS' };

/** Two runs with one seed match bit for bit, a run with another seed does not. */
async function assertSeeded(model: ModelOptions, epochs: number): Promise<void> {
  const a = await trainSynthetic(workspace, { lambda: 0.1, epochs, seed: 1, model });
  const b = await trainSynthetic(workspace, { lambda: 0.1, epochs, seed: 1, model });
  const c = await trainSynthetic(workspace, { lambda: 0.1, epochs, seed: 2, model });
  assert.equal(a.summary.status, 'done');
  assert.deepEqual(comparable(readMetrics(a.dir)), comparable(readMetrics(b.dir)));
  assert.notDeepEqual(comparable(readMetrics(a.dir)), comparable(readMetrics(c.dir)));
}

/** A run stopped after 40 steps (mid-epoch 2 on the tiny preset) and resumed ends with the metrics of one run straight through. */
async function assertResumesExactly(model: ModelOptions): Promise<void> {
  const straight = await trainSynthetic(workspace, { lambda: 0.1, epochs: 2, seed: 5, model });
  const stopped = await trainSynthetic(workspace, { lambda: 0.1, epochs: 2, seed: 5, model, stopAfterSteps: 40 });
  assert.equal(stopped.summary.status, 'stopped');
  const { summary } = await resumeRun(stopped.dir);
  assert.equal(summary.status, 'done');
  assert.deepEqual(comparable(readMetrics(stopped.dir)), comparable(readMetrics(straight.dir)));
}

test('DTFD-MIL: the same seed gives the same metrics bit for bit, another seed does not', () => assertSeeded(dtfd, 2));

test('DTFD-MIL: a run stopped mid-epoch resumes exactly where it stopped', () => assertResumesExactly(dtfd));

// TransMIL at its default dropout 0.1: the masks come from the run's seeded stream too.
const transmil = { arch: 'transmil', width: 16, heads: 2, landmarks: 8 };

test('TransMIL: the same seed gives the same metrics bit for bit, another seed does not', () => assertSeeded(transmil, 1));

test('TransMIL: a run stopped mid-epoch resumes exactly where it stopped (dropout masks included)', () => assertResumesExactly(transmil));
