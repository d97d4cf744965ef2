// Bad input, with small files generated in a temp folder: each problem gets a message naming the file,
// the slide and the fix; buildDatasetIndex throws all of them at once and inspect lists all of them.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import h5wasm from 'h5wasm/node';
import type { DataConfig } from '../../src/config/schema.js';
import { buildDatasetIndex } from '../../src/data/datasetIndex.js';
import { h5Module } from '../../src/data/h5File.js';
import { inspectDataset } from '../../src/data/inspect.js';
import { readBag, readBagHeader } from '../../src/data/readBag.js';
import { DataError, type DataProblem, type FeatureSource } from '../../src/data/types.js';
import { goldenDir, projectRoot } from '../helpers/paths.js';

const clamDir = path.join(goldenDir, 'clam_tiny');
const tmp = mkdtempSync(path.join(os.tmpdir(), 'aem-bad-input-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

type H5Data = Float32Array | Float64Array | Int32Array | BigInt64Array;
interface H5Item {
  data: H5Data;
  shape: number[];
  dtype: string;
}

async function writeH5(file: string, items: Record<string, H5Item>, groupAttrs: Record<string, Record<string, string | number>> = {}): Promise<string> {
  await h5Module();
  const f = new h5wasm.File(file, 'w');
  try {
    for (const [group, attrs] of Object.entries(groupAttrs)) {
      const g = f.create_group(group);
      for (const [k, v] of Object.entries(attrs)) g.create_attribute(k, v);
    }
    for (const [name, it] of Object.entries(items)) f.create_dataset({ name, data: it.data, shape: it.shape, dtype: it.dtype });
  } finally {
    f.close();
  }
  return file;
}

function features(n: number, d: number, fill = 0.5): H5Item {
  return { data: new Float32Array(n * d).fill(fill), shape: [n, d], dtype: '<f' };
}

function coords(n: number): H5Item {
  return { data: new BigInt64Array(n * 2).fill(256n), shape: [n, 2], dtype: '<q' };
}

async function clamH5(file: string, n: number, d: number, coordRows = n): Promise<string> {
  return writeH5(file, { features: features(n, d), coords: coords(coordRows) });
}

async function problemsOf(fn: () => Promise<unknown>): Promise<DataProblem[]> {
  try {
    await fn();
  } catch (err) {
    assert.ok(err instanceof DataError, `expected a DataError, got ${String(err)}`);
    assert.equal(err.message, err.problems.map((p) => p.message).join('\n'));
    return err.problems;
  }
  assert.fail('expected a DataError');
}

/** One problem, naming the file and slide, with the fix as a second sentence. */
async function oneProblem(source: FeatureSource, slideId: string, what: RegExp, fix: RegExp): Promise<void> {
  const problems = await problemsOf(() => readBag(source, slideId));
  assert.equal(problems.length, 1);
  const p = problems[0]!;
  assert.equal(p.file, source.path);
  assert.equal(p.slideId, slideId);
  assert.ok(p.message.includes(source.path) && p.message.includes(slideId), p.message);
  assert.match(p.message, what);
  assert.match(p.message, fix);
}

test('a corrupt h5 file', async () => {
  const file = path.join(tmp, 'corrupt.h5');
  writeFileSync(file, Buffer.from('this is not an hdf5 file at all, just text'.repeat(20)));
  await oneProblem({ kind: 'h5', path: file }, 'corrupt', /cannot open as HDF5 \(.*signature/, /damaged, truncated or not HDF5: copy or extract it again/);
});

test('a truncated h5 file', async () => {
  const file = path.join(tmp, 'truncated.h5');
  writeFileSync(file, readFileSync(path.join(clamDir, 'h5_files', 'slide_00.h5')).subarray(0, 6000));
  await oneProblem({ kind: 'h5', path: file }, 'slide_00', /cannot open as HDF5 \(.*(truncated|eof)/i, /copy or extract it again/);
});

test('a truncated, a corrupt and a legacy-format pt file', async () => {
  const truncated = path.join(tmp, 'truncated.pt');
  const whole = readFileSync(path.join(clamDir, 'pt_files', 'slide_03.pt'));
  writeFileSync(truncated, whole.subarray(0, whole.length - 600));
  await oneProblem({ kind: 'pt', path: truncated }, 'slide_03', /cannot read the \.pt archive/, /truncated or damaged: copy or extract it again/);
  const corrupt = path.join(tmp, 'corrupt.pt');
  writeFileSync(corrupt, Buffer.alloc(300, 7));
  await oneProblem({ kind: 'pt', path: corrupt }, 'x', /not a torch \.pt file/, /Copy or extract the file again/);
  const legacy = path.join(projectRoot, 'test', 'fixtures', 'pt', 'legacy.pt');
  await oneProblem({ kind: 'pt', path: legacy }, 'old', /legacy \(pre-1\.6\) torch format/, /save it again/);
});

test('a missing features dataset', async () => {
  const file = await writeH5(path.join(tmp, 'nofeatures.h5'), { coords: coords(3) });
  await oneProblem({ kind: 'h5', path: file }, 's1', /no 'features' dataset in the file \(it has: coords\)/, /extract the features again/);
  const problems = await problemsOf(() => readBagHeader({ kind: 'h5', path: file }, 's1'));
  assert.match(problems[0]!.message, /no 'features' dataset/);
});

test('unsupported dtypes: float64 and int features in h5, float64 in pt', async () => {
  const f64 = await writeH5(path.join(tmp, 'f64.h5'), { features: { data: new Float64Array(8), shape: [2, 4], dtype: '<d' } });
  await oneProblem({ kind: 'h5', path: f64 }, 'f64', /'features' is float64; only float32 and float16/, /astype\('float32'\)/);
  const i32 = await writeH5(path.join(tmp, 'i32.h5'), { features: { data: new Int32Array(8), shape: [2, 4], dtype: '<i' } });
  await oneProblem({ kind: 'h5', path: i32 }, 'i32', /'features' is int32/, /astype/);
  const pt = path.join(projectRoot, 'test', 'fixtures', 'pt', 'double_f64.pt');
  await oneProblem({ kind: 'pt', path: pt }, 'd', /the tensor is float64; only float32 and float16/, /torch\.save\(features\.float\(\)/);
});

test('coordinates whose count differs from the features', async () => {
  const file = await clamH5(path.join(tmp, 'coords.h5'), 5, 4, 4);
  await oneProblem({ kind: 'h5', path: file }, 'c', /'coords' has 4 rows but 'features' has 5/, /extract the features again/);
  const header = await readBagHeader({ kind: 'h5', path: file });
  assert.equal(header.coordsRows, 4);
});

test('a file that is not a file, and a file that is missing', async () => {
  await oneProblem({ kind: 'h5', path: path.join(tmp, 'nope.h5') }, 'nope', /file not found/, /Check data\.features/);
  await oneProblem({ kind: 'pt', path: path.join(tmp, 'nope.pt') }, 'nope', /file not found/, /Check data\.features/);
});

/** A CLAM dataset with one of everything wrong. */
async function badDataset(): Promise<{ dir: string; config: DataConfig }> {
  const dir = path.join(tmp, 'bad');
  const h5 = path.join(dir, 'h5_files');
  mkdirSync(h5, { recursive: true });
  await clamH5(path.join(h5, 'good_a.h5'), 6, 4);
  await clamH5(path.join(h5, 'good_b.h5'), 5, 4);
  await clamH5(path.join(h5, 'good_c.h5'), 7, 4);
  await clamH5(path.join(h5, 'good_d.h5'), 4, 4);
  await clamH5(path.join(h5, 'other_dim.h5'), 6, 3);
  await clamH5(path.join(h5, 'bad_coords.h5'), 6, 4, 5);
  await clamH5(path.join(h5, 'empty.h5'), 0, 4);
  await clamH5(path.join(h5, 'strange_label.h5'), 3, 4);
  await clamH5(path.join(h5, 'orphan.h5'), 3, 4);
  writeFileSync(path.join(h5, 'corrupt.h5'), 'garbage'.repeat(100));
  writeFileSync(
    path.join(dir, 'dataset.csv'),
    [
      'case_id,slide_id,label',
      'p1,good_a,normal',
      'p2,good_b,tumor',
      'p3,good_c,normal',
      'p4,good_d,tumor',
      'p5,other_dim,normal',
      'p6,bad_coords,tumor',
      'p7,empty,normal',
      'p8,no_file,tumor',
      'p9,strange_label,benign',
      'p1,good_a,normal',
      'p10,corrupt,tumor',
    ].join('\n'),
  );
  writeFileSync(path.join(dir, 'splits_0.csv'), ',train,val,test\n0,good_a,,good_c\n1,good_b,,good_d\n2,ghost,,\n');
  return { dir, config: { format: 'clam', features: '.', featureType: 'auto', csv: 'dataset.csv', labels: { normal: 0, tumor: 1 }, split: { kind: 'clam', file: 'splits_0.csv' } } };
}

const expectedProblems: [RegExp, string | undefined][] = [
  [/other_dim .*the features have dimension 3, but \d+ other slides have 4.*same feature extractor/, 'other_dim'],
  [/bad_coords .*has 5 coordinates but 6 feature rows/, 'bad_coords'],
  [/empty .*no instances.*Remove the slide/, 'empty'],
  [/no_file.*no feature file no_file\.h5 in .*h5_files \(dataset CSV line 9\)\. Extract the slide's features, or remove its row/, 'no_file'],
  [/label "benign" \(slides strange_label\) is not in data\.labels \(normal, tumor\)\. Add it to data\.labels/, 'strange_label'],
  [/slide_id good_a appears twice in the dataset CSV \(lines 2 and 11\)\. Keep one row per slide/, 'good_a'],
  [/corrupt .*cannot open as HDF5/, 'corrupt'],
  [/the split file names ghost \(train\), which is not in the dataset/, 'ghost'],
  [/splits_0\.csv: the val split is empty\. Give the val split some slides/, undefined],
];

test('buildDatasetIndex throws every problem at once, each naming the slide and file', async () => {
  const { dir, config } = await badDataset();
  const problems = await problemsOf(() => buildDatasetIndex(config, dir));
  for (const [re, slide] of expectedProblems) {
    const hits = problems.filter((p) => re.test(p.message));
    assert.equal(hits.length, 1, `one problem matching ${re}; got:\n${problems.map((p) => p.message).join('\n')}`);
    if (slide) {
      assert.equal(hits[0]!.slideId, slide);
      assert.ok(hits[0]!.file, `${slide}'s problem names a file`);
    }
  }
  assert.equal(problems.length, expectedProblems.length, problems.map((p) => p.message).join('\n'));
});

test('inspect lists the same problems, warns about the orphan file, and still describes the good slides', async () => {
  const { dir, config } = await badDataset();
  const report = await inspectDataset(config, dir);
  assert.equal(report.problems.length, expectedProblems.length);
  for (const [re] of expectedProblems) assert.ok(report.problems.some((p) => re.test(p.message)), String(re));
  assert.ok(report.warnings.some((w) => /1 feature file has no row in the dataset CSV and is not used: orphan/.test(w.message)));
  const good = report.slides.find((s) => s.slideId === 'good_a')!;
  assert.equal(good.n, 6);
  assert.equal(good.sum, 6 * 4 * 0.5);
  assert.equal(good.split, 'train');
  const noFile = report.slides.find((s) => s.slideId === 'no_file')!;
  assert.equal(noFile.n, undefined);
});

test('buildDatasetIndex passes warnings to onWarning (a feature file with no CSV row)', async () => {
  const dir = path.join(tmp, 'orphan');
  mkdirSync(path.join(dir, 'h5_files'), { recursive: true });
  for (const slide of Object.keys(JSON.parse(readFileSync(path.join(clamDir, 'manifest.json'), 'utf8')).slides as object)) {
    copyFileSync(path.join(clamDir, 'h5_files', `${slide}.h5`), path.join(dir, 'h5_files', `${slide}.h5`));
  }
  await clamH5(path.join(dir, 'h5_files', 'extra_slide.h5'), 3, 16);
  copyFileSync(path.join(clamDir, 'dataset.csv'), path.join(dir, 'dataset.csv'));
  copyFileSync(path.join(clamDir, 'splits_0.csv'), path.join(dir, 'splits_0.csv'));
  const warnings: DataProblem[] = [];
  const index = await buildDatasetIndex({ format: 'clam', features: '.', featureType: 'auto', csv: 'dataset.csv', split: { kind: 'clam', file: 'splits_0.csv' } }, dir, { onWarning: (w) => warnings.push(w) });
  assert.equal(index.slides.length, 12);
  assert.equal(warnings.length, 1);
  assert.match(warnings[0]!.message, /extra_slide/);
  assert.equal(warnings[0]!.file, path.join(dir, 'h5_files'));
});

test('a CSV without the needed columns', async () => {
  const dir = path.join(tmp, 'columns');
  mkdirSync(dir);
  writeFileSync(path.join(dir, 'dataset.csv'), 'patient,slide,diagnosis\np1,slide_00,tumor\n');
  const problems = await problemsOf(() => buildDatasetIndex({ format: 'clam', features: path.join(clamDir, 'h5_files'), featureType: 'auto', csv: 'dataset.csv' }, dir));
  assert.equal(problems.length, 1);
  assert.match(problems[0]!.message, /lacks the columns case_id, slide_id, label \(it has: patient, slide, diagnosis\)\. A dataset CSV needs/);
  assert.equal(problems[0]!.file, path.join(dir, 'dataset.csv'));
});

test('one class only, and a split column with bad values', async () => {
  const dir = path.join(tmp, 'oneclass');
  mkdirSync(dir);
  writeFileSync(path.join(dir, 'dataset.csv'), 'case_id,slide_id,label,split\nc0,slide_00,tumor,train\nc1,slide_01,tumor,holdout\n');
  const problems = await problemsOf(() => buildDatasetIndex({ format: 'clam', features: path.join(clamDir, 'h5_files'), featureType: 'auto', csv: 'dataset.csv', split: { kind: 'column', column: 'split' } }, dir));
  assert.ok(problems.some((p) => /only 1 class \(labels seen: tumor\); training needs 2 or more/.test(p.message)), problems.map((p) => p.message).join('\n'));
});

test('a slide in two splits of a split file, and a kfold fold out of range', async () => {
  const dir = path.join(tmp, 'twosplits');
  mkdirSync(dir);
  writeFileSync(path.join(dir, 'splits.csv'), ',train,val,test\n0,slide_00,slide_00,slide_10\n1,slide_01,slide_09,\n');
  const cfg: DataConfig = { format: 'clam', features: clamDir, featureType: 'auto', csv: path.join(clamDir, 'dataset.csv'), split: { kind: 'clam', file: 'splits.csv' } };
  const problems = await problemsOf(() => buildDatasetIndex(cfg, dir));
  assert.ok(problems.some((p) => /puts slide_00 in both train and val/.test(p.message) && p.slideId === 'slide_00'));
  const kfold = await problemsOf(() => buildDatasetIndex({ ...cfg, split: { kind: 'kfold', k: 3, seed: 0 } }, dir, { fold: 3 }));
  assert.match(kfold[0]!.message, /fold 3 does not exist for 3-fold cross-validation\. Use folds 0 to 2/);
});

test('NaN features: inspect reports the instance row', async () => {
  const dir = path.join(tmp, 'nan');
  mkdirSync(path.join(dir, 'h5_files'), { recursive: true });
  const bad = features(4, 2);
  bad.data[5] = Number.NaN;
  await writeH5(path.join(dir, 'h5_files', 's_nan.h5'), { features: bad });
  await clamH5(path.join(dir, 'h5_files', 's_ok.h5'), 3, 2);
  await clamH5(path.join(dir, 'h5_files', 's_ok2.h5'), 3, 2);
  writeFileSync(path.join(dir, 'dataset.csv'), 'case_id,slide_id,label\na,s_nan,0\nb,s_ok,1\nc,s_ok2,1\n');
  writeFileSync(path.join(dir, 'splits.csv'), ',train,val,test\n0,s_nan,s_ok,s_ok2\n');
  const report = await inspectDataset({ format: 'clam', features: '.', featureType: 'auto', csv: 'dataset.csv', split: { kind: 'clam', file: 'splits.csv' } }, dir);
  // Val and test hold one slide of class 1 each, which training refuses too.
  const nan = report.problems.filter((p) => !/split has only class/.test(p.message));
  assert.equal(nan.length, 1, report.problems.map((p) => p.message).join('\n'));
  assert.match(nan[0]!.message, /s_nan .*instance row 2 has a NaN or infinite feature value\. Extract the slide's features again/);
});

test('ACMIL: a group without a label, one without feat, a CSV slide missing from the file', async () => {
  const file = await writeH5(path.join(tmp, 'acmil_bad.h5'), {
    'g1/feat': features(3, 4),
    'g2/feat': features(2, 4),
    'g3/coords': coords(2),
    'g4/feat': features(2, 4),
  }, { g1: { label: 'tumor' }, g2: {}, g3: { label: 'normal' }, g4: { label: 'normal' } });
  const cfg: DataConfig = { format: 'acmil', features: file, featureType: 'auto' };
  const problems = await problemsOf(() => buildDatasetIndex(cfg, tmp));
  const text = problems.map((p) => p.message).join('\n');
  assert.match(text, /g2 .*group g2 has no 'label' attribute\. Give each slide group a label attribute/);
  assert.match(text, /g3 .*no 'g3\/feat' dataset in group 'g3' \(it has: coords\)/);
  const csv = path.join(tmp, 'acmil.csv');
  writeFileSync(csv, 'slide_id,label\ng1,tumor\ng4,normal\ng9,tumor\n');
  const withCsv = await problemsOf(() => buildDatasetIndex({ ...cfg, csv }, tmp));
  assert.ok(withCsv.some((p) => /no group g9 in the ACMIL file \(dataset CSV line 4\)/.test(p.message) && p.slideId === 'g9'), withCsv.map((p) => p.message).join('\n'));
});
