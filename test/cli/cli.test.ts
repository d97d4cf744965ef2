// The aem-train command line, run as users run it: the bundled dist/engine.mjs in a child process.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync, existsSync, readdirSync, cpSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseEngineEventLine, type EngineEvent } from '../../src/protocol/events.js';
import { goldenDir, projectRoot } from '../helpers/paths.js';
import { writeFeatureH5 } from '../../src/data/syntheticH5.js';
import { ensureSyntheticDataset } from '../../src/data/synthetic.js';

const engine = path.join(projectRoot, 'dist', 'engine.mjs');
const work = mkdtempSync(path.join(os.tmpdir(), 'aem-cli-test-'));

function aemTrain(args: string[]): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [engine, ...args], { cwd: work, encoding: 'utf8', timeout: 120_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

function writeExperiment(name: string, body: unknown): string {
  const file = path.join(work, `${name}.aem.json`);
  writeFileSync(file, typeof body === 'string' ? body : JSON.stringify(body, null, 2));
  return file;
}

test('the engine bundle exists (npm test builds it first)', () => {
  assert.ok(existsSync(engine), `${engine} is missing: run npm run build`);
});

test('an invalid experiment exits 2 listing every problem with its position, without a stack trace', () => {
  const file = writeExperiment('bad', '{\n  "name": "bad",\n  "data": { "format": "synthetic" },\n  "aem": { "lambda": -1 },\n  "train": { "epochs": "ten" }\n}');
  const r = aemTrain([file]);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /2 problems/);
  assert.match(r.stderr, /bad\.aem\.json:4:\d+ +aem\.lambda/);
  assert.match(r.stderr, /bad\.aem\.json:5:\d+ +train\.epochs/);
  assert.doesNotMatch(r.stderr, /\n\s+at .+:\d+:\d+/);
  assert.equal(readdirSync(work).includes('.aem'), false, 'nothing was started');
});

