// model.arch "dtfd" and "transmil": the authors' defaults, options of another arch refused at their JSON
// path, TransMIL heads that do not divide the width, and the fused GPU path refusing both with a reason.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError, parseExperiment } from '../../src/config/load.js';
import { fusedUnsupported, gpuPlanOf } from '../../src/trainer/gpu/coverage.js';
import { smallBagNote } from '../../src/trainer/models/registry.js';

const data = { format: 'synthetic', synthetic: { preset: 'tiny' } };
const parse = (model: unknown) => parseExperiment(JSON.stringify({ name: 'z', data, model }), 'z.aem.json');

function problemsOf(model: unknown): { path: string; message: string }[] {
  try {
    parse(model);
  } catch (err) {
    assert.ok(err instanceof ConfigError);
    return err.problems;
  }
  assert.fail('expected a ConfigError');
}

test('dtfd and transmil get the authors\' defaults', () => {
  const dtfd = parse({ arch: 'dtfd' }).model;
  assert.deepEqual(dtfd, { arch: 'dtfd', attention: 128, pseudoBags: 5, distillation: 'AFS', distilledInstances: 1, dropout: 0 });
  assert.equal(parse({ arch: 'dtfd', distillation: 'MaxMinS' }).model.arch === 'dtfd' && parse({ arch: 'dtfd', distillation: 'MaxS' }).model.arch, 'dtfd');
  const transmil = parse({ arch: 'transmil' }).model;
  assert.deepEqual(transmil, { arch: 'transmil', width: 512, heads: 8, landmarks: 256, dropout: 0.1 });
});

test('an option of another arch, a bad distillation or heads not dividing the width name their path', () => {
  const heads = problemsOf({ arch: 'dtfd', heads: 4 });
  assert.equal(heads.length, 1);
  assert.equal(heads[0]?.path, 'model');
  assert.match(heads[0]?.message ?? '', /"heads" does not apply to model\.arch "dtfd"/);
  const hidden = problemsOf({ arch: 'transmil', hidden: 64, pseudoBags: 3 });
  assert.match(hidden[0]?.message ?? '', /"hidden", "pseudoBags" does not apply to model\.arch "transmil"/);
  const distil = problemsOf({ arch: 'dtfd', distillation: 'MinS' });
  assert.equal(distil[0]?.path, 'model.distillation');
  const split = problemsOf({ arch: 'transmil', width: 64, heads: 3 });
  assert.equal(split[0]?.path, 'model.heads');
  assert.match(split[0]?.message ?? '', /3 heads do not divide model\.width 64/);
  assert.equal(problemsOf({ arch: 'dtfd', pseudoBags: 0 })[0]?.path, 'model.pseudoBags');
  assert.equal(problemsOf({ arch: 'transmil', dropout: 0.95 })[0]?.path, 'model.dropout');
  assert.equal(problemsOf({ arch: 'dtfd', dropout: 0.1 })[0]?.path, 'model.dropout');
});

test('the fused GPU path refuses dtfd and transmil and says why', () => {
  for (const arch of ['dtfd', 'transmil'] as const) {
    const exp = parseExperiment(JSON.stringify({ name: 'z', data, model: { arch }, compute: { backend: 'webgpu', gpuPath: 'auto' } }), 'z.aem.json');
    assert.equal(fusedUnsupported(exp), `the fused path does not cover model.arch "${arch}" yet`);
    assert.equal(gpuPlanOf(exp).fusedUnsupported, `the fused path does not cover model.arch "${arch}" yet`);
  }
});

test('DTFD-MIL names what it does with a bag smaller than its pseudo-bags; other archs say nothing', () => {
  const dtfd = parse({ arch: 'dtfd', pseudoBags: 5 }).model;
  assert.equal(smallBagNote(dtfd, 5), undefined);
  assert.match(smallBagNote(dtfd, 3) ?? '', /3 instance\(s\), fewer than model\.pseudoBags 5: split into 3 pseudo-bag\(s\) of one instance/);
  assert.equal(smallBagNote(parse({ arch: 'transmil' }).model, 1), undefined);
});
