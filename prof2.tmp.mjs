import * as tf from '@tensorflow/tfjs-core';
const { selectBackend } = await import('./out/src/trainer/backend.js');
const { ModelSchema } = await import('./out/src/config/schema.js');
const { AdamW } = await import('./out/src/trainer/adamw.js');
const { createModel, initModelParams } = await import('./out/src/trainer/models/registry.js');
const { trainStep } = await import('./out/src/trainer/step.js');
const { SeededRandom } = await import('./out/src/util/seededRandom.js');
await selectBackend('wasm');
const arch = process.argv[2]; const n = Number(process.argv[3] ?? 8000);
const config = ModelSchema.parse({ arch });
const dims = { inputDim: 1024, hiddenDim: 512, nClasses: 2 };
const rng = SeededRandom.fromSeed(0);
const model = createModel(config, dims, initModelParams(config, dims, rng));
const opt = new AdamW(model.params, { weightDecay: 1e-5 });
const x = tf.randomNormal([n, 1024], 0, 1, 'float32', 3);
const obj = { nClasses: 2, regulariser: 'entropy', lambda: 0.1 };
await trainStep(model, opt, x, 1, obj, 2e-4, () => rng.float());
const byName = new Map(); const wall = [];
for (let r = 0; r < 2; r++) {
  const t0 = performance.now();
  const p = await tf.profile(async () => { await trainStep(model, opt, x, 1, obj, 2e-4, () => rng.float()); });
  wall.push(performance.now() - t0);
  for (const k of p.kernels) { const t = await k.kernelTimeMs; const key = `${k.name}${k.name.includes('MatMul') ? ' ' + JSON.stringify(k.inputShapes) : ''}`; byName.set(key, (byName.get(key) ?? 0) + (typeof t === 'number' ? t : 0) / 2); }
}
console.log(arch, 'wall', wall.map(Math.round));
console.log([...byName].sort((a, b) => b[1] - a[1]).slice(0, 12).map(([k, v]) => `${k} ${v.toFixed(0)}`).join('\n'));