test('usage errors and unavailable backends exit 2 and say what to do', () => {
  assert.equal(aemTrain([]).code, 2);
  const missing = aemTrain([path.join(work, 'nope.aem.json')]);
  assert.equal(missing.code, 2);
  assert.match(missing.stderr, /cannot read the file \(ENOENT\)/);
  const bogus = aemTrain([writeExperiment('ok', { name: 'ok', data: { format: 'synthetic' } }), '--backend', 'cuda']);
  assert.equal(bogus.code, 2);
  assert.match(bogus.stderr, /--backend must be one of auto, tensorflow-gpu, webgpu, tensorflow, wasm, cpu/);
  const node = aemTrain([writeExperiment('tf', { name: 'tf', data: { format: 'synthetic' }, train: { epochs: 1 } }), '--backend', 'tensorflow']);
  assert.equal(node.code, 2);
  assert.match(node.stderr, /backend "tensorflow" is not available: @tensorflow\/tfjs-node is not installed; install it with "AEM: Set Up Backend" or `npm install @tensorflow\/tfjs-node` \(its install downloads libtensorflow/);
});

test('invalid data exits 2 before training, naming the slide and the fix', () => {
  const data = path.join(work, 'clam_bad');
  cpSync(path.join(goldenDir, 'clam_tiny'), data, { recursive: true });
  rmSync(path.join(data, 'h5_files', 'slide_03.h5'));
  const file = writeExperiment('baddata', { name: 'baddata', data: { format: 'clam', features: 'clam_bad', csv: 'clam_bad/dataset.csv', split: { kind: 'clam', file: 'clam_bad/splits_0.csv' } }, train: { epochs: 1 }, compute: { backend: 'cpu' } });
  const r = aemTrain([file]);
  assert.equal(r.code, 2, r.stderr);
  assert.match(r.stderr, /slide_03/);
  assert.equal(existsSync(path.join(work, '.aem', 'runs', 'baddata')), false, 'no run folder was created');
});

test('--json streams typed events for two seeds and ends with the comparison table', () => {
  const file = writeExperiment('tiny', {
    name: 'tiny',
    data: { format: 'synthetic', synthetic: { preset: 'tiny' } },
    train: { epochs: 2, topK: 20 },
    compute: { backend: 'wasm', parallel: 2 },
  });
  const r = aemTrain([file, '--seeds', '0,1', '--json']);
  assert.equal(r.code, 0, r.stderr);
  const events: EngineEvent[] = r.stdout
    .trim()
    .split('\n')
    .map((line) => {
      const parsed = parseEngineEventLine(line);
      assert.ok(parsed.ok, `not a valid event: ${line.slice(0, 200)}`);
      return parsed.value;
    });
  const started = events.filter((e) => e.type === 'run-started');
  assert.equal(started.length, 2);
  for (const s of started) if (s.type === 'run-started') assert.equal(s.backend.name, 'wasm');
  assert.equal(events.filter((e) => e.type === 'epoch').length, 4);
  const finished = events.filter((e) => e.type === 'run-finished');
  assert.deepEqual(finished.map((e) => (e.type === 'run-finished' ? e.status : '')), ['done', 'done']);
  const last = events[events.length - 1];
  assert.ok(last && last.type === 'experiment-finished');
  assert.match(last.table, /base +2 +\d\.\d{3} ± \d\.\d{3}/);
});

test('inspect --json lists every slide of the dataset and what training would refuse', () => {
  const file = writeExperiment('golden', { name: 'golden', data: { format: 'clam', features: path.join(goldenDir, 'clam_tiny'), csv: path.join(goldenDir, 'clam_tiny', 'dataset.csv'), split: { kind: 'clam', file: path.join(goldenDir, 'clam_tiny', 'splits_0.csv') } } });
  const r = aemTrain(['inspect', file, '--json']);
  // The golden split file tests on two normal slides only, which training refuses.
  assert.equal(r.code, 2, r.stderr);
  const report = JSON.parse(r.stdout) as { slides: { slideId: string; n: number }[]; problems: { message: string }[] };
  assert.equal(report.slides.length, 12);
  assert.equal(report.slides.find((s) => s.slideId === 'slide_11')?.n, 1);
  assert.deepEqual(report.problems.map((p) => p.message), ['the test split has only class "normal" (2 slides): AUROC is undefined there and the test result would mean nothing; move slides of the other classes into it']);
});

test('NaN or Inf in any bag stops the experiment before training, listing every such slide', async () => {
  const made = await ensureSyntheticDataset({ preset: 'tiny', seed: 0, classes: 2, dir: path.join(work, 'tiny_nan') });
  const victims = readdirSync(made.features).slice(0, 2).map((f) => f.replace(/\.h5$/, ''));
  for (const [i, slide] of victims.entries()) {
    const features = new Float32Array(10 * 32).fill(0.5);
    features[3 * 32 + 7] = i === 0 ? Number.NaN : Number.POSITIVE_INFINITY;
    rmSync(path.join(made.features, `${slide}.h5`));
    await writeFeatureH5(path.join(made.features, `${slide}.h5`), { n: 10, d: 32, dtype: 'float32', features, coords: new Int32Array(20), coordAttrs: { patch_size: 256, patch_level: 0 } });
  }
  const file = writeExperiment('nan', { name: 'nan', data: { format: 'clam', features: made.features, csv: made.csv, split: { kind: 'clam', file: made.splitFile } }, train: { epochs: 1 }, compute: { backend: 'cpu' } });
  const r = aemTrain([file]);
  assert.equal(r.code, 2, r.stderr);
  for (const slide of victims) assert.match(r.stderr, new RegExp(`${slide} \\(.*\\): instance row 3 has a NaN or infinite feature value`));
  assert.equal(existsSync(path.join(work, '.aem', 'runs', 'nan')), false, 'no run folder was created');
});
