// The map view's data layer on a real run (tiny synthetic preset, trained here) and on hand-made inputs:
// the pack read slide by slide equals the whole-file reader, predictions, patch size from the h5
// attributes and from coordinate spacing, scaling, top-k with cumulative mass, tumour mass against the
// engine's own metric, and clear errors for a missing or cut-short pack.
import assert from 'node:assert/strict';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { CLASS_NAMES } from '../../src/data/syntheticPlan.js';
import { PATCH_SIZE } from '../../src/data/syntheticPresets.js';
import { mapRunMessage } from '../../src/attentionMaps/messages.js';
import { parseMetricsLines } from '../../src/protocol/events.js';
import { readTensorPack } from '../../src/trainer/tensorPack.js';
import { viridisLut } from '../../src/attentionMaps/colourMap.js';
import { attentionRow, meanHeadEntropy } from '../../src/attentionMaps/heads.js';
import { AttentionPackIndex } from '../../src/attentionMaps/packIndex.js';
import { coordinateSpacing, patchGrid, patchSizeOf } from '../../src/attentionMaps/patchGeometry.js';
import { parsePredictionsCsv } from '../../src/attentionMaps/predictionsCsv.js';
import { RunMaps } from '../../src/attentionMaps/runMaps.js';
import { scaleAttention } from '../../src/attentionMaps/scale.js';
import { errorsFirst, type SlideRow } from '../../src/attentionMaps/slideRows.js';
import { attentionOrder, ranksOf, topPatches } from '../../src/attentionMaps/topk.js';
import { syntheticDatasetDir } from '../../src/trainer/resolveData.js';
import { trainSynthetic } from '../helpers/syntheticRun.js';

describe('attention maps: pure parts', () => {
  it('scales raw to the maximum, percentile by average rank, log between the smallest positive value and the maximum', () => {
    const v = [0.1, 0.4, 0.1, 0.4, 0.0];
    assert.deepEqual(Array.from(scaleAttention(v, 'raw').t).map((x) => +x.toFixed(6)), [0.25, 1, 0.25, 1, 0]);
    // sorted: 0 (rank 0), 0.1 0.1 (ranks 1,2 -> 1.5), 0.4 0.4 (ranks 3,4 -> 3.5); divided by n - 1 = 4
    assert.deepEqual(Array.from(scaleAttention(v, 'percentile').t), [0.375, 0.875, 0.375, 0.875, 0]);
    const log = scaleAttention([0.001, 0.01, 0.1], 'log');
    assert.deepEqual(Array.from(log.t).map((x) => +x.toFixed(6)), [0, 0.5, 1]);
    assert.equal(log.lo, 0.001);
    assert.equal(log.hi, 0.1);
  });

  it('lists the top k with cumulative mass and ranks every patch', () => {
    const v = [0.05, 0.5, 0.2, 0.25];
    const top = topPatches(v, 3);
    assert.deepEqual(top.map((p) => p.index), [1, 3, 2]);
    assert.deepEqual(top.map((p) => +p.cumulative.toFixed(6)), [0.5, 0.75, 0.95]);
    assert.deepEqual(Array.from(ranksOf(attentionOrder(v))), [4, 1, 3, 2]);
  });

  it('takes the patch size from the attribute, else the coordinate spacing, else lays patches out by index', () => {
    const coords = [512, 0, 768, 0, 512, 256, 1024, 512];
    assert.equal(coordinateSpacing(coords), 256);
    assert.deepEqual(patchSizeOf(coords, {}), { size: 256, source: 'spacing' });
    assert.deepEqual(patchSizeOf(coords, { patchSize: 224, patchLevel: 1 }), { size: 224, source: 'attribute', level: 1 });
    assert.deepEqual(patchSizeOf(undefined, {}), { size: 1, source: 'index' });
    const grid = patchGrid(4, coords, 256);
    assert.equal(grid.width, 3);
    assert.equal(grid.height, 3);
    assert.deepEqual(Array.from(grid.cx), [0, 1, 0, 2]);
    assert.equal(grid.cellInstance[2 * 3 + 2], 3);
    const byIndex = patchGrid(5, undefined, 1);
    assert.deepEqual([byIndex.width, byIndex.height], [3, 2]);
  });

  it('averages heads into one distribution and averages their entropies', () => {
    const a = [1, 0, 0.5, 0.5];
    assert.deepEqual(Array.from(attentionRow(a, 2, 2, 'mean')), [0.75, 0.25]);
    assert.deepEqual(Array.from(attentionRow(a, 2, 2, 1)), [0.5, 0.5]);
    assert.throws(() => attentionRow(a, 2, 2, 2), /head 2 does not exist/);
    assert.ok(Math.abs(meanHeadEntropy(a, 2, 2) - Math.log(2) / 2) < 1e-12);
  });

  it('orders wrong slides first, then the least confident', () => {
    const row = (slideId: string, correct: boolean, probability: number) => ({ slideId, correct, probability }) as SlideRow;
    const rows = [row('a', true, 0.6), row('b', false, 0.9), row('c', true, 0.55), row('d', false, 0.7)];
    assert.deepEqual(rows.sort(errorsFirst).map((r) => r.slideId), ['d', 'b', 'c', 'a']);
  });

  it('has a viridis LUT with the published end points and rising lightness', () => {
    const lut = viridisLut();
    assert.deepEqual(Array.from(lut.subarray(0, 4)), [68, 1, 84, 255]);
    assert.deepEqual(Array.from(lut.subarray(255 * 4, 256 * 4)), [253, 231, 37, 255]);
    const luma = (e: number) => 0.2126 * (lut[e * 4] as number) + 0.7152 * (lut[e * 4 + 1] as number) + 0.0722 * (lut[e * 4 + 2] as number);
    for (let e = 1; e < 256; e++) assert.ok(luma(e) >= luma(e - 1) - 0.5, `lightness falls at entry ${e}`);
  });

  it('rejects a predictions file without class columns, naming the file', () => {
    assert.throws(() => parsePredictionsCsv('slide_id,split,label,label_name,predicted,epoch\na,val,0,x,x,1\n', 'p.csv'), /p\.csv: needs a p_<class> column/);
  });
});

