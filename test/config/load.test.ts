import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { ConfigError, loadExperimentFile, parseExperiment } from '../../src/config/load.js';
import { projectRoot } from '../helpers/paths.js';
import { configLabelOf, expandRuns } from '../../src/config/expand.js';
import { archAccepts, archOptions, withArch } from '../../src/config/modelOptions.js';
import { SWEEPABLE_KEYS } from '../../src/config/schema.js';
import { registeredArchs } from '../../src/trainer/models/registry.js';
import { fusedUnsupported } from '../../src/trainer/gpu/coverage.js';

const valid = `{
  // comments are allowed
  "name": "c16-aem",
  "data": { "format": "synthetic", "synthetic": { "preset": "tiny" } },
  "aem": { "lambda": 0.2 },
  "seeds": [0, 1],
  "sweep": { "aem.lambda": [0, 0.1], "train.lr": [1e-4, 2e-4] },
}`;

test('a valid file gets the documented defaults', () => {
  const e = parseExperiment(valid, 'x.aem.json');
  assert.equal(e.train.epochs, 50);
  assert.equal(e.train.lr, 2e-4);
  assert.equal(e.train.weightDecay, 1e-5);
  assert.equal(e.train.topK, 1000);
  assert.equal(e.aem.regulariser, 'entropy');
  assert.equal(e.aem.schedule, 'cosine');
  assert.equal(e.aem.lambda, 0.2);
  assert.equal(e.model.arch, 'abmil');
  assert.equal(e.model.arch === 'abmil' && e.model.attention, 128);
  assert.equal(e.model.hidden, undefined);
  assert.equal(e.compute.backend, 'auto');
  assert.equal(e.output, '.aem/runs');
});

test('every problem is listed with its JSON path, line and column', () => {
  const text = `{
  "name": "bad name!",
  "data": { "format": "clam" },
  "aem": { "regulariser": "entropy", "lambda": -1, "shedule": "cosine" },
  "train": { "epochs": 0 },
  "seeds": [0, 1.5]
}`;
  let error: ConfigError | undefined;
  try {
    parseExperiment(text, 'bad.aem.json');
  } catch (err) {
    error = err as ConfigError;
  }
  assert.ok(error instanceof ConfigError);
  const byPath = new Map(error.problems.map((p) => [p.path, p]));
  assert.equal(error.problems.length, 5, error.message);
  assert.deepEqual([byPath.get('name')?.line, byPath.get('name')?.column], [2, 3]);
  assert.deepEqual([byPath.get('aem.lambda')?.line, byPath.get('aem.lambda')?.column], [4, 38]);
  const unknown = error.problems.find((p) => p.message.includes('"shedule"'));
  assert.ok(unknown, 'the misspelt key is named');
  assert.deepEqual([unknown.line, unknown.column], [4, 52]);
  assert.deepEqual([byPath.get('train.epochs')?.line, byPath.get('seeds[1]')?.line], [5, 6]);
  assert.match(error.message, /bad\.aem\.json:4:38 {2}aem\.lambda: /);
  assert.doesNotMatch(error.message, /at .*\.js:\d+/, 'no stack trace');
});

test('JSON syntax errors are reported with their position', () => {
  assert.throws(
    () => parseExperiment('{\n  "name": "x",\n  "data": {\n}', 'broken.aem.json'),
    (err: unknown) => err instanceof ConfigError && err.problems[0]?.line !== undefined && /JSON syntax/.test(err.message),
  );
});

test('a sweep expands to one run per combination per seed', () => {
  const runs = expandRuns(parseExperiment(valid, 'x.aem.json'), undefined);
  assert.equal(runs.length, 2 * 2 * 2);
  const labels = new Set(runs.map((r) => r.configLabel));
  assert.deepEqual([...labels].sort(), ['lambda0-lr0.0001', 'lambda0-lr0.0002', 'lambda0.1-lr0.0001', 'lambda0.1-lr0.0002']);
  const one = runs.find((r) => r.configLabel === 'lambda0.1-lr0.0001' && r.seed === 1);
  assert.equal(one?.experiment.aem.lambda, 0.1);
  assert.equal(one?.experiment.train.lr, 1e-4);
  assert.deepEqual(one?.experiment.seeds, [1]);
  assert.equal(expandRuns(parseExperiment(valid, 'x.aem.json'), [0, 1, 2], [5]).length, 4 * 3);
});

test('a swept value must satisfy the field it sets', () => {
  const text = `{ "name": "x", "data": { "format": "synthetic" }, "sweep": { "train.epochs": [1.5] } }`;
  assert.throws(() => expandRuns(parseExperiment(text, 'x.aem.json'), undefined), /train\.epochs/);
});

