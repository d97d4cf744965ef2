// aem.schedule "auto" in real training on the tiny synthetic preset: a target above the entropy the
// attention reaches drives lambda up epoch after epoch; a target below it drives lambda to 0 and keeps it there.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { readMetrics } from '../../src/trainer/runStore.js';
import { trainSynthetic } from '../helpers/syntheticRun.js';
import { EpochAssembler } from '../../src/liveCharts/points.js';
import type { ChartEpoch } from '../../src/protocol/liveCharts.js';

const workspace = mkdtempSync(path.join(os.tmpdir(), 'aem-auto-lambda-'));

const trainLambdas = (dir: string) => readMetrics(dir).flatMap((m) => (m.split === 'train' ? [m.lambda] : []));

test('a target above the reachable entropy drives lambda up', async () => {
  // H / log N < 1 for any attention that is not exactly uniform, so 0.99999 is never reached.
  const run = await trainSynthetic(workspace, { lambda: 0.1, epochs: 3, seed: 1, aem: { schedule: 'auto', targetEntropy: 0.99999, lambdaLr: 0.05 } });
  assert.equal(run.summary.status, 'done');
  const lambdas = trainLambdas(run.dir);
  assert.equal(lambdas.length, 3);
  let previous = 0.1;
  for (const l of lambdas) {
    assert.ok(l > previous, `epoch mean lambda rises: ${lambdas.join(', ')}`);
    previous = l;
  }
  // The live charts draw each epoch's lambda on the entropy chart's second axis, from the same lines
  // (after a reload) as from the epoch events (live).
  const assembler = new EpochAssembler();
  const fromFile = readMetrics(run.dir).flatMap((line) => assembler.push(line) ?? []);
  assert.deepEqual(fromFile.map((e: ChartEpoch) => e.lambda), lambdas);
  const live = run.events.flatMap((e) => (e.type === 'epoch' ? [e.train.lambda] : []));
  assert.deepEqual(live, lambdas);
});

test('a target below the reachable entropy drives lambda to 0', async () => {
  const run = await trainSynthetic(workspace, { lambda: 0.1, epochs: 3, seed: 1, aem: { schedule: 'auto', targetEntropy: 0.01, lambdaLr: 0.05 } });
  assert.equal(run.summary.status, 'done');
  const lambdas = trainLambdas(run.dir);
  assert.ok((lambdas[0] as number) < 0.1 && (lambdas[0] as number) > 0, `the first epoch's mean lies between the start and 0: ${lambdas[0]}`);
  assert.deepEqual(lambdas.slice(1), [0, 0], `lambda stays at 0: ${lambdas.join(', ')}`);
});
