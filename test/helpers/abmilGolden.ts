// The golden ABMIL parity fixture (PyTorch 1.13, float64) as the parity tests of every path read it.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { RegulariserKind } from '../../src/trainer/lossTerms.js';
import { close, goldenDir } from './paths.js';

export interface ParityCase {
  name: string;
  N: number;
  D: number;
  D_inner: number;
  D_attn: number;
  n_classes: number;
  label: number;
  lambda: number;
  regulariser: RegulariserKind;
  x: number[][];
  params: Record<string, number[] | number[][]>;
  expected: {
    logits: number[];
    attention_scores: number[];
    attention: number[];
    entropy: number;
    ce: number;
    neg_entropy: number;
    kl_uniform: number;
    total: number;
    grads: Record<string, number[] | number[][]>;
    params_after_one_adamw_step: Record<string, number[] | number[][]>;
  };
}

export const golden = JSON.parse(readFileSync(path.join(goldenDir, 'abmil_parity.json'), 'utf8')) as { cases: ParityCase[] };

export function assertAllClose(actual: ArrayLike<number>, expected: number | number[] | number[][] | number[][][], what: string): void {
  const flat = [expected].flat(3) as number[];
  assert.equal(actual.length, flat.length, `${what}: ${actual.length} values, expected ${flat.length}`);
  for (let i = 0; i < flat.length; i++) assert.ok(close(actual[i] as number, flat[i] as number), `${what}[${i}] = ${actual[i]}, expected ${flat[i]}`);
}

