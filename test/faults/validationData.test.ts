// Data that training refuses is data that `inspect` flags, problem for problem: both run checkDataset.
// Tiny CLAM datasets written here (h5 files, dataset CSV, split files); the engine bundle runs them as a
// user would, and training must stop before any run folder exists.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { writeFeatureH5 } from '../../src/data/syntheticH5.js';
import { projectRoot } from '../helpers/paths.js';

const engine = path.join(projectRoot, 'dist', 'engine.mjs');
const work = mkdtempSync(path.join(os.tmpdir(), 'aem-validation-data-'));
after(() => rmSync(work, { recursive: true, force: true }));

interface SlideSpec {
  id: string;
  label: string;
  /** Split in splits_0.csv (and splits_1.csv unless `split1` says otherwise). */
  split: 'train' | 'val' | 'test';
  split1?: 'train' | 'val' | 'test';
  /** Instance row holding a NaN. */
  nanRow?: number;
  /** Listed in the CSV, but no feature file. */
  noFile?: boolean;
}

const N = 4;
const D = 8;

function splitFile(slides: SlideSpec[], pick: (s: SlideSpec) => string): string {
  const columns = ['train', 'val', 'test'].map((sp) => slides.filter((s) => pick(s) === sp).map((s) => s.id));
  const rows = Math.max(...columns.map((c) => c.length));
  return [',train,val,test', ...Array.from({ length: rows }, (_, i) => [String(i), ...columns.map((c) => c[i] ?? '')].join(','))].join('\n') + '\n';
}

/** A CLAM dataset (one case per slide) and an experiment on it; returns the experiment file. */
async function dataset(name: string, slides: SlideSpec[], extra: { folds?: number[]; labels?: Record<string, number>; split?: Record<string, unknown> } = {}): Promise<string> {
  const dir = path.join(work, name);
  mkdirSync(path.join(dir, 'h5_files'), { recursive: true });
  for (const [i, s] of slides.entries()) {
    if (s.noFile) continue;
    const features = Float32Array.from({ length: N * D }, (_, k) => ((i * 31 + k * 7) % 13) / 13);
    if (s.nanRow !== undefined) features[s.nanRow * D + 1] = Number.NaN;
    await writeFeatureH5(path.join(dir, 'h5_files', `${s.id}.h5`), { n: N, d: D, dtype: 'float32', features, coords: new Int32Array(N * 2), coordAttrs: { patch_size: 256, patch_level: 0 } });
  }
  // Labels are quoted so that spaces inside them reach the reader.
  writeFileSync(path.join(dir, 'dataset.csv'), ['case_id,slide_id,label', ...slides.map((s) => `case_${s.id},${s.id},"${s.label}"`)].join('\n') + '\n');
  writeFileSync(path.join(dir, 'splits_0.csv'), splitFile(slides, (s) => s.split));
  writeFileSync(path.join(dir, 'splits_1.csv'), splitFile(slides, (s) => s.split1 ?? s.split));
  const file = path.join(dir, `${name}.aem.json`);
  const split = extra.split ?? { kind: 'clam', file: extra.folds ? 'splits_{fold}.csv' : 'splits_0.csv', ...(extra.folds ? { folds: extra.folds } : {}) };
  writeFileSync(file, JSON.stringify({ name, data: { format: 'clam', features: '.', csv: 'dataset.csv', split, ...(extra.labels ? { labels: extra.labels } : {}) }, train: { epochs: 1 }, compute: { backend: 'cpu' } }, null, 2));
  return file;
}

