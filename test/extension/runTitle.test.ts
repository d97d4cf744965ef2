// The tree's run labels with sweep values of every kind: numbers, arch names and booleans.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runTitle } from '../../src/extension/core/runFormat.js';

test('a run title shows string and boolean sweep values as they are', () => {
  assert.equal(runTitle({ sweepValues: { 'model.arch': 'mha', 'aem.lambda': 0.1 }, seed: 2 }), 'arch=mha · λ=0.1 · seed 2');
  assert.equal(runTitle({ sweepValues: { 'aem.regulariser': 'entropy_topk', 'model.subtyping': false }, seed: 0, fold: 1 }), 'regulariser=entropy_topk · subtyping=false · seed 0 · fold 1');
});
