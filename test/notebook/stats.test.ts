import { test } from 'node:test';
import assert from 'node:assert/strict';
import { averageRanks, mean, normalSurvival, pearson, sampleStd, spearman, wilcoxonSignedRank } from '../../src/notebook/stats.js';

// Every reference number below was computed with scipy 1.17.1 / numpy 2.4.6 (python3, Debian) on
// exactly these inputs: scipy.stats.pearsonr, spearmanr, rankdata, wilcoxon (defaults: zero_method='wilcox',
// correction=False, method='auto'), norm.sf.

const close = (actual: number, expected: number, tol = 1e-12) => assert.ok(Math.abs(actual - expected) <= tol * Math.max(1, Math.abs(expected)), `${actual} != ${expected}`);

test('mean and sample std (ddof = 1)', () => {
  close(mean([0.912, 0.874, 0.903]), 0.8963333333333333);
  close(sampleStd([1, 2, 3, 4]), 1.2909944487358056);
  assert.equal(sampleStd([5]), 0);
  assert.ok(Number.isNaN(mean([])));
});

test('average ranks of ties match scipy.stats.rankdata', () => {
  assert.deepEqual(averageRanks([3, 1, 4, 1, 5, 9, 2, 6, 5]), [4, 1.5, 5, 1.5, 6.5, 9, 3, 8, 6.5]);
});

test('Pearson and Spearman correlation match scipy', () => {
  const x = [0.912, 0.874, 0.903, 0.889, 0.921];
  const y = [0.881, 0.87, 0.895, 0.86, 0.899];
  close(pearson(x, y), 0.7638245616511112);
  close(spearman(x, y), 0.7999999999999999);
  // with ties on both sides
  const a = [1, 2, 2, 3, 5, 5, 5, 8];
  const b = [2, 1, 4, 4, 6, 3, 3, 9];
  close(spearman(a, b), 0.6522871628049347);
  close(pearson(a, b), 0.7944336393909776);
  assert.ok(Number.isNaN(pearson([1, 1, 1], [1, 2, 3])), 'a constant variable has no correlation');
  assert.throws(() => pearson([1, 2], [1]), /differ in length/);
});

test('standard normal survival function matches scipy.stats.norm.sf', () => {
  close(normalSurvival(1.96), 0.024997895148220435, 1e-10);
  close(normalSurvival(4.5), 3.3976731247300535e-6, 1e-10);
  close(normalSurvival(0.3), 0.3820885778110474, 1e-10);
  close(normalSurvival(-0.3), 1 - 0.3820885778110474, 1e-10);
});

test('Wilcoxon signed-rank: exact distribution without ties or zeros', () => {
  const r = wilcoxonSignedRank([0.912, 0.874, 0.903, 0.889, 0.921, 0.905, 0.931, 0.868], [0.881, 0.87, 0.895, 0.86, 0.899, 0.91, 0.9, 0.85]);
  assert.equal(r.method, 'exact');
  assert.equal(r.statistic, 2);
  close(r.pValue, 0.0234375);
  // three seeds all in one direction: the smallest p a 3-seed comparison can reach
  const three = wilcoxonSignedRank([1, 2, 3], [0.5, 1.5, 2.4]);
  assert.equal(three.statistic, 0);
  close(three.pValue, 0.25);
  const twenty = wilcoxonSignedRank(Array.from({ length: 20 }, (_, i) => i + 1), new Array<number>(20).fill(0));
  assert.equal(twenty.method, 'exact');
  close(twenty.pValue, 1.9073486328125e-6);
});

test('Wilcoxon signed-rank: zeros are dropped, ties get average ranks, small n enumerates every sign flip', () => {
  // d = [1, -1, 0, 2, -2, 2, 2.5]: one zero, ties at |d| = 1 and 2
  const r = wilcoxonSignedRank([1, 2, 3, 4, 5, 6, 7], [0, 3, 3, 2, 7, 4, 4.5]);
  assert.equal(r.zeros, 1);
  assert.equal(r.n, 6);
  assert.equal(r.ties, true);
  assert.equal(r.method, 'exact');
  assert.equal(r.statistic, 5.5);
  close(r.pValue, 0.40625);
  // floating-point differences that tie exactly (0.05000000000000004 twice), as scipy sees them
  const f = wilcoxonSignedRank([0.8, 0.7, 0.9, 0.85, 0.6], [0.75, 0.72, 0.82, 0.8, 0.65]);
  assert.equal(f.statistic, 4.5);
  close(f.pValue, 0.5);
});

test('Wilcoxon signed-rank: normal approximation with tie correction beyond the exact range', () => {
  const nx = [
    0.6, 0.4, 1.1, 0.6, -0.0, 0.9, 1.8, 1.4, -0.2, -0.8, -0.1, 0.5, -1.8, 0.3, -0.7, -0.2, -0.0, 0.2, 0.9, 1.5, 0.4, 1.9, -0.2, 0.9, 1.4, 0.6, -0.2, -0.4, 0.0, 0.7, -0.5, 0.3, 0.3, 1.0, 0.7,
    0.9, -0.2, 0.4, 1.3, 2.0, -0.8, 2.0, 1.8, 1.3, 0.8, 0.2, 2.0, 2.5, 2.3, 1.8, 0.9, -0.7, 0.5, 1.2, -0.8, 0.9, 0.9, 1.2, -0.7, -0.2,
  ];
  const r = wilcoxonSignedRank(nx, new Array<number>(nx.length).fill(0));
  assert.equal(r.method, 'normal');
  assert.equal(r.statistic, 279.5);
  close(r.pValue, 1.3637554148938506e-5, 1e-8);
  const ny = [
    -1.25, -1.2, -1.1, -0.95, -0.9, -0.8, -0.65, -0.6, -0.5, -0.35, -0.3, -0.2, -0.05, 0.0, 0.1, 0.25, 0.3, 0.4, 0.55, 0.6, 0.7, 0.85, 0.9, 1.0, 1.15, 1.2, 1.3, 1.45, 1.5, 1.6, 1.75, 1.8, 1.9,
    2.05, 2.1, 2.2, 2.35, 2.4, 2.5, 2.65, 2.7, 2.8, 2.95, 3.0, 3.1, 3.25, 3.3, 3.4, 3.55, 3.6, 3.7, 3.85, 3.9, 4.0, 4.15,
  ];
  const s = wilcoxonSignedRank(ny, new Array<number>(ny.length).fill(0));
  assert.equal(s.method, 'normal');
  assert.equal(s.statistic, 171);
  close(s.pValue, 8.617761424796483e-7, 1e-8);
});

test('Wilcoxon signed-rank: no non-zero difference gives no p-value', () => {
  const r = wilcoxonSignedRank([1, 2], [1, 2]);
  assert.equal(r.method, 'none');
  assert.ok(Number.isNaN(r.pValue));
});