test('npm run demo points at a valid experiment: ABMIL vs AEM over three seeds', async () => {
  const scripts = (JSON.parse(readFileSync(path.join(projectRoot, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts;
  const file = /dist\/engine\.mjs (\S+\.aem\.json)/.exec(scripts.demo ?? '')?.[1];
  assert.ok(file, `the demo script names an experiment file: ${scripts.demo}`);
  const { experiment } = await loadExperimentFile(path.join(projectRoot, file));
  assert.equal(experiment.data.format, 'synthetic');
  assert.deepEqual(experiment.sweep['aem.lambda'], [0, 0.1]);
  assert.equal(experiment.aem.schedule, 'cosine');
  assert.deepEqual(experiment.seeds, [0, 1, 2]);
});

test('aem.regulariser "entropy_topk" takes aem.k, needs it, and the fused GPU path refuses it with the reason', () => {
  const withK = parseExperiment(`{ "name": "x", "data": { "format": "synthetic" }, "aem": { "regulariser": "entropy_topk", "k": 8 } }`, 'x.aem.json');
  assert.equal(withK.aem.regulariser, 'entropy_topk');
  assert.equal(withK.aem.k, 8);
  assert.match(fusedUnsupported(withK) ?? '', /does not cover aem\.regulariser "entropy_topk"/);
  assert.equal(fusedUnsupported(parseExperiment(`{ "name": "x", "data": { "format": "synthetic" } }`, 'x.aem.json')), undefined);
  assert.throws(
    () => parseExperiment(`{ "name": "x", "data": { "format": "synthetic" }, "aem": { "regulariser": "entropy_topk" } }`, 'x.aem.json'),
    (err: unknown) => err instanceof ConfigError && err.problems.some((p) => p.path === 'aem.k' && /needs aem\.k/.test(p.message)),
  );
  assert.throws(() => parseExperiment(`{ "name": "x", "data": { "format": "synthetic" }, "aem": { "regulariser": "entropy_topk", "k": 0 } }`, 'x.aem.json'), ConfigError);
});

const archGrid = `{
  "name": "zoo",
  "data": { "format": "synthetic" },
  "model": { "arch": "abmil", "attention": 64, "hidden": 32, "dropout": 0.25 },
  "seeds": [0, 1],
  "sweep": { "model.arch": ["abmil", "mha", "dsmil"], "model.heads": [4, 8], "aem.lambda": [0, 0.1], "aem.schedule": ["constant", "cosine"] }
}`;

test('a sweep over model.arch gives each run only the options its arch takes; string values label the runs', () => {
  const runs = expandRuns(parseExperiment(archGrid, 'zoo.aem.json'), undefined);
  const configs = [...new Set(runs.map((r) => r.configLabel))];
  // abmil and dsmil take no heads: their runs come once, mha's once per heads value.
  assert.equal(configs.length, (1 + 2 + 1) * 2 * 2, configs.join('\n'));
  assert.equal(runs.length, configs.length * 2);
  assert.ok(configs.includes('arch_abmil-lambda0-schedule_constant'), configs.join('\n'));
  assert.ok(configs.includes('arch_mha-heads4-lambda0.1-schedule_cosine'), configs.join('\n'));
  const model = (label: string) => runs.find((r) => r.configLabel === label)?.experiment.model;
  assert.deepEqual(model('arch_abmil-lambda0-schedule_constant'), { arch: 'abmil', attention: 64, hidden: 32, dropout: 0.25 });
  assert.deepEqual(model('arch_mha-heads4-lambda0-schedule_constant'), { arch: 'mha', heads: 4, hidden: 32, dropout: 0.25 }, 'attention dropped, heads from the sweep');
  assert.deepEqual(model('arch_dsmil-lambda0-schedule_constant'), { arch: 'dsmil', query: 128, dropout: 0 }, 'DSMIL takes neither hidden nor dropout 0.25');
  const mha = runs.find((r) => r.configLabel === 'arch_mha-heads8-lambda0.1-schedule_cosine');
  assert.deepEqual(mha?.sweepValues, { 'model.arch': 'mha', 'model.heads': 8, 'aem.lambda': 0.1, 'aem.schedule': 'cosine' });
  assert.equal(mha?.experiment.aem.schedule, 'cosine');
  assert.deepEqual(runs.find((r) => r.configLabel === 'arch_dsmil-lambda0-schedule_constant')?.sweepValues, { 'model.arch': 'dsmil', 'aem.lambda': 0, 'aem.schedule': 'constant' });
});

test('withArch keeps the options the new arch takes and gives it its defaults; archAccepts checks option and value', () => {
  const abmil = parseExperiment(`{ "name": "x", "data": { "format": "synthetic" }, "model": { "hidden": 64, "attention": 32 } }`, 'x.aem.json').model;
  assert.deepEqual(withArch(abmil, 'mha'), { arch: 'mha', hidden: 64, heads: 8, dropout: 0 });
  assert.equal(withArch(abmil, 'abmil'), abmil);
  assert.throws(() => withArch(abmil, 'transformer'), /model\.arch "transformer" does not exist/);
  assert.throws(() => withArch(parseExperiment(`{ "name": "x", "data": { "format": "synthetic" }, "model": { "hidden": 60 } }`, 'x.aem.json').model, 'mha'), /8 heads do not divide model\.hidden 60/);
  assert.ok(archAccepts('mha', 'heads'));
  assert.ok(!archAccepts('abmil', 'heads'));
  assert.ok(archAccepts('dsmil', 'dropout', 0) && !archAccepts('dsmil', 'dropout', 0.1));
  assert.ok(!archAccepts('abmil', 'arch'));
  assert.deepEqual(archOptions('dsmil').sort(), ['dropout', 'query']);
});

test('sweeps over aem.regulariser and booleans: values are checked, labels and run values keep their type', () => {
  const text = `{ "name": "x", "data": { "format": "synthetic" }, "aem": { "k": 16 }, "sweep": { "aem.regulariser": ["entropy", "entropy_topk", "kl"] } }`;
  const runs = expandRuns(parseExperiment(text, 'x.aem.json'), undefined);
  assert.deepEqual(runs.map((r) => r.configLabel), ['regulariser_entropy', 'regulariser_entropy_topk', 'regulariser_kl']);
  assert.deepEqual(runs.map((r) => r.experiment.aem.regulariser), ['entropy', 'entropy_topk', 'kl']);
  assert.equal(configLabelOf({ 'model.subtyping': true, 'aem.lambda': 0.5 }, 2), 'subtyping_true-lambda0.5-fold2');
  assert.equal(configLabelOf({ 'train.lr': 1e-4, 'model.name': 'a/b c' }, undefined), 'lr0.0001-name_a-b-c', 'a run folder name never holds a path separator');
  assert.ok(SWEEPABLE_KEYS.includes('model.arch') && SWEEPABLE_KEYS.includes('aem.regulariser') && SWEEPABLE_KEYS.includes('train.subsample'), SWEEPABLE_KEYS.join(', '));
  assert.throws(
    () => parseExperiment(`{ "name": "x", "data": { "format": "synthetic" }, "sweep": { "aem.lambda": [true] } }`, 'x.aem.json'),
    (err: unknown) => err instanceof ConfigError && err.problems.some((p) => p.path === 'sweep["aem.lambda"][0]' && /true is not a valid aem\.lambda/.test(p.message)),
  );
  const noK = `{ "name": "x", "data": { "format": "synthetic" }, "sweep": { "aem.regulariser": ["entropy", "entropy_topk"] } }`;
  assert.throws(
    () => parseExperiment(noK, 'x.aem.json'),
    (err: unknown) => err instanceof ConfigError && err.problems.some((p) => p.path === 'sweep["aem.regulariser"][1]' && /"entropy_topk" needs aem\.k/.test(p.message)),
  );
  assert.equal(expandRuns(parseExperiment(noK.replace('"sweep"', '"aem": { "k": 4 }, "sweep"'), 'x.aem.json'), undefined)[1]?.experiment.aem.k, 4);
});

test('media/zoo.aem.json: every arch of the model registry x lambda {0, 0.1} x 3 seeds on the demo preset', async () => {
  const { experiment } = await loadExperimentFile(path.join(projectRoot, 'media', 'zoo.aem.json'));
  assert.equal(experiment.data.synthetic?.preset, 'demo');
  assert.deepEqual([...(experiment.sweep['model.arch'] ?? [])].sort(), [...registeredArchs()].sort(), 'the zoo sweeps exactly the registered archs: add a new arch to media/zoo.aem.json');
  assert.deepEqual(experiment.sweep['aem.lambda'], [0, 0.1]);
  assert.deepEqual(experiment.seeds, [0, 1, 2]);
  const runs = expandRuns(experiment, undefined);
  assert.equal(runs.length, registeredArchs().length * 2 * 3);
  for (const r of runs) assert.equal(r.experiment.model.arch, r.sweepValues['model.arch']);
});

test('media/zoo.compare.aemnb: a cell per notebook view, each query valid over a zoo run store', async () => {
  const { deserializeNotebook } = await import('../../src/notebook/serializer.js');
  const { parseQuery } = await import('../../src/notebook/query.js');
  const { runComparison } = await import('../../src/notebook/compare.js');
  const { loadRuns } = await import('../../src/notebook/collect.js');
  const { SHOW_KINDS } = await import('../../src/notebook/query.js');
  const { writePairedStore } = await import('../notebook/pairedFixture.js');
  const { rmSync } = await import('node:fs');
  const notebook = deserializeNotebook(readFileSync(path.join(projectRoot, 'media', 'zoo.compare.aemnb')));
  const queries = notebook.cells.filter((c) => c.kind === 'code').map((c) => parseQuery(c.source));
  assert.deepEqual([...new Set(queries.map((q) => q.query.show))].sort(), [...SHOW_KINDS].sort(), 'every view has a cell');
  const store = writePairedStore();
  try {
    const runs = loadRuns([store]);
    // The fixture store has no predictions files, which roc and confusion read.
    for (const q of queries.filter((x) => x.query.show !== 'roc' && x.query.show !== 'confusion')) assert.equal(runComparison(q, runs).kind, q.query.show);
  } finally {
    rmSync(store, { recursive: true, force: true });
  }
});
