// Invalid input on the command line exits 2 with a plain message (and the usage line for an argument
// error), never 1 or a raw JavaScript message: unknown options, missing values, bad --seeds, a run
// folder that cannot be created.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseCliArgs, parseSeeds } from '../../src/trainer/cliArgs.js';
import { UsageError } from '../../src/trainer/invalidInput.js';
import { isWorkerNoise } from '../../src/trainer/workerOutputFilter.js';
import { runEngine, tinyExperiment } from '../helpers/engineProcess.js';

const work = mkdtempSync(path.join(os.tmpdir(), 'aem-cli-input-'));
after(() => rmSync(work, { recursive: true, force: true }));

const usage = (fn: () => unknown, message: RegExp) => assert.throws(fn, (err: unknown) => err instanceof UsageError && message.test(err.message));

test('--seeds: non-negative safe integers, at least one, none twice', () => {
  assert.deepEqual(parseSeeds('0, 1,2'), [0, 1, 2]);
  assert.deepEqual(parseSeeds(String(Number.MAX_SAFE_INTEGER)), [Number.MAX_SAFE_INTEGER]);
  usage(() => parseSeeds(''), /needs at least one seed/);
  usage(() => parseSeeds(' '), /needs at least one seed/);
  usage(() => parseSeeds('1,,2'), /"" is not one/);
  usage(() => parseSeeds('-1'), /"-1" is not one/);
  usage(() => parseSeeds('1.5'), /"1.5" is not one/);
  usage(() => parseSeeds('9007199254740993'), /9007199254740993 is too large/);
  usage(() => parseSeeds('1,2,1'), /lists 1 twice/);
});

test('argument errors in plain words', () => {
  usage(() => parseCliArgs(['x.aem.json', '--seed', '1']), /^unknown option --seed$/);
  usage(() => parseCliArgs(['x.aem.json', '--seeds']), /^--seeds needs a value$/);
  usage(() => parseCliArgs(['x.aem.json', '--seeds', '-1']), /--seeds needs a value, got the option-like "-1"/);
  usage(() => parseCliArgs(['--resume']), /^--resume needs a value$/);
  usage(() => parseCliArgs(['x.aem.json', '--parallel', '2.5']), /--parallel takes a positive integer or "auto", got "2.5"/);
  usage(() => parseCliArgs(['--resume', 'r', '--seeds', '1']), /--seeds and --backend apply to a new experiment/);
  usage(() => parseCliArgs(['--resume', 'r', 'x.aem.json']), /takes no experiment file/);
  usage(() => parseCliArgs(['x.aem.json', '--break-lock']), /--break-lock goes with --resume/);
  usage(() => parseCliArgs(['inspect']), /inspect needs an experiment file/);
  assert.deepEqual(parseCliArgs(['--resume', 'a', '--resume', 'b', '--break-lock']), { command: 'resume', runDirs: ['a', 'b'], breakLock: true, json: false });
  assert.deepEqual(parseCliArgs(['x.aem.json', '--seeds', '3,4']), { command: 'train', file: 'x.aem.json', seeds: [3, 4], json: false });
});

test('the engine exits 2 with the message and the usage line for argument errors', async () => {
  const file = tinyExperiment(work, 'args');
  for (const [args, message] of [
    [[file, '--seed', '1'], /unknown option --seed/],
    [[file, '--seeds'], /--seeds needs a value/],
    [[file, '--seeds', '-1'], /--seeds needs a value, got the option-like "-1"/],
    [[file, '--seeds', ''], /--seeds needs at least one seed/],
    [[file, '--seeds', '9007199254740993'], /9007199254740993 is too large/],
    [[file, '--seeds', '0,0'], /--seeds lists 0 twice/],
  ] as const) {
    const r = await runEngine([...args], work, 20_000);
    assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, message);
    assert.match(r.stderr, /\nusage:\n {2}aem-train <file\.aem\.json>/);
  }
  assert.equal(existsSync(path.join(work, 'runs')), false, 'nothing was started');
});

test('an output folder that cannot be created exits 2 naming the folder, with no raw error', async () => {
  writeFileSync(path.join(work, 'a-file'), 'in the way');
  const file = path.join(work, 'blocked.aem.json');
  writeFileSync(
    file,
    JSON.stringify({ name: 'blocked', data: { format: 'synthetic', synthetic: { preset: 'tiny', seed: 3, dir: 'datasets/tiny' } }, train: { epochs: 1 }, compute: { backend: 'cpu' }, output: 'a-file/runs' }),
  );
  const r = await runEngine([file], work, 60_000);
  assert.equal(r.code, 2, r.stderr);
  assert.match(r.stderr, /cannot create the run folder .*a-file\/runs\/blocked\/.*: a part of the path is not a folder \(ENOTDIR\)/);
  assert.doesNotMatch(r.stderr, /Cannot read properties|\n\s+at /);
});

test("tfjs's Node.js banner is noise; other worker output is not", () => {
  assert.equal(isWorkerNoise('============================'), true);
  assert.equal(isWorkerNoise('Hi, looks like you are running TensorFlow.js in Node.js. To speed things up dramatically, install our node backend'), true);
  assert.equal(isWorkerNoise('Error: the loss became NaN at epoch 2'), false);
  assert.equal(isWorkerNoise('= 3'), false);
});

test("Dawn's limit notices and a second tfjs-core's platform notice are noise; Dawn's real errors are not", () => {
  assert.equal(isWorkerNoise('Warning: maxDynamicUniformBuffersPerPipelineLayout artificially reduced from 1000000 to 16 to fit dynamic offset allocation limit.'), true);
  assert.equal(isWorkerNoise('Warning: maxDynamicStorageBuffersPerPipelineLayout artificially reduced from 1000000 to 16 to fit dynamic offset allocation limit.'), true);
  assert.equal(isWorkerNoise('Platform node has already been set. Overwriting the platform with node.'), true);
  assert.equal(isWorkerNoise('Warning: the WebGPU device was lost'), false);
});