describe('attention maps of a real run (tiny synthetic preset)', () => {
  let workspace: string;
  let runDir: string;

  before(async () => {
    workspace = mkdtempSync(path.join(os.tmpdir(), 'aem-maps-'));
    const run = await trainSynthetic(workspace, { lambda: 0.1, epochs: 2, seed: 0 });
    runDir = run.dir;
  });
  after(() => rmSync(workspace, { recursive: true, force: true }));

  it('reads each slide from its offsets exactly as the whole-file reader does', () => {
    const whole = readTensorPack<unknown>(path.join(runDir, 'attention-best.pack'));
    const index = AttentionPackIndex.open(path.join(runDir, 'attention-best.pack'));
    assert.ok(index.slides.length > 0);
    for (const s of index.slides) {
      const one = index.read(s.slideId);
      assert.deepEqual(Array.from(one.attention), Array.from(whole.arrays.get(`attention/${s.slideId}`)?.data ?? []));
      assert.deepEqual(Array.from(one.coords ?? []), Array.from(whole.arrays.get(`coords/${s.slideId}`)?.data ?? []));
    }
  });

  it('lists every predicted slide with its prediction, entropy and tumour mass; the test mean equals the engine metric', () => {
    const maps = new RunMaps(runDir);
    assert.deepEqual(maps.kinds(), ['best', 'last']);
    const best = maps.list('best');
    const csvLines = readFileSync(path.join(runDir, 'predictions-best.csv'), 'utf8').trim().split('\n').length - 1;
    assert.equal(best.slides.length, csvLines);
    for (const r of best.slides) {
      assert.ok(r.n > 0 && r.heads === 1 && r.hasCoords, `slide ${r.slideId}`);
      assert.ok(r.entropy !== null && r.entropy > 0 && r.entropy <= Math.log(r.n) + 1e-9);
      assert.equal(r.correct, r.predicted === r.label);
    }
    const line = parseMetricsLines(readFileSync(path.join(runDir, 'metrics.jsonl'), 'utf8')).find((l) => l.split === 'test' && l.epoch === best.epoch);
    assert.ok(line && 'tumourAttention' in line && typeof line.tumourAttention === 'number', 'the engine reported a tumour attention mass');
    const masses = best.slides.filter((r) => r.split === 'test' && r.tumourMass !== null).map((r) => r.tumourMass as number);
    assert.ok(masses.length > 0);
    const mean = masses.reduce((s, m) => s + m, 0) / masses.length;
    assert.ok(Math.abs(mean - line.tumourAttention) < 1e-6, `mean ${mean} vs metric ${line.tumourAttention}`);
  });

  it('gives a slide its attention, coordinates, the patch size of the h5 attribute and its tumour patches', async () => {
    const maps = new RunMaps(runDir);
    const positive = maps.list('best').slides.find((r) => r.tumourMass !== null);
    assert.ok(positive);
    const slide = await maps.slide('best', positive.slideId);
    assert.equal(slide.attention.length, slide.n);
    assert.equal(slide.coords?.length, slide.n * 2);
    assert.deepEqual(slide.patch, { size: PATCH_SIZE, source: 'attribute', level: 0 });
    assert.equal(slide.patchNote, undefined);
    assert.ok(slide.tumour && slide.tumour.length > 0);
    const mass = slide.tumour.reduce((s, i) => s + (slide.attention[i] as number), 0);
    assert.ok(Math.abs(mass - (positive.tumourMass as number)) < 1e-9);
  });

  it('with data.instanceTruth (a CSV of tumour patches) trains to the same tumour attention and maps the same tumour', async () => {
    const maps = new RunMaps(runDir);
    const best = maps.list('best');
    const rows = ['slide_id,x,y'];
    const tumourOf = new Map<string, number[]>();
    for (const r of best.slides) {
      const slide = await maps.slide('best', r.slideId);
      tumourOf.set(r.slideId, slide.tumour ?? []);
      for (const i of slide.tumour ?? []) rows.push(`${r.slideId},${slide.coords?.[2 * i]},${slide.coords?.[2 * i + 1]}`);
    }
    assert.ok(rows.length > 1);
    const csv = path.join(workspace, 'tumour-patches.csv');
    writeFileSync(csv, `${rows.join('\n')}\n`);
    // The generated dataset read as clam data, its truth folder replaced by the CSV: the same run otherwise.
    const config = JSON.parse(readFileSync(path.join(runDir, 'config.json'), 'utf8')) as { experiment: Parameters<typeof syntheticDatasetDir>[0]; baseDir: string };
    const dataset = syntheticDatasetDir(config.experiment, config.baseDir);
    const data = { format: 'clam', features: path.join(dataset, 'h5_files'), featureType: 'h5', csv: path.join(dataset, 'dataset.csv'), split: { kind: 'clam', file: path.join(dataset, 'splits_0.csv') }, labels: Object.fromEntries(CLASS_NAMES[2].map((n, i) => [n, i])), instanceTruth: csv };
    const other = mkdtempSync(path.join(os.tmpdir(), 'aem-maps-csv-'));
    try {
      const run = await trainSynthetic(other, { lambda: 0.1, epochs: 2, seed: 0, data });
      const tumourLines = (dir: string) => parseMetricsLines(readFileSync(path.join(dir, 'metrics.jsonl'), 'utf8')).flatMap((l) => ('tumourAttention' in l ? [[l.epoch, l.split, l.tumourAttention]] : []));
      const expected = tumourLines(runDir);
      assert.ok(expected.length > 0);
      assert.deepEqual(tumourLines(run.dir), expected);
      const fromCsv = new RunMaps(run.dir);
      assert.equal(fromCsv.files.truthDir, undefined);
      assert.equal(fromCsv.files.tumourCsv, csv);
      const listed = fromCsv.list('best');
      assert.deepEqual(listed.slides.map((r) => [r.slideId, r.tumourMass]), best.slides.map((r) => [r.slideId, r.tumourMass]));
      assert.equal(listed.meanTumourMass, best.meanTumourMass);
      for (const [slideId, tumour] of tumourOf) assert.deepEqual((await fromCsv.slide('best', slideId)).tumour, tumour, slideId);
      assert.equal(mapRunMessage('r', 'r', fromCsv).truthNote, null);
      // A CSV that went bad after training: no tumour, and the view is told why, naming the file and line.
      writeFileSync(csv, 'slide_id,x,y\nslide_a,12.5,0\n');
      const broken = new RunMaps(run.dir);
      assert.ok(broken.list('best').slides.every((r) => r.tumourMass === null));
      const note = mapRunMessage('r', 'r', broken).truthNote ?? '';
      assert.ok(note.startsWith(`No tumour outline: ${csv}: line 2 (slide slide_a): x "12.5" is not a whole number`), note);
    } finally {
      rmSync(other, { recursive: true, force: true });
    }
  });

  it('names the file when the pack is missing or cut short', () => {
    const copy = mkdtempSync(path.join(os.tmpdir(), 'aem-maps-cut-'));
    try {
      const file = path.join(copy, 'attention-best.pack');
      assert.throws(() => AttentionPackIndex.open(file), (e: Error) => e.message.startsWith(file) && /missing/.test(e.message));
      copyFileSync(path.join(runDir, 'attention-best.pack'), file);
      truncateSync(file, statSync(file).size - 10);
      const index = AttentionPackIndex.open(file);
      const last = index.slides[index.slides.length - 1];
      assert.ok(last);
      assert.throws(() => index.read(last.slideId), (e: Error) => e.message.startsWith(file) && /cut short/.test(e.message));
      truncateSync(file, 20);
      assert.throws(() => AttentionPackIndex.open(file), /cut short: its header needs/);
    } finally {
      rmSync(copy, { recursive: true, force: true });
    }
  });
});
