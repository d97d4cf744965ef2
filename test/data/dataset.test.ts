// The dataset index: CLAM split files (ragged and bool) against the golden manifest, label mapping,
// split kinds (column, seeded random by case, k-fold), folds, the ACMIL layout, truthDir, inspect.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { DataConfig } from '../../src/config/schema.js';
import { buildDatasetIndex, foldsOf } from '../../src/data/datasetIndex.js';
import { formatInspectReport, inspectDataset } from '../../src/data/inspect.js';
import { kfoldSplitByCase, randomSplitByCase, readClamSplitFile, type SplitSlide } from '../../src/data/splits.js';
import type { DatasetIndex, SplitName } from '../../src/data/types.js';
import { close, goldenDir, projectRoot } from '../helpers/paths.js';

const clamDir = path.join(goldenDir, 'clam_tiny');
const manifest = JSON.parse(readFileSync(path.join(clamDir, 'manifest.json'), 'utf8')) as {
  splits_0: Record<SplitName, string[]>;
  slides: Record<string, { n: number; label: string; sum: number; sum_fp16: number }>;
};
const acmilFile = path.join(projectRoot, 'test', 'fixtures', 'acmil', 'acmil.h5');
const tmp = mkdtempSync(path.join(os.tmpdir(), 'aem-dataset-test-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

function clamConfig(over: Partial<DataConfig> = {}): DataConfig {
  return { format: 'clam', features: '.', featureType: 'auto', csv: 'dataset.csv', split: { kind: 'clam', file: 'splits_0.csv' }, ...over };
}

function splitsOf(index: DatasetIndex): Record<SplitName, string[]> {
  const out: Record<SplitName, string[]> = { train: [], val: [], test: [] };
  for (const s of index.slides) out[s.split].push(s.slideId);
  for (const k of Object.keys(out) as SplitName[]) out[k].sort();
  return out;
}

test('both CLAM split files give the manifest splits', async () => {
  for (const file of ['splits_0.csv', 'splits_0_bool.csv']) {
    const index = await buildDatasetIndex(clamConfig({ split: { kind: 'clam', file } }), clamDir);
    assert.deepEqual(splitsOf(index), manifest.splits_0, file);
    const read = await readClamSplitFile(path.join(clamDir, file), []);
    assert.deepEqual(read, manifest.splits_0, `${file} read directly`);
  }
});

test('the index maps labels by sorted unique values and records everything a run needs', async () => {
  const index = await buildDatasetIndex(clamConfig(), clamDir);
  assert.deepEqual(index.classes, ['normal', 'tumor']);
  assert.equal(index.featureDim, 16);
  assert.equal(index.slides.length, 12);
  assert.equal(index.fold, undefined);
  assert.equal(index.truthDir, undefined);
  for (const s of index.slides) {
    assert.equal(s.label, s.labelName === 'normal' ? 0 : 1, s.slideId);
    assert.equal(s.labelName, manifest.slides[s.slideId]!.label);
    assert.deepEqual(s.source, { kind: 'h5', path: path.join(clamDir, 'h5_files', `${s.slideId}.h5`) });
    assert.match(s.caseId, /^case_0\d$/);
  }
});

test('featureType picks pt_files, and a folder of files works directly', async () => {
  const pt = await buildDatasetIndex(clamConfig({ featureType: 'pt' }), clamDir);
  assert.ok(pt.slides.every((s) => s.source.kind === 'pt' && s.source.path.endsWith(`pt_files/${s.slideId}.pt`)));
  const fp16 = await buildDatasetIndex(clamConfig({ features: 'h5_files_fp16' }), clamDir);
  assert.ok(fp16.slides.every((s) => s.source.path.includes('h5_files_fp16')));
  assert.equal(fp16.featureDim, 16);
});

test('an explicit label mapping is used as given', async () => {
  const index = await buildDatasetIndex(clamConfig({ labels: { tumor: 0, normal: 1 } }), clamDir);
  assert.deepEqual(index.classes, ['tumor', 'normal']);
  for (const s of index.slides) assert.equal(s.label, s.labelName === 'tumor' ? 0 : 1);
});

test('"{fold}" in a clam split file is replaced by the fold, and the index records it', async () => {
  const index = await buildDatasetIndex(clamConfig({ split: { kind: 'clam', file: 'splits_{fold}_bool.csv', folds: [0] } }), clamDir, { fold: 0 });
  assert.equal(index.fold, 0);
  assert.deepEqual(splitsOf(index), manifest.splits_0);
});

test('foldsOf lists the folds an experiment runs', () => {
  assert.equal(foldsOf(undefined), undefined);
  assert.equal(foldsOf({ kind: 'clam', file: 'x.csv' }), undefined);
  assert.deepEqual(foldsOf({ kind: 'clam', file: 'splits_{fold}.csv', folds: [0, 2] }), [0, 2]);
  assert.deepEqual(foldsOf({ kind: 'kfold', k: 4, seed: 0 }), [0, 1, 2, 3]);
  assert.deepEqual(foldsOf({ kind: 'kfold', k: 5, seed: 0, folds: [1, 3] }), [1, 3]);
  assert.equal(foldsOf({ kind: 'random', seed: 0, val: 0.1, test: 0.2 }), undefined);
  assert.equal(foldsOf({ kind: 'column', column: 'split' }), undefined);
});

function syntheticSlides(cases: number, slidesPerCase: number, positiveEvery: number): SplitSlide[] {
  const out: SplitSlide[] = [];
  for (let c = 0; c < cases; c++) {
    for (let s = 0; s < slidesPerCase; s++) {
      out.push({ slideId: `c${c}_s${s}`, caseId: `c${c}`, label: c % positiveEvery === 0 ? 1 : 0, extra: {} });
    }
  }
  return out;
}

function caseSplits(slides: SplitSlide[], bySlide: Map<string, SplitName>): Map<string, Set<SplitName>> {
  const m = new Map<string, Set<SplitName>>();
  for (const s of slides) m.set(s.caseId, (m.get(s.caseId) ?? new Set()).add(bySlide.get(s.slideId)!));
  return m;
}

test('random split: by case, stratified, sized by the fractions, and the same for the same seed', () => {
  const slides = syntheticSlides(40, 3, 5); // 8 positive cases, 32 negative
  const a = randomSplitByCase(slides, 7, 0.15, 0.25);
  assert.deepEqual(a, randomSplitByCase(slides, 7, 0.15, 0.25), 'deterministic');
  assert.notDeepEqual(a, randomSplitByCase(slides, 8, 0.15, 0.25), 'the seed matters');
  const perCase = caseSplits(slides, a);
  assert.ok([...perCase.values()].every((s) => s.size === 1), 'all slides of a case in one split');
  const count = (split: SplitName, label?: number): number => [...perCase].filter(([c, s]) => s.has(split) && (label === undefined || (Number(c.slice(1)) % 5 === 0 ? 1 : 0) === label)).length;
  assert.equal(count('test'), 10); // round(40 * 0.25)
  assert.equal(count('val'), 6); // round(40 * 0.15)
  assert.equal(count('train'), 24);
  assert.equal(count('test', 1), 2, 'test gets its share of the positive cases (8 * 0.25)');
  assert.equal(count('val', 1), 1, 'val: 6 * 8/40 = 1.2 positive cases, rounded by largest remainder');
});

test('k-fold: every case is tested exactly once; val is the next part; parts are stratified', () => {
  const slides = syntheticSlides(23, 2, 3);
  const k = 5;
  const tested = new Map<string, number>();
  const folds = [...Array(k).keys()].map((f) => kfoldSplitByCase(slides, k, 3, f));
  folds.forEach((bySlide, f) => {
    const perCase = caseSplits(slides, bySlide);
    assert.ok([...perCase.values()].every((s) => s.size === 1));
    for (const [c, s] of perCase) if (s.has('test')) tested.set(c, (tested.get(c) ?? 0) + 1);
    const next = folds[(f + 1) % k]!;
    for (const s of slides) assert.equal(bySlide.get(s.slideId) === 'val', next.get(s.slideId) === 'test', `fold ${f} val = part ${(f + 1) % k}`);
    const testCases = [...perCase].filter(([, s]) => s.has('test')).length;
    assert.ok(testCases === 4 || testCases === 5, `fold ${f} tests ${testCases} cases`);
  });
  assert.equal(tested.size, 23);
  assert.ok([...tested.values()].every((v) => v === 1));
  assert.deepEqual(kfoldSplitByCase(slides, k, 3, 2), folds[2], 'deterministic');
});

test('random and k-fold splits through the index keep patients together', async () => {
  const random = await buildDatasetIndex(clamConfig({ split: { kind: 'random', seed: 1, val: 0.2, test: 0.2 } }), clamDir);
  const kfold = await buildDatasetIndex(clamConfig({ split: { kind: 'kfold', k: 3, seed: 0 } }), clamDir, { fold: 2 });
  assert.equal(kfold.fold, 2);
  for (const index of [random, kfold]) {
    const byCase = new Map<string, Set<SplitName>>();
    for (const s of index.slides) byCase.set(s.caseId, (byCase.get(s.caseId) ?? new Set()).add(s.split));
    assert.ok([...byCase.values()].every((s) => s.size === 1));
    assert.equal(index.slides.length, 12);
  }
  assert.equal((await buildDatasetIndex(clamConfig({ split: { kind: 'kfold', k: 3, seed: 0 } }), clamDir)).fold, 0, 'default: the first fold');
});

test('a split column in the CSV', async () => {
  const dir = path.join(tmp, 'column');
  mkdirSync(dir);
  const lines = readFileSync(path.join(clamDir, 'dataset.csv'), 'utf8').trim().split('\n');
  const where = new Map(Object.entries(manifest.splits_0).flatMap(([s, ids]) => ids.map((id) => [id, s])));
  const csv = [`${lines[0]},split,site`, ...lines.slice(1).map((l) => `${l},${where.get(l.split(',')[1]!)},A`)].join('\n');
  writeFileSync(path.join(dir, 'dataset.csv'), csv);
  const index = await buildDatasetIndex(clamConfig({ features: path.join(clamDir, 'h5_files'), split: { kind: 'column', column: 'split' } }), dir);
  assert.deepEqual(splitsOf(index), manifest.splits_0);
  assert.deepEqual(index.slides[0]!.extra, { split: 'train', site: 'A' });
});

test('instance_truth/ beside the features sets truthDir', async () => {
  const dir = path.join(tmp, 'truth');
  cpSync(path.join(clamDir, 'h5_files'), path.join(dir, 'h5_files'), { recursive: true });
  cpSync(path.join(clamDir, 'dataset.csv'), path.join(dir, 'dataset.csv'));
  cpSync(path.join(clamDir, 'splits_0.csv'), path.join(dir, 'splits_0.csv'));
  mkdirSync(path.join(dir, 'instance_truth'));
  for (const features of ['.', 'h5_files']) {
    const index = await buildDatasetIndex(clamConfig({ features }), dir);
    assert.equal(index.truthDir, path.join(dir, 'instance_truth'), `features: ${features}`);
  }
});

test('ACMIL layout: labels from the label attributes, case = slide, CSV optional', async () => {
  const index = await buildDatasetIndex({ format: 'acmil', features: acmilFile, featureType: 'auto', split: { kind: 'random', seed: 0, val: 0.2, test: 0.34 } }, tmp);
  assert.deepEqual(index.classes, ['0', '1']);
  assert.equal(index.featureDim, 6);
  assert.equal(index.slides.length, 6);
  const expected = JSON.parse(readFileSync(path.join(projectRoot, 'test', 'fixtures', 'acmil', 'expected.json'), 'utf8')) as Record<string, { label: number }>;
  for (const s of index.slides) {
    assert.equal(s.caseId, s.slideId);
    assert.equal(s.label, expected[s.slideId]!.label);
    assert.deepEqual(s.source, { kind: 'acmil', path: acmilFile, group: s.slideId });
  }
  const dir = path.join(tmp, 'acmil');
  mkdirSync(dir);
  writeFileSync(path.join(dir, 'dataset.csv'), 'case_id,slide_id,site\np1,slide_0,A\np1,slide_1,A\np2,slide_2,B\np2,slide_3,B\np3,slide_4,C\np3,slide_5,C\n');
  const withCsv = await buildDatasetIndex({ format: 'acmil', features: acmilFile, featureType: 'auto', csv: 'dataset.csv', split: { kind: 'kfold', k: 3, seed: 0 } }, dir, { fold: 1 });
  assert.deepEqual(withCsv.slides.map((s) => s.caseId), ['p1', 'p1', 'p2', 'p2', 'p3', 'p3']);
  assert.equal(withCsv.slides[2]!.extra.site, 'B');
  assert.equal(new Set(withCsv.slides.filter((s) => s.split === 'test').map((s) => s.caseId)).size, 1);
});

test('inspect: per-slide sums match the manifest; totals per split and class; an aligned table', async () => {
  const report = await inspectDataset(clamConfig({ features: 'h5_files_fp16' }), clamDir);
  // splits_0 tests on two normal slides: training would refuse that, so inspect says so.
  assert.deepEqual(report.problems.map((p) => p.message), ['the test split has only class "normal" (2 slides): AUROC is undefined there and the test result would mean nothing; move slides of the other classes into it']);
  assert.equal(report.slides.length, 12);
  for (const s of report.slides) {
    const g = manifest.slides[s.slideId]!;
    assert.equal(s.n, g.n);
    assert.equal(s.d, 16);
    assert.equal(s.dtype, 'float16');
    assert.ok(close(s.sum!, g.sum_fp16), `${s.slideId} sum`);
  }
  const train = report.splits.find((t) => t.split === 'train')!;
  assert.deepEqual({ slides: train.slides, cases: train.cases }, { slides: 8, cases: 4 });
  assert.equal(train.instances, manifest.splits_0.train.reduce((a, id) => a + manifest.slides[id]!.n, 0));
  assert.deepEqual(train.perClass, [5, 3]);
  assert.deepEqual(report.classTotals.map((c) => [c.name, c.slides]), [['normal', 8], ['tumor', 4]]);
  const text = formatInspectReport(report);
  const lines = text.split('\n');
  const header = lines.find((l) => l.startsWith('slide '))!;
  const row = lines.find((l) => l.startsWith('slide_11'))!;
  assert.equal(row.indexOf('case_05'), header.indexOf('case'), 'columns line up');
  assert.equal(row.length, header.length, 'right-aligned sum column ends where its header ends');
  assert.match(text, /1 problem:\n {2}- the test split has only class "normal"/);
  assert.deepEqual(JSON.parse(JSON.stringify(report)).slides.length, 12, 'the report is plain JSON (for --json)');
});
