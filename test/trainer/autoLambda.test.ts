// Automatic lambda (aem.schedule "auto"): the dual update on a fixed sequence of bag entropies against a
// sequence computed by hand, the cosine-annealed target, a bag of one instance, and the runner's
// normalised entropy of every model against the golden PyTorch fixtures.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AutoLambdaController, autoLambdaSettings, nextLambda, targetEntropyAt, type AutoLambdaSettings } from '../../src/trainer/autoLambda.js';
import { AemSchema } from '../../src/config/schema.js';
import { selectBackend } from '../../src/trainer/backend.js';
import { TfjsRunner } from '../../src/trainer/tfjsRunner.js';
import { GatedAbmil, ABMIL_PARAM_NAMES } from '../../src/trainer/models/abmil.js';
import { MultiHeadAttentionMil, MHA_PARAM_NAMES } from '../../src/trainer/models/mha.js';
import { Dsmil, DSMIL_PARAM_NAMES } from '../../src/trainer/models/dsmil.js';
import type { MilModel } from '../../src/trainer/models/types.js';
import type { Bag } from '../../src/data/types.js';
import { golden } from '../helpers/abmilGolden.js';
import { casesOf, flatValues, zooFixture, type Values } from '../helpers/zooGolden.js';
import { close } from '../helpers/paths.js';

const constantTarget: AutoLambdaSettings = { lambda0: 0.1, lambdaLr: 0.5, targetEntropy: 0.6, targetSchedule: 'constant', targetEnd: 0.6 };

function assertSequence(actual: number[], expected: number[], what: string): void {
  assert.equal(actual.length, expected.length, what);
  actual.forEach((v, i) => assert.ok(Math.abs(v - (expected[i] as number)) <= 1e-12, `${what}[${i}] = ${v}, expected ${expected[i]}`));
}

test('on a fixed sequence of bag entropies, lambda follows the hand-computed dual steps', () => {
  // lambda <- max(0, lambda + 0.5 * (0.6 - h)), from 0.1:
  //   h 0.2 -> 0.1 + 0.5 * 0.4 = 0.3;  h 0.4 -> 0.3 + 0.1 = 0.4;  h 0.9 -> 0.4 - 0.15 = 0.25;
  //   h 1.0 -> 0.25 - 0.2 = 0.05;  one instance (null) -> 0.05 unchanged;  h 0.95 -> 0.05 - 0.175 < 0 -> 0;
  //   h 0.95 -> 0 - 0.175 -> 0;  h 0.4 -> 0 + 0.1 = 0.1.
  const entropies = [0.2, 0.4, 0.9, 1.0, null, 0.95, 0.95, 0.4];
  const expected = [0.3, 0.4, 0.25, 0.05, 0.05, 0, 0, 0.1];
  const c = new AutoLambdaController(constantTarget);
  const used: number[] = [];
  const after = entropies.map((h) => {
    used.push(c.lambda);
    return c.afterStep(h, 0.6);
  });
  assertSequence(after, expected, 'lambda after each step');
  assertSequence(used, [0.1, ...expected.slice(0, -1)], 'lambda each step used');
  // The epoch mean is over the lambdas the steps used: (0.1 + 0.3 + 0.4 + 0.25 + 0.05 + 0.05 + 0 + 0) / 8.
  assert.ok(Math.abs(c.epochMean() - 1.15 / 8) < 1e-12, `epoch mean ${c.epochMean()}`);
  c.startEpoch();
  assert.equal(c.epochMean(), c.lambda, 'before any step of an epoch, the mean is the current lambda');
});

test('the cosine target falls along a half cosine per iteration, and the controller uses it', () => {
  const s: AutoLambdaSettings = { lambda0: 0, lambdaLr: 1, targetEntropy: 0.8, targetSchedule: 'cosine', targetEnd: 0.4 };
  // 2 epochs of 2 iterations: t = 0, 0.5, 1, 1.5 over T = 2; target = 0.4 + 0.4 * 0.5 * (1 + cos(pi t / 2)).
  const targets = [0.8, 0.4 + 0.2 * (1 + Math.SQRT1_2), 0.6, 0.4 + 0.2 * (1 - Math.SQRT1_2)];
  const at = [
    [0, 0],
    [0, 1],
    [1, 0],
    [1, 1],
  ].map(([e, i]) => targetEntropyAt(s, e as number, i as number, 2, 2));
  assertSequence(at, targets, 'target');
  assert.equal(targetEntropyAt(s, 2, 0, 2, 2), 0.4, 'the end of training reaches targetEnd');
  assert.equal(targetEntropyAt({ ...s, targetSchedule: 'constant' }, 1, 1, 2, 2), 0.8, 'constant keeps targetEntropy');
  // With h = 0.5 every step and lambdaLr 1: 0 + 0.3 = 0.3; + 0.2414 = 0.5414; + 0.1 = 0.6414; - 0.0414 = 0.6.
  const c = new AutoLambdaController(s);
  const lambdas = at.map((target) => c.afterStep(0.5, target));
  assertSequence(lambdas, [0.3, 0.3 + (targets[1] as number) - 0.5, 0.3 + (targets[1] as number) - 0.5 + 0.1, 0.6], 'lambda');
});