function aemTrain(args: string[]): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [engine, ...args], { cwd: work, encoding: 'utf8', timeout: 60_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

interface Report {
  classes: string[];
  slides: { slideId: string; label: string; sum?: number }[];
  problems: { message: string }[];
  warnings: { message: string }[];
}

function inspect(file: string): { code: number | null; report: Report } {
  const r = aemTrain(['inspect', file, '--json']);
  return { code: r.code, report: JSON.parse(r.stdout) as Report };
}

/** The problems training printed after "invalid data:", one per line. */
function trainingProblems(stderr: string): string[] {
  const block = stderr.split('invalid data:\n')[1];
  assert.ok(block !== undefined, `training printed no data problems:\n${stderr}`);
  return block.split('\n').filter((l) => l.startsWith('  ')).map((l) => l.slice(2));
}

/** Training refuses the data, before any run folder exists, listing exactly what inspect lists. */
function assertSameRefusal(file: string): string[] {
  const training = aemTrain([file]);
  assert.equal(training.code, 2, training.stderr);
  assert.equal(existsSync(path.join(path.dirname(file), '.aem', 'runs')), false, 'no run folder was created');
  const { code, report } = inspect(file);
  assert.equal(code, 2, 'inspect exits 2 on data training refuses');
  const problems = report.problems.map((p) => p.message);
  assert.deepEqual([...problems].sort(), [...trainingProblems(training.stderr)].sort());
  return problems;
}

const balanced: SlideSpec[] = [
  { id: 'a', label: 'normal', split: 'train' },
  { id: 'b', label: 'tumor', split: 'train' },
  { id: 'c', label: 'normal', split: 'val' },
  { id: 'd', label: 'tumor', split: 'val' },
  { id: 'e', label: 'normal', split: 'test' },
  { id: 'f', label: 'tumor', split: 'test' },
];

test('a test split with one class: inspect reports what training refuses', async () => {
  const file = await dataset('oneclass', balanced.map((s) => (s.id === 'f' ? { ...s, label: 'normal' } : s)).concat([{ id: 'g', label: 'tumor', split: 'train' }]));
  const problems = assertSameRefusal(file);
  assert.deepEqual(problems, ['the test split has only class "normal" (2 slides): AUROC is undefined there and the test result would mean nothing; move slides of the other classes into it']);
});

test('NaN features are listed together with the other data problems, by training as by inspect', async () => {
  const file = await dataset('nanplus', [...balanced.map((s) => (s.id === 'a' ? { ...s, nanRow: 1 } : s)), { id: 'ghost', label: 'tumor', split: 'train', noFile: true }]);
  const problems = assertSameRefusal(file);
  assert.equal(problems.length, 2, problems.join('\n'));
  assert.ok(problems.some((p) => /^ghost .*no feature file ghost\.h5/.test(p)), problems.join('\n'));
  assert.ok(problems.some((p) => /^a \(.*a\.h5\): instance row 1 has a NaN or infinite feature value/.test(p)), problems.join('\n'));
});

test('every fold is checked: a later fold whose val split has one class is a problem for inspect as for training', async () => {
  const slides = balanced.map((s) => (s.id === 'd' ? { ...s, split1: 'train' as const } : s.id === 'b' ? { ...s, split1: 'val' as const, label: 'normal' } : s));
  // Fold 1: val = b, c (both normal now); fold 0 is fine apart from b's label, which only changes the counts.
  const file = await dataset('folds', [...slides, { id: 'h', label: 'tumor', split: 'train' }], { folds: [0, 1] });
  const problems = assertSameRefusal(file);
  assert.deepEqual(problems, ['fold 1: the val split has only class "normal" (2 slides): AUROC is undefined there and the best epoch cannot be chosen; move slides of the other classes into it']);
});

test('a random split with no validation fraction: an empty val split, for inspect as for training', async () => {
  const file = await dataset('noval', balanced, { split: { kind: 'random', seed: 0, val: 0, test: 0.34 } });
  const problems = assertSameRefusal(file);
  assert.deepEqual(problems, ['the val split is empty. Use more slides, or change the split fractions / k']);
});

test('labels are trimmed, and label typos are warned about by inspect and by training when data.labels is unset', async () => {
  const slides: SlideSpec[] = [
    ...balanced,
    { id: 'g', label: 'tumor ', split: 'train' },
    { id: 'h', label: 'Tumor', split: 'test' },
    { id: 'i', label: 'itc', split: 'train' },
  ];
  const file = await dataset('typos', slides);
  const { report } = inspect(file);
  assert.deepEqual(report.classes, ['Tumor', 'itc', 'normal', 'tumor'], '"tumor " is the class "tumor"');
  assert.equal(report.slides.find((s) => s.slideId === 'g')?.label, 'tumor');
  const warnings = report.warnings.map((w) => w.message);
  const caseWarning = warnings.find((w) => /the labels "Tumor" \(1 slide\), "tumor" \(4 slides\) differ only in case or spaces/.test(w));
  assert.ok(caseWarning, warnings.join('\n'));
  const fewWarning = warnings.find((w) => /class "itc" has 1 slide, fewer than the 3 the splits need/.test(w));
  assert.ok(fewWarning, warnings.join('\n'));
  const training = aemTrain([file]);
  assert.ok(training.stderr.includes(`warn: ${caseWarning}`), training.stderr);
  assert.ok(training.stderr.includes(`warn: ${fewWarning}`), training.stderr);

  // With data.labels naming the classes, nothing to warn about, and a label with a trailing space still maps.
  const mapped = await dataset('mapped', slides, { labels: { normal: 0, tumor: 1, Tumor: 1, itc: 1 } });
  const clean = inspect(mapped);
  assert.deepEqual(clean.report.classes, ['normal', 'tumor/Tumor/itc']);
  assert.deepEqual(clean.report.warnings, []);
  assert.deepEqual(clean.report.problems, []);
  assert.equal(clean.code, 0);
});
