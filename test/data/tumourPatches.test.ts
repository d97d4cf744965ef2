// data.instanceTruth, a CSV of tumour patches (slide_id, x, y): parsing with the right line numbers,
// every bad row a problem naming the file, line and fix, the dataset index and inspect carrying it, and
// the engine's truth lookup matching patches to a bag's coordinates exactly as the synthetic presets'
// own truth files say.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { DataConfig } from '../../src/config/schema.js';
import { buildDatasetIndex } from '../../src/data/datasetIndex.js';
import { formatInspectReport, inspectDataset } from '../../src/data/inspect.js';
import { readBag } from '../../src/data/readBag.js';
import { ensureSyntheticDataset } from '../../src/data/synthetic.js';
import { parseTumourPatchesCsv, readTumourPatchesCsv, truthFromPatches } from '../../src/data/tumourPatchesCsv.js';
import { DataError, type DataProblem } from '../../src/data/types.js';
import { instanceTruthLookup } from '../../src/trainer/evaluate.js';
import { goldenDir } from '../helpers/paths.js';

const clamDir = path.join(goldenDir, 'clam_tiny');
const tmp = mkdtempSync(path.join(os.tmpdir(), 'aem-tumour-csv-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

function clamConfig(instanceTruth: string): DataConfig {
  return { format: 'clam', features: '.', featureType: 'auto', csv: 'dataset.csv', split: { kind: 'clam', file: 'splits_0.csv' }, instanceTruth };
}

function write(name: string, text: string): string {
  const file = path.join(tmp, name);
  writeFileSync(file, text);
  return file;
}

describe('tumour patches CSV', () => {
  it('reads slide_id, x, y in any column order with a BOM, blank lines, extra columns and repeated rows', () => {
    const problems: DataProblem[] = [];
    const t = parseTumourPatchesCsv('\ufeffY,note,slide_id,X\n256,a,s1,512\n\n0,,s1,0\n256,,s1,512\n-256,,s2,768\n', 'p.csv', problems);
    assert.deepEqual(problems, []);
    assert.ok(t);
    assert.equal(t.rows, 4);
    assert.deepEqual([...t.bySlide].map(([id, s]) => [id, [...s]]), [
      ['s1', ['512,256', '0,0']],
      ['s2', ['768,-256']],
    ]);
  });

  it('names the file, the real line (blank lines counted) and the fix for every bad row', () => {
    const file = write('bad.csv', 'slide_id,x,y\ns1,0,0\n\n,256,0\ns1,12.5,0\ns2,,abc\n');
    assert.throws(
      () => readTumourPatchesCsv(file),
      (err: unknown) => {
        assert.ok(err instanceof DataError);
        const messages = err.problems.map((p) => p.message);
        assert.equal(messages.length, 3, messages.join('\n'));
        assert.equal(messages[0], `${file}: line 4 has no slide_id. Fill in the slide_id or delete the line`);
        assert.equal(messages[1], `${file}: line 5 (slide s1): x "12.5" is not a whole number. Give the patch's top-left pixel coordinates as in the feature file's coords (integers)`);
        assert.match(messages[2] ?? '', /line 6 \(slide s2\): x "" and y "abc" are not a whole number/);
        for (const p of err.problems) assert.equal(p.file, file);
        return true;
      },
    );
  });

  it('says which columns are missing, and that a missing file is missing', () => {
    const file = write('cols.csv', 'slide,x\ns1,0\n');
    assert.throws(() => readTumourPatchesCsv(file), (e: Error) => e.message === `${file}: lacks the columns slide_id, y (line 1 has: slide, x). data.instanceTruth is a CSV with the columns slide_id, x, y: one row per tumour patch, at the coordinates of the feature file's coords`);
    const none = path.join(tmp, 'none.csv');
    assert.throws(() => readTumourPatchesCsv(none), (e: Error) => e instanceof DataError && e.message.startsWith(`${none}: the instance truth CSV does not exist. Check data.instanceTruth`));
  });

  it('turns a slide\'s patches into one byte per instance and counts patches no instance has', () => {
    const patches = new Set(['0,0', '256,0', '999,999']);
    const { truth, unmatched } = truthFromPatches(patches, [0, 0, 512, 0, 256, 0], 3);
    assert.deepEqual(Array.from(truth), [1, 0, 1]);
    assert.equal(unmatched, 1);
    assert.deepEqual(Array.from(truthFromPatches(undefined, [0, 0], 1).truth), [0]);
  });
});

describe('data.instanceTruth in the dataset index and inspect (golden clam_tiny)', () => {
  it('keeps the patches in the index, warns about slides the dataset lacks, and inspect prints it', async () => {
    const csv = write('c16.csv', 'slide_id,x,y\nslide_00,256,256\nslide_00,512,256\nslide_03,0,0\nslide_99,0,0\n');
    const warnings: DataProblem[] = [];
    const index = await buildDatasetIndex(clamConfig(csv), clamDir, { onWarning: (w) => warnings.push(w) });
    assert.equal(index.truthDir, undefined);
    assert.equal(index.tumourPatches?.file, csv);
    assert.deepEqual([...(index.tumourPatches?.bySlide.get('slide_00') ?? [])], ['256,256', '512,256']);
    assert.ok(warnings.some((w) => w.file === csv && /1 slide with tumour patches is not in the dataset: slide_99/.test(w.message)), JSON.stringify(warnings));
    const report = await inspectDataset(clamConfig(csv), clamDir);
    assert.deepEqual(report.instanceTruth, { file: csv, patches: 4, slides: 3 });
    assert.match(formatInspectReport(report), new RegExp(`truth: {4}${csv.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} \\(4 tumour patches on 3 slides\\)`));
  });

  it('stops the index with the CSV\'s problems, which inspect lists', async () => {
    const csv = write('c16-bad.csv', 'slide_id,x,y\nslide_00,1e3,0\n');
    await assert.rejects(buildDatasetIndex(clamConfig(csv), clamDir), (err: unknown) => err instanceof DataError && err.problems.some((p) => p.message.startsWith(`${csv}: line 2 (slide slide_00): x "1e3"`)));
    const report = await inspectDataset(clamConfig(csv), clamDir);
    assert.ok(report.problems.some((p) => p.file === csv && /line 2/.test(p.message)));
    assert.match(formatInspectReport(report), /1 problem:\n {2}- .*line 2 \(slide slide_00\)/);
  });
});

describe('the engine\'s truth lookup from data.instanceTruth (synthetic tiny preset)', () => {
  let made: Awaited<ReturnType<typeof ensureSyntheticDataset>>;
  let csv: string;
  before(async () => {
    made = await ensureSyntheticDataset({ preset: 'tiny', seed: 0, classes: 2, dir: path.join(tmp, 'tiny') });
    const rows = ['slide_id,x,y'];
    const slides = readFileSync(made.csv, 'utf8').trim().split('\n').slice(1).map((l) => l.split(',')[1] as string);
    for (const slideId of slides) {
      const bag = await readBag({ kind: 'h5', path: path.join(made.features, `${slideId}.h5`) }, slideId);
      const truth = readFileSync(path.join(made.truthDir, `${slideId}.u8`));
      for (let i = 0; i < bag.n; i++) if (truth[i] === 1) rows.push(`${slideId},${bag.coords?.[2 * i]},${bag.coords?.[2 * i + 1]}`);
    }
    csv = write('tiny-tumour.csv', `${rows.join('\n')}\n`);
  });

  it('gives every slide exactly the truth file of the preset, from coordinates', async () => {
    const config: DataConfig = { format: 'clam', features: made.features, featureType: 'h5', csv: made.csv, split: { kind: 'clam', file: made.splitFile }, instanceTruth: csv };
    const index = await buildDatasetIndex(config, tmp);
    const warnings: string[] = [];
    const fromCsv = instanceTruthLookup(index, (m) => warnings.push(m));
    const fromFiles = instanceTruthLookup({ truthDir: made.truthDir }, (m) => warnings.push(m));
    assert.ok(fromCsv && fromFiles);
    let tumourSlides = 0;
    for (const s of index.slides) {
      const bag = await readBag(s.source, s.slideId);
      const a: Uint8Array | undefined = await fromCsv(s.slideId, bag.n, bag.coords);
      const b: Uint8Array | undefined = await fromFiles(s.slideId, bag.n, bag.coords);
      assert.deepEqual(Array.from(a ?? []), Array.from(b ?? []), s.slideId);
      if (a?.some((t) => t === 1)) tumourSlides++;
    }
    assert.ok(tumourSlides > 0);
    assert.deepEqual(warnings, []);
    assert.equal(instanceTruthLookup({}, () => undefined), undefined);
  });

  it('warns once when listed patches match no coordinate, or the bag has none', async () => {
    const tumourPatches = { file: 't.csv', rows: 2, bySlide: new Map([['s', new Set(['0,0', '5,5'])]]) };
    const warnings: string[] = [];
    const lookup = instanceTruthLookup({ tumourPatches }, (m) => warnings.push(m));
    assert.ok(lookup);
    const coords = Int32Array.from([0, 0, 256, 0]);
    assert.deepEqual(Array.from((await lookup('s', 2, coords)) ?? []), [1, 0]);
    await lookup('s', 2, coords);
    assert.equal(warnings.length, 1);
    assert.match(warnings[0] ?? '', /^slide s: 1 of the 2 tumour patches in t\.csv match no patch coordinate/);
    const noCoords = instanceTruthLookup({ tumourPatches }, (m) => warnings.push(m));
    assert.equal(await noCoords?.('s', 2, undefined), undefined);
    assert.match(warnings[1] ?? '', /has no coords to match them to/);
  });
});
