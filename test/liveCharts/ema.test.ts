// The smoothing of the live charts is TensorBoard's debiased EMA: checked on numbers worked out by hand.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DebiasedEma, smoothSeries } from '../../src/liveCharts/ema.js';

function close(actual: (number | null)[], expected: (number | null)[]): void {
  assert.equal(actual.length, expected.length);
  actual.forEach((a, i) => {
    const e = expected[i];
    if (e === null || e === undefined) assert.equal(a, e ?? null);
    else assert.ok(a !== null && Math.abs(a - e) < 1e-12, `index ${i}: ${a} != ${e}`);
  });
}

describe('debiased EMA (TensorBoard smoothing)', () => {
  it('matches the hand-computed values for weight 0.5', () => {
    // last_n = 0.5 last_{n-1} + 0.5 y_n, smoothed = last_n / (1 - 0.5^n):
    // 0.5/0.5 = 1; 1.25/0.75 = 5/3; 2.125/0.875 = 17/7
    close(smoothSeries([1, 2, 3], 0.5), [1, 5 / 3, 17 / 7]);
  });

  it('matches the hand-computed values for weight 0.9', () => {
    // 1: 0.1*10 = 1 / 0.1 = 10; 2: 0.9 + 0 = 0.9 / 0.19; 3: 0.81 + 2 = 2.81 / 0.271
    close(smoothSeries([10, 0, 20], 0.9), [10, 0.9 / 0.19, 2.81 / 0.271]);
  });

  it('skips missing values without advancing the average', () => {
    // [1, null, 3] with 0.5: 1, null, then (0.25 + 1.5) / 0.75
    close(smoothSeries([1, null, 3], 0.5), [1, null, 1.75 / 0.75]);
    const ema = new DebiasedEma(0.5);
    assert.ok(Number.isNaN(ema.push(Number.NaN)));
    assert.equal(ema.push(4), 4);
  });

  it('weight 0 is the raw series, and a constant series stays constant (no pull towards 0)', () => {
    close(smoothSeries([3, -1, 7], 0), [3, -1, 7]);
    close(smoothSeries([5, 5, 5, 5], 0.99), [5, 5, 5, 5]);
  });
});
