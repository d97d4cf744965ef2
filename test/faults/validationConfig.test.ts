// Experiment files an adversarial user writes: every sweep value checked against its field at parse
// time, split fractions that leave no training cases, duplicate keys and a byte order mark. Each is
// reported by parseExperiment (what the CLI, `inspect` and the editor diagnostics all run) with its
// JSON path, line and column, before any data is read or any process starts.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ConfigError, parseExperiment, type ConfigProblem } from '../../src/config/load.js';
import { projectRoot } from '../helpers/paths.js';

const work = mkdtempSync(path.join(os.tmpdir(), 'aem-validation-config-'));
after(() => rmSync(work, { recursive: true, force: true }));

function problemsOf(text: string): ConfigProblem[] {
  try {
    parseExperiment(text, 'x.aem.json');
  } catch (err) {
    assert.ok(err instanceof ConfigError, `expected a ConfigError, got ${String(err)}`);
    return err.problems;
  }
  return assert.fail('the file was accepted');
}

/** Line and column (1-based) of the first occurrence of `needle` in `text`. */
function positionOf(text: string, needle: string, from = 0): [number, number] {
  const at = text.indexOf(needle, from);
  assert.ok(at >= 0, `${needle} is in the text`);
  const before = text.slice(0, at).split('\n');
  return [before.length, (before.at(-1)?.length ?? 0) + 1];
}

function where(p: ConfigProblem | undefined): [number | undefined, number | undefined] {
  return [p?.line, p?.column];
}

const sweepText = `{
  "name": "x",
  "data": { "format": "synthetic" },
  "sweep": {
    "aem.lambda": [0.1, -0.5],
    "train.epochs": [1, 2.5],
    "aem.lamda": [0.1],
    "aem.schedule": [1]
  }
}`;

test('each bad sweep value is a problem at its own line and column, named by its field', () => {
  const problems = problemsOf(sweepText);
  assert.equal(problems.length, 4, problems.map((p) => p.message).join('\n'));
  const lambda = problems.find((p) => p.path === 'sweep["aem.lambda"][1]');
  assert.deepEqual(where(lambda), positionOf(sweepText, '-0.5'));
  assert.match(lambda?.message ?? '', /-0\.5 is not a valid aem\.lambda: .*>=0/);
  const epochs = problems.find((p) => p.path === 'sweep["train.epochs"][1]');
  assert.deepEqual(where(epochs), positionOf(sweepText, '2.5'));
  assert.match(epochs?.message ?? '', /2\.5 is not a valid train\.epochs: .*int/);
});

