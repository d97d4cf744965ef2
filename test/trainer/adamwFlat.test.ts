// AdamW over one flat buffer: one step against PyTorch's AdamW on the golden zoo2 fixture (parameters
// without a gradient, null in the fixture, are not stepped), the same values as a per-parameter update
// bit for bit over several steps (one parameter missing its gradient in some steps), and a state saved
// and restored mid-way continuing exactly.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { PARITY_BACKENDS, startParityBackend } from '../helpers/parityBackends.js';
import { AdamW } from '../../src/trainer/adamw.js';
import { SeededRandom } from '../../src/util/seededRandom.js';
import { assertAllClose } from '../helpers/abmilGolden.js';
import { flatValues, zooFixture, type Values } from '../helpers/zooGolden.js';

function shapeOf(v: Values): number[] {
  const shape: number[] = [];
  let cur: unknown = v;
  while (Array.isArray(cur)) {
    shape.push(cur.length);
    cur = cur[0];
  }
  return shape;
}

/** The per-parameter update the flat one replaces (torch.optim.AdamW's loop), for comparison. */
class ReferenceAdamW {
  private readonly m = new Map<string, tf.Tensor>();
  private readonly v = new Map<string, tf.Tensor>();
  private readonly steps = new Map<string, number>();
  constructor(private readonly params: Map<string, tf.Variable>) {}
  apply(grads: Map<string, tf.Tensor>, lr: number): void {
    for (const [name, p] of this.params) {
      const g = grads.get(name);
      if (!g) continue;
      const t = (this.steps.get(name) ?? 0) + 1;
      this.steps.set(name, t);
      const bc1 = 1 - 0.9 ** t;
      const sqrtBc2 = Math.sqrt(1 - 0.999 ** t);
      const [mNew, vNew, pNew] = tf.tidy(() => {
        const m = this.m.get(name) ?? tf.zerosLike(p);
        const v = this.v.get(name) ?? tf.zerosLike(p);
        const mNew = tf.add(tf.mul(m, 0.9), tf.mul(g, 1 - 0.9));
        const vNew = tf.add(tf.mul(v, 0.999), tf.mul(tf.square(g), 1 - 0.999));
        const denom = tf.add(tf.div(tf.sqrt(vNew), sqrtBc2), 1e-8);
        return [mNew, vNew, tf.sub(tf.mul(p, 1 - lr * 1e-5), tf.mul(tf.div(mNew, denom), lr / bc1))];
      });
      this.m.get(name)?.dispose();
      this.v.get(name)?.dispose();
      this.m.set(name, mNew);
      this.v.set(name, vNew);
      p.assign(pNew);
      pNew.dispose();
    }
  }
}

const SHAPES: [string, number[]][] = [
  ['a.weight', [7, 5]],
  ['a.bias', [5]],
  ['b.weight', [5, 3]],
  ['b.bias', [3]],
  ['c.weight', [3, 1]],
];

function params(seed: number): Map<string, tf.Variable> {
  const rng = SeededRandom.fromSeed(seed);
  return new Map(SHAPES.map(([name, shape]) => [name, tf.variable(tf.tensor(Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => rng.float() * 2 - 1), shape), true, `${name}-${seed}-${Math.random()}`)]));
}

/** Step k's gradients: b.* have none in steps 1 and 3 (0-based), c.weight none in step 0. */
function gradsAt(k: number, rng: SeededRandom): Map<string, tf.Tensor> {
  const grads = new Map<string, tf.Tensor>();
  for (const [name, shape] of SHAPES) {
    if (name.startsWith('b.') && (k === 1 || k === 3)) continue;
    if (name === 'c.weight' && k === 0) continue;
    grads.set(name, tf.tensor(Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => (rng.float() * 2 - 1) * 10 ** (k - 3)), shape));
  }
  return grads;
}

const values = (ps: Map<string, tf.Variable>) => new Map([...ps].map(([n, p]) => [n, Array.from(p.dataSync())]));

for (const parity of PARITY_BACKENDS) {
  test(`AdamW on ${parity.label}: one step matches PyTorch on the zoo2 fixture, parameters without a gradient untouched`, async () => {
    await startParityBackend(parity);
    const fixture = zooFixture('zoo2_parity.json');
    let skipped = 0;
    for (const c of fixture.cases) {
      const ps = new Map(Object.entries(c.params).map(([name, v]) => [name, tf.variable(tf.tensor(flatValues(v), shapeOf(v)), true, `${c.name}/${name}`)]));
      const grads = new Map<string, tf.Tensor>();
      for (const [name, g] of Object.entries(c.expected.grads)) if (g !== null) grads.set(name, tf.tensor(flatValues(g), shapeOf(g)));
      const opt = new AdamW(ps, { weightDecay: 1e-5 });
      opt.apply(grads, 1e-3);
      for (const [name, p] of ps) {
        const after = c.expected.params_after_one_adamw_step[name] as Values;
        if (c.expected.grads[name] === null) {
          skipped += 1;
          assert.deepEqual(Array.from(p.dataSync()), Array.from(flatValues(c.params[name] as Values)), `${c.name} ${name}: no gradient, so unchanged`);
        }
        assertAllClose(p.dataSync(), after as number[], `${c.name} after AdamW ${name}`);
      }
      const state = await opt.state();
      assert.equal(state.paramSteps !== undefined, Object.values(c.expected.grads).some((g) => g === null), `${c.name}: per-parameter steps recorded only when one lags`);
      opt.dispose();
      tf.dispose([...ps.values(), ...grads.values()]);
    }
    assert.ok(skipped >= 4, `the fixture has parameters without a gradient (${skipped})`);
  });

  test(`AdamW on ${parity.label}: the flat update equals the per-parameter one bit for bit, and a restored state continues exactly`, async () => {
    await startParityBackend(parity);
    const flatParams = params(1);
    const refParams = params(1);
    const resumedParams = params(1);
    const flat = new AdamW(flatParams, { weightDecay: 1e-5 });
    const ref = new ReferenceAdamW(refParams);
    const rng = SeededRandom.fromSeed(2);
    const steps = 6;
    let resumed: AdamW | undefined;
    for (let k = 0; k < steps; k++) {
      const grads = gradsAt(k, rng);
      flat.apply(grads, 1e-3 * (1 + k));
      ref.apply(grads, 1e-3 * (1 + k));
      resumed?.apply(grads, 1e-3 * (1 + k));
      assert.deepEqual(values(flatParams), values(refParams), `step ${k + 1}: flat and per-parameter agree`);
      if (k === 2) {
        const state = await flat.state();
        assert.equal(state.step, 3);
        assert.deepEqual(state.paramSteps, new Map([['b.weight', 2], ['b.bias', 2], ['c.weight', 2]]), 'the parameters behind, with their steps');
        assert.deepEqual([...state.m.keys()], SHAPES.map(([n]) => n), 'the state stays per parameter name');
        for (const [name, p] of flatParams) resumedParams.get(name)?.assign(p);
        resumed = new AdamW(resumedParams, { weightDecay: 1e-5 });
        resumed.restore(state);
      }
      tf.dispose([...grads.values()]);
    }
    assert.deepEqual(values(resumedParams), values(flatParams), 'restored mid-way, the same parameters at the end');
    assert.deepEqual(await resumed?.state(), await flat.state());
    assert.throws(() => flat.apply(new Map([['nope', tf.zeros([1])]]), 1e-3), /nope, which is not a parameter/);
    flat.dispose();
    resumed?.dispose();
  });
}