test('a bag of one instance (log N = 0) leaves lambda as it is; a non-finite entropy is an error', () => {
  assert.equal(nextLambda(0.25, 0.05, 0.6, null), 0.25);
  assert.throws(() => nextLambda(0.25, 0.05, 0.6, Number.NaN), /normalised entropy is NaN/);
  assert.equal(nextLambda(0.25, 0, 0.6, 0.1), 0.25, 'lambdaLr 0 keeps lambda');
});

test('the controller resumes from its state with the same sequence', () => {
  const a = new AutoLambdaController(constantTarget);
  const b = new AutoLambdaController(constantTarget);
  [0.3, 0.5].forEach((h) => {
    a.afterStep(h, 0.6);
    b.afterStep(h, 0.6);
  });
  const resumed = new AutoLambdaController(constantTarget, JSON.parse(JSON.stringify(b.state())));
  for (const h of [0.9, 0.1, 0.7]) assert.equal(resumed.afterStep(h, 0.6), a.afterStep(h, 0.6));
  assert.equal(resumed.epochMean(), a.epochMean());
});

test('settings come from the aem section: defaults, and targetEnd defaults to targetEntropy', () => {
  const aem = AemSchema.parse({ schedule: 'auto', lambda: 0.2 });
  assert.deepEqual(autoLambdaSettings(aem), { lambda0: 0.2, lambdaLr: 0.05, targetEntropy: 0.6, targetSchedule: 'constant', targetEnd: 0.6 });
  const annealed = AemSchema.parse({ schedule: 'auto', targetEntropy: 0.8, targetSchedule: 'cosine', targetEnd: 0.5 });
  assert.equal(autoLambdaSettings(annealed).targetEnd, 0.5);
});

function bagOf(x: number[][]): Bag {
  const d = (x[0] as number[]).length;
  return { slideId: 'golden', n: x.length, d, dtype: 'float32', features: Float32Array.from(x.flat()) };
}

interface EntropyCase {
  name: string;
  model: () => MilModel;
  x: number[][];
  label: number;
  nClasses: number;
  /** Mean over heads (or classes) of the attention entropy, in nats, from the fixture. */
  entropy: number;
}

function entropyCases(): EntropyCase[] {
  const abmil = golden.cases.map((c) => ({
    name: `abmil ${c.name}`,
    model: () => new GatedAbmil({ inputDim: c.D, hiddenDim: c.D_inner, attentionDim: c.D_attn, nClasses: c.n_classes, dropout: 0 }, new Map(ABMIL_PARAM_NAMES.map((n) => [n, Float32Array.from((c.params[n] as (number | number[])[]).flat())]))),
    x: c.x,
    label: c.label,
    nClasses: c.n_classes,
    entropy: c.expected.entropy,
  }));
  const zoo = zooFixture('zoo_parity.json');
  const mha = casesOf(zoo, 'mha').map((c) => ({
    name: `mha ${c.name}`,
    model: () => new MultiHeadAttentionMil({ inputDim: c.D, hiddenDim: c.D_inner as number, heads: c.heads as number, nClasses: c.n_classes, dropout: 0 }, new Map(MHA_PARAM_NAMES.map((n) => [n, flatValues(c.params[n] as Values)]))),
    x: c.x,
    label: c.label,
    nClasses: c.n_classes,
    entropy: -(c.expected.neg_entropy_mean_over_heads as number),
  }));
  const dsmil = casesOf(zoo, 'dsmil').map((c) => ({
    name: `dsmil ${c.name}`,
    model: () => new Dsmil({ inputDim: c.D, queryDim: c.D_q as number, nClasses: c.n_classes }, new Map(DSMIL_PARAM_NAMES.map((n) => [n, flatValues(c.params[n] as Values)]))),
    x: c.x,
    label: c.label,
    nClasses: c.n_classes,
    entropy: -(c.expected.neg_entropy_mean_over_classes as number),
  }));
  return [...abmil, ...mha, ...dsmil];
}

test('the runner reports the last step\'s normalised entropy for every model, as the golden fixtures give it', async (t) => {
  await selectBackend('cpu');
  const cases = entropyCases();
  assert.ok(cases.some((c) => c.x.length === 1) && cases.some((c) => c.name.startsWith('mha')) && cases.some((c) => c.name.startsWith('dsmil')));
  for (const c of cases) {
    await t.test(c.name, async () => {
      const runner = new TfjsRunner(c.model(), 1e-5);
      assert.equal(runner.lastEntropyNormalised(), null, 'no step yet');
      await runner.step(bagOf(c.x), undefined, c.label, { nClasses: c.nClasses, regulariser: 'entropy', lambda: 0.1 }, 1e-3);
      const got = runner.lastEntropyNormalised();
      if (c.x.length === 1) assert.equal(got, null, 'one instance: log N = 0, no normalised entropy');
      else {
        const expected = c.entropy / Math.log(c.x.length);
        assert.ok(got !== null && close(got, expected), `H / log N = ${got}, expected ${expected}`);
        assert.ok(got > 0 && got < 1);
      }
      runner.dispose();
    });
  }
});
