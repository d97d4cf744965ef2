// Validation of aem.schedule "auto" and its fields: each bad value is a problem naming the field, with its
// position; a swept target is checked by the same rules; the fused GPU path refuses auto with the reason.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError, parseExperiment } from '../../src/config/load.js';
import { expandRuns } from '../../src/config/expand.js';
import { fusedUnsupported, gpuPlanOf } from '../../src/trainer/gpu/coverage.js';

function problemsOf(text: string): ConfigError['problems'] {
  try {
    parseExperiment(text, 'auto.aem.json');
  } catch (err) {
    assert.ok(err instanceof ConfigError, String(err));
    return err.problems;
  }
  assert.fail('expected a ConfigError');
}

const withAem = (aem: string, extra = '') => `{
  "name": "auto",
  "data": { "format": "synthetic" },
  "aem": ${aem}${extra}
}`;

test('auto with its defaults: target 0.6, constant, lambdaLr 0.05, aem.lambda the start', () => {
  const e = parseExperiment(withAem('{ "schedule": "auto", "lambda": 0.2 }'), 'auto.aem.json');
  assert.equal(e.aem.schedule, 'auto');
  assert.equal(e.aem.lambda, 0.2);
  assert.equal(e.aem.targetEntropy, 0.6);
  assert.equal(e.aem.targetSchedule, 'constant');
  assert.equal(e.aem.targetEnd, undefined);
  assert.equal(e.aem.lambdaLr, 0.05);
});

for (const bad of [0, 1, -0.2, 1.5]) {
  test(`targetEntropy ${bad} is outside (0, 1): a problem at its position`, () => {
    const problems = problemsOf(withAem(`{ "schedule": "auto", "targetEntropy": ${bad} }`));
    assert.equal(problems.length, 1, JSON.stringify(problems));
    const [p] = problems;
    assert.equal(p?.path, 'aem.targetEntropy');
    assert.match(p?.message ?? '', /normalised entropy H \/ log N strictly between 0 and 1/);
    assert.deepEqual([p?.line, p?.column], [4, 32], 'the line and column of the key');
  });
}

test('targetEnd outside (0, 1) and a negative lambdaLr are problems naming their fields', () => {
  const problems = problemsOf(withAem('{ "schedule": "auto", "targetSchedule": "cosine", "targetEnd": 1, "lambdaLr": -0.1 }'));
  const byPath = new Map(problems.map((p) => [p.path, p.message]));
  assert.deepEqual([...byPath.keys()].sort(), ['aem.lambdaLr', 'aem.targetEnd']);
  assert.match(byPath.get('aem.lambdaLr') ?? '', /a step size of 0 or more/);
  assert.match(byPath.get('aem.targetEnd') ?? '', /strictly between 0 and 1/);
});

test('an unknown targetSchedule lists the choices; auto with regulariser none says why', () => {
  const schedule = problemsOf(withAem('{ "schedule": "auto", "targetSchedule": "linear" }'));
  assert.equal(schedule[0]?.path, 'aem.targetSchedule');
  assert.match(schedule[0]?.message ?? '', /constant.*cosine/);
  const none = problemsOf(withAem('{ "schedule": "auto", "regulariser": "none" }'));
  assert.equal(none[0]?.path, 'aem.schedule');
  assert.match(none[0]?.message ?? '', /aem\.regulariser is "none"/);
});

test('aem.targetEntropy can be swept, each value checked by its own rules', () => {
  const runs = expandRuns(parseExperiment(withAem('{ "schedule": "auto" }', ',\n  "sweep": { "aem.targetEntropy": [0.5, 0.8] }'), 'auto.aem.json'), undefined);
  assert.deepEqual(runs.map((r) => r.experiment.aem.targetEntropy), [0.5, 0.8]);
  assert.deepEqual(runs.map((r) => r.configLabel), ['targetEntropy0.5', 'targetEntropy0.8']);
  const problems = problemsOf(withAem('{ "schedule": "auto" }', ',\n  "sweep": { "aem.targetEntropy": [0.5, 1.2] }'));
  assert.equal(problems[0]?.path, 'sweep["aem.targetEntropy"][1]');
});

test('the fused WebGPU path refuses auto with the reason; constant and cosine stay covered', () => {
  const model = { arch: 'abmil', attention: 128, dropout: 0 } as const;
  const aem = (schedule: 'auto' | 'cosine') => ({ regulariser: 'entropy', lambda: 0.1, schedule, targetEntropy: 0.6, targetSchedule: 'constant', lambdaLr: 0.05 }) as const;
  assert.match(fusedUnsupported({ model, aem: aem('auto') }) ?? '', /does not cover aem\.schedule "auto"/);
  assert.equal(fusedUnsupported({ model, aem: aem('cosine') }), undefined);
  const plan = gpuPlanOf({ model, aem: aem('auto'), compute: { backend: 'webgpu', parallel: 1, threads: 1, cacheMB: 2048, gpuPath: 'fused', gpuCacheMB: 4096 } });
  assert.equal(plan.path, 'fused');
  assert.match(plan.fusedUnsupported ?? '', /aem\.schedule "auto"/);
});
