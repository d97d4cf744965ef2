import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { halfCosine, lambdaAt, learningRateAt } from '../../src/trainer/schedules.js';

const projectRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const golden = path.resolve(projectRoot, '../shared/golden');

interface SchedulesFixture {
  lr0: number;
  min_lr: number;
  lambda0: number;
  epochs: number;
  iters_per_epoch: number;
  points: { epoch: number; iter: number; lr: number; lambda: number }[];
}

const fx = JSON.parse(readFileSync(path.join(golden, 'schedules.json'), 'utf8')) as SchedulesFixture;

function assertClose(actual: number, expected: number, what: string): void {
  const ok = Math.abs(actual - expected) <= Math.max(1e-6 * Math.abs(expected), 1e-12);
  assert.ok(ok, `${what}: ${actual} vs ${expected}`);
}

test('fixture samples the whole run', () => {
  assert.ok(fx.points.length >= 10);
  assert.ok(fx.points.some((p) => p.epoch === fx.epochs - 1 && p.iter === fx.iters_per_epoch - 1));
});

test('learning rate and CWA lambda match the golden points', () => {
  for (const p of fx.points) {
    const at = `epoch ${p.epoch} iter ${p.iter}`;
    assertClose(learningRateAt(fx.lr0, fx.min_lr, p.epoch, p.iter, fx.iters_per_epoch, fx.epochs), p.lr, `lr at ${at}`);
    assertClose(lambdaAt(fx.lambda0, 'cosine', p.epoch, p.iter, fx.iters_per_epoch, fx.epochs), p.lambda, `lambda at ${at}`);
    assert.equal(lambdaAt(fx.lambda0, 'constant', p.epoch, p.iter, fx.iters_per_epoch, fx.epochs), fx.lambda0);
  }
});

test('halfCosine endpoints, midpoint and floor', () => {
  assert.equal(halfCosine(1, 0.1, 0, 10), 1);
  assertClose(halfCosine(1, 0.1, 5, 10), 0.55, 'midpoint');
  assertClose(halfCosine(1, 0.1, 10, 10), 0.1, 'end');
  // Past the end the value stays at the floor instead of rising again.
  assertClose(halfCosine(1, 0.1, 12, 10), 0.1, 'past end');
  assert.throws(() => halfCosine(1, 0, 0, 0), RangeError);
  assert.throws(() => learningRateAt(1, 0, 0, 0, 0, 10), RangeError);
});