test('an unknown sweep key is a problem at its key, listing what can be swept; a value of the wrong kind at its position', () => {
  const problems = problemsOf(sweepText);
  const unknown = problems.find((p) => p.path === 'sweep["aem.lamda"]');
  assert.deepEqual(where(unknown), positionOf(sweepText, '"aem.lamda"'));
  assert.match(unknown?.message ?? '', /unknown sweep key: aem has no field "lamda" \(sweepable: .*aem\.lambda/);
  assert.match(unknown?.message ?? '', /sweepable: .*model\.arch.*aem\.regulariser.*aem\.schedule/);
  const schedule = problems.find((p) => p.path === 'sweep["aem.schedule"][0]');
  assert.deepEqual(where(schedule), positionOf(sweepText, '1]', sweepText.indexOf('"aem.schedule"')));
  assert.match(schedule?.message ?? '', /1 is not a valid aem\.schedule: .*"constant"\|"cosine"|1 is not a valid aem\.schedule: .*constant.*cosine/);
});

const stringSweepText = `{
  "name": "x",
  "data": { "format": "synthetic" },
  "sweep": {
    "model.arch": ["abmil", "mha", "abmil", "transformer"],
    "aem.regulariser": ["entropy", "entropy"],
    "aem.lambda": [0, 0.1, 0],
    "model.query": [64],
    "train.epochs": ["ten"]
  }
}`;

test('string sweeps: a duplicate value, an unknown arch and a value of the wrong type are each a problem at its position', () => {
  const problems = problemsOf(stringSweepText);
  const at = (p: string) => problems.find((x) => x.path === p);
  const secondAbmil = at('sweep["model.arch"][2]');
  assert.deepEqual(where(secondAbmil), positionOf(stringSweepText, '"abmil"', stringSweepText.indexOf('"mha"')));
  assert.match(secondAbmil?.message ?? '', /"abmil" is listed twice in the sweep of model\.arch \(also at position 0\)/);
  const unknownArch = at('sweep["model.arch"][3]');
  assert.deepEqual(where(unknownArch), positionOf(stringSweepText, '"transformer"'));
  assert.match(unknownArch?.message ?? '', /"transformer" is not a valid model\.arch: .*abmil.*mha.*dsmil/);
  assert.match(at('sweep["aem.regulariser"][1]')?.message ?? '', /"entropy" is listed twice/);
  assert.match(at('sweep["aem.lambda"][2]')?.message ?? '', /0 is listed twice in the sweep of aem\.lambda/);
  const query = at('sweep["model.query"]');
  assert.deepEqual(where(query), positionOf(stringSweepText, '"model.query"'));
  assert.match(query?.message ?? '', /"query" does not apply to any of the swept archs \(abmil, mha\)/);
  assert.match(at('sweep["train.epochs"][0]')?.message ?? '', /"ten" is not a valid train\.epochs/);
  assert.equal(problems.length, 6, problems.map((p) => `${p.path}: ${p.message}`).join('\n'));
});

test('a model option swept without a model.arch sweep must apply to model.arch, for each value', () => {
  const heads = problemsOf(`{ "name": "x", "data": { "format": "synthetic" }, "sweep": { "model.heads": [4, 8] } }`);
  assert.equal(heads.length, 1);
  assert.equal(heads[0]?.path, 'sweep["model.heads"]');
  assert.match(heads[0]?.message ?? '', /"heads" does not apply to model\.arch "abmil"/);
  const dropout = problemsOf(`{ "name": "x", "data": { "format": "synthetic" }, "model": { "arch": "dsmil" }, "sweep": { "model.dropout": [0, 0.25] } }`);
  assert.equal(dropout.length, 1);
  assert.equal(dropout[0]?.path, 'sweep["model.dropout"][1]');
  assert.match(dropout[0]?.message ?? '', /0\.25 is not a valid model\.dropout for model\.arch "dsmil"/);
});

test('a sweep key outside model, aem and train says what a sweep key is, and other problems are still listed', () => {
  const text = `{ "name": "x", "data": { "format": "synthetic" }, "sweep": { "compute.parallel": [2], "aem.lambda": [-1] } }`;
  const problems = problemsOf(text);
  const key = problems.find((p) => p.path === 'sweep["compute.parallel"]');
  assert.match(key?.message ?? '', /invalid key "compute\.parallel": a sweep key names a field of model, aem or train/);
  assert.ok(problems.some((p) => p.path === 'sweep["aem.lambda"][0]'), 'the bad value of another key is reported in the same pass');
});

test('random split fractions that leave no training cases are rejected at the larger fraction', () => {
  const text = `{
  "name": "x",
  "data": { "format": "synthetic", "split": { "kind": "random", "val": 0.6, "test": 0.5 } }
}`;
  const problems = problemsOf(text);
  assert.equal(problems.length, 1, problems.map((p) => p.message).join('\n'));
  assert.equal(problems[0]?.path, 'data.split.val');
  assert.deepEqual(where(problems[0]), positionOf(text, '"val"'));
  assert.match(problems[0]?.message ?? '', /val 0\.6 \+ test 0\.5 = 1\.1 leaves no cases for training/);
  // A default fraction counts too: test defaults to 0.25.
  assert.match(problemsOf(`{ "name": "x", "data": { "format": "synthetic", "split": { "kind": "random", "val": 0.8 } } }`)[0]?.message ?? '', /val 0\.8 \+ test 0\.25/);
  assert.doesNotThrow(() => parseExperiment(`{ "name": "x", "data": { "format": "synthetic", "split": { "kind": "random", "val": 0.3, "test": 0.6 } } }`, 'x.aem.json'));
});

test('a duplicate key is a problem at the second key, naming where the first is', () => {
  const text = `{
  "name": "x",
  "data": { "format": "synthetic" },
  "aem": { "lambda": 0.1, "schedule": "cosine", "lambda": 0.5 }
}`;
  const problems = problemsOf(text);
  assert.equal(problems.length, 1, problems.map((p) => p.message).join('\n'));
  assert.equal(problems[0]?.path, 'aem.lambda');
  assert.deepEqual(where(problems[0]), positionOf(text, '"lambda"', text.indexOf('"schedule"')));
  const [line, column] = positionOf(text, '"lambda"');
  assert.match(problems[0]?.message ?? '', new RegExp(`duplicate key "lambda" \\(first at line ${line}, column ${column}\\)`));
});

test('a UTF-8 byte order mark is accepted, and positions after it are those an editor shows', () => {
  const body = `{\n  "name": "x",\n  "data": { "format": "synthetic" },\n  "aem": { "lambda": -1 }\n}`;
  assert.equal(parseExperiment(`\ufeff{ "name": "bom", "data": { "format": "synthetic" } }`, 'x.aem.json').name, 'bom');
  const [problem] = problemsOf(`\ufeff${body}`);
  assert.deepEqual(where(problem), positionOf(body, '"lambda"'));
  assert.equal(problem?.offset, body.indexOf('"lambda"') + 1, 'the offset indexes the text as given, mark included');
});

const engine = path.join(projectRoot, 'dist', 'engine.mjs');

function aemTrain(args: string[]): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [engine, ...args], { cwd: work, encoding: 'utf8', timeout: 60_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

test('the CLI and inspect reject a bad sweep value with its position before reading any data', () => {
  // The data does not exist: a check after the data scan would report that instead.
  const text = `{
  "name": "sweepbad",
  "data": { "format": "clam", "features": "missing/features", "csv": "missing/dataset.csv" },
  "sweep": { "aem.lambda": [0.1, -0.5] },
  "compute": { "backend": "cpu" }
}`;
  const file = path.join(work, 'sweepbad.aem.json');
  writeFileSync(file, text);
  const [line, column] = positionOf(text, '-0.5');
  for (const args of [[file], ['inspect', file]]) {
    const r = aemTrain(args);
    assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.ok(r.stderr.includes(`sweepbad.aem.json:${line}:${column}  sweep["aem.lambda"][1]: -0.5 is not a valid aem.lambda`), r.stderr);
    assert.doesNotMatch(r.stderr, /features folder|dataset CSV/, 'no data was looked at');
  }
  assert.equal(existsSync(path.join(work, '.aem')), false, 'no run folder and no dataset were made');
});

test("a seed repeated in the file's seeds list, or one above 2^53, is a problem at the list", () => {
  const repeated = `{\n  "name": "x",\n  "data": { "format": "synthetic" },\n  "seeds": [0, 1, 0]\n}`;
  const problems = problemsOf(repeated);
  assert.equal(problems[0]?.path, 'seeds');
  assert.equal(problems[0]?.line, 4);
  assert.match(problems[0]?.message ?? '', /each seed once/);
  const huge = `{ "name": "x", "data": { "format": "synthetic" }, "seeds": [0, 9007199254740993] }`;
  assert.equal(problemsOf(huge)[0]?.path, 'seeds[1]');
});
