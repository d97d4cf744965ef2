// The golden model-zoo parity fixtures (PyTorch 1.13, float64): zoo_parity.json and zoo2_parity.json.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Transmil, TRANSMIL_PARAM_NAMES } from '../../src/trainer/models/transmil.js';
import { goldenDir } from './paths.js';

export type Values = number | number[] | number[][] | number[][][];

export interface ZooCase {
  name: string;
  model: string;
  N: number;
  D: number;
  n_classes: number;
  label: number;
  lambda: number;
  x: number[][];
  params: Record<string, Values>;
  expected: Record<string, Values | Record<string, Values | null>> & {
    ce: number;
    total: number;
    grads: Record<string, Values | null>;
    params_after_one_adamw_step: Record<string, Values>;
  };
  [field: string]: unknown;
}

export interface ZooFixture {
  conventions: Record<string, string>;
  cases: ZooCase[];
}

export function zooFixture(file: 'zoo_parity.json' | 'zoo2_parity.json'): ZooFixture {
  return JSON.parse(readFileSync(path.join(goldenDir, file), 'utf8')) as ZooFixture;
}

export function casesOf(fixture: ZooFixture, model: string): ZooCase[] {
  return fixture.cases.filter((c) => c.model === model);
}

export function flatValues(v: Values): Float32Array {
  return Float32Array.from([v].flat(3) as number[]);
}

/** TransMIL with a zoo2 `transmil` case's weights and shape; the fixture has no dropout, the caller picks it. */
export function transmilOfCase(c: ZooCase, dropout: number): Transmil {
  const initial = new Map(TRANSMIL_PARAM_NAMES.map((n) => [n, flatValues(c.params[n] as Values)]));
  return new Transmil({ inputDim: c.D, width: c.dim as number, heads: c.heads as number, landmarks: c.num_landmarks as number, dropout, nClasses: c.n_classes }, initial);
}
