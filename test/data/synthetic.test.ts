import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, rmSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, readdir, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import h5wasm from 'h5wasm/node';
import { ensureSyntheticDataset } from '../../src/data/synthetic.js';
import { parseManifest, type SyntheticManifest } from '../../src/data/syntheticFiles.js';
import { lookup3 } from '../../src/data/syntheticH5.js';
import { attentionMassOnTruth, readInstanceTruth } from '../../src/data/instanceTruth.js';
import { readBag } from '../../src/data/readBag.js';
import { float16BitsToFloat32 } from '../../src/data/float16.js';

const tmpRoot = await mkdtemp(path.join(os.tmpdir(), 'aem-synthetic-test-'));
process.on('exit', () => rmSync(tmpRoot, { recursive: true, force: true }));

async function manifestOf(dir: string): Promise<SyntheticManifest> {
  const m = parseManifest(await readFile(path.join(dir, 'manifest.json'), 'utf8'));
  assert.ok(m, 'manifest.json parses');
  return m;
}

async function filesUnder(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...(await filesUnder(p)).map((f) => path.join(e.name, f)));
    else out.push(e.name);
  }
  return out.sort();
}

const tinyDir = path.join(tmpRoot, 'tiny-s7');
const tinyPromise = ensureSyntheticDataset({ preset: 'tiny', seed: 7, classes: 2, dir: tinyDir });
tinyPromise.catch(() => undefined); // reported by the tests that await it

test('lookup3 matches Bob Jenkins\' published values (HDF5 metadata checksum)', () => {
  assert.equal(lookup3(new Uint8Array(0)), 0xdeadbeef);
  const text = new TextEncoder().encode('Four score and seven years ago');
  assert.equal(lookup3(text, 0), 0x17770551);
  assert.equal(lookup3(text, 1), 0xcd628161);
});

test('tiny preset writes the CLAM layout with matching manifest, csv and split file', async () => {
  const ds = await tinyPromise;
  assert.equal(ds.generated, true);
  assert.equal(ds.dir, tinyDir);
  assert.equal(ds.features, path.join(tinyDir, 'h5_files'));
  const m = await manifestOf(tinyDir);
  assert.equal(m.preset, 'tiny');
  assert.equal(m.seed, 7);
  assert.equal(m.classes, 2);
  assert.equal(m.dim, 32);
  assert.equal(m.dtype, 'float32');
  assert.deepEqual(m.classNames, ['normal', 'tumor']);
  assert.equal(m.slides.length, 48);
  assert.deepEqual([m.counts.train, m.counts.val, m.counts.test], [28, 8, 12]);
  assert.equal(m.counts.instances, m.slides.reduce((a, s) => a + s.n, 0));
  for (const s of m.slides) {
    assert.ok(s.n >= 20 && s.n <= 300, `bag size ${s.n} in [20, 300]`);
    assert.ok(existsSync(path.join(ds.features, `${s.slideId}.h5`)));
  }

  const csv = (await readFile(ds.csv, 'utf8')).trimEnd().split('\n');
  assert.equal(csv[0], 'case_id,slide_id,label');
  assert.deepEqual(csv.slice(1), m.slides.map((s) => `${s.caseId},${s.slideId},${s.label}`));

  // CLAM's splits_K.csv: empty first header cell, ragged columns padded with empty cells.
  const split = (await readFile(ds.splitFile, 'utf8')).trimEnd().split('\n');
  assert.equal(split[0], ',train,val,test');
  assert.equal(split.length, 1 + 28);
  const cols: string[][] = [[], [], []];
  split.slice(1).forEach((line, i) => {
    const cells = line.split(',');
    assert.equal(cells.length, 4);
    assert.equal(cells[0], String(i));
    cells.slice(1).forEach((c, k) => {
      if (c !== '') cols[k]?.push(c);
    });
  });
  assert.equal(split[split.length - 1], `27,${cols[0]?.[27]},,`);
  for (const [k, name] of (['train', 'val', 'test'] as const).entries()) {
    assert.deepEqual(cols[k], m.slides.filter((s) => s.split === name).map((s) => s.slideId));
  }
});

test('cases have 1-2 slides, each case sits in one split with one label, every split has both classes', async () => {
  const m = await manifestOf((await tinyPromise).dir);
  const byCase = new Map<string, SyntheticManifest['slides']>();
  for (const s of m.slides) byCase.set(s.caseId, [...(byCase.get(s.caseId) ?? []), s]);
  const sizes = [...byCase.values()].map((v) => v.length);
  assert.ok(sizes.every((n) => n === 1 || n === 2));
  assert.ok(sizes.some((n) => n === 2), 'some cases have two slides');
  for (const slides of byCase.values()) {
    assert.equal(new Set(slides.map((s) => s.split)).size, 1);
    assert.equal(new Set(slides.map((s) => s.label)).size, 1);
  }
  for (const split of ['train', 'val', 'test'] as const) {
    const labels = new Set(m.slides.filter((s) => s.split === split).map((s) => s.label));
    assert.deepEqual([...labels].sort(), ['normal', 'tumor'], `${split} has both classes`);
  }
});

test('features and coords read back through the real reader; coords carry CLAM attributes', async () => {
  const ds = await tinyPromise;
  const m = await manifestOf(ds.dir);
  const first = m.slides[0];
  assert.ok(first);
  const file = path.join(ds.features, `${first.slideId}.h5`);
  const bag = await readBag({ kind: 'h5', path: file }, first.slideId);
  assert.equal(bag.n, first.n);
  assert.equal(bag.d, 32);
  assert.equal(bag.dtype, 'float32');
  assert.ok(bag.features instanceof Float32Array);
  assert.ok(bag.features.every((v) => Number.isFinite(v)));
  assert.ok(bag.coords);
  assert.equal(bag.coords.length, first.n * 2);
  assert.ok(bag.coords.every((v) => v % 256 === 0), 'coords on the 256-pixel patch grid');
  const cells = new Set<string>();
  for (let i = 0; i < first.n; i++) cells.add(`${bag.coords[2 * i]},${bag.coords[2 * i + 1]}`);
  assert.equal(cells.size, first.n, 'every patch has its own position');

  await h5wasm.ready;
  const f = new h5wasm.File(file, 'r');
  try {
    assert.deepEqual(f.keys().sort(), ['coords', 'features']);
    const coords = f.get('coords');
    assert.ok(coords instanceof h5wasm.Dataset);
    assert.equal(coords.dtype, '<q');
    assert.deepEqual(coords.shape, [first.n, 2]);
    assert.equal(coords.attrs['patch_size']?.value, 256n);
    assert.equal(coords.attrs['patch_level']?.value, 0n);
    const feats = f.get('features');
    assert.ok(feats instanceof h5wasm.Dataset);
    assert.equal(feats.dtype, '<f');
    assert.deepEqual(Array.from(feats.value as Float32Array), Array.from(bag.features));
  } finally {
    f.close();
  }
});

test('instance truth: lesions only in tumour slides, 0.5-10 % of the bag (at least one), one compact region', async () => {
  const ds = await tinyPromise;
  const m = await manifestOf(ds.dir);
  for (const s of m.slides) {
    const truth = await readInstanceTruth(ds.truthDir, s.slideId);
    assert.ok(truth);
    assert.equal(truth.length, s.n);
    const count = truth.reduce((a, v) => a + v, 0);
    assert.equal(count, s.lesionCount);
    if (s.label === 'normal') {
      assert.equal(count, 0);
      continue;
    }
    assert.ok(count >= Math.max(1, Math.ceil(0.005 * s.n)), `${s.slideId}: ${count} of ${s.n}`);
    assert.ok(count <= Math.max(1, Math.floor(0.1 * s.n)), `${s.slideId}: ${count} of ${s.n}`);
  }
  const positives = m.slides.filter((s) => s.label === 'tumor');
  const fractions = positives.map((s) => s.lesionCount / s.n);
  assert.ok(Math.min(...fractions) < 0.02 && Math.max(...fractions) > 0.05, 'fractions span small and large lesions');
  // Lesion instances lie along the lesion direction: their mean differs from the rest of their bag.
  const s = positives.reduce((a, b) => (b.lesionCount > a.lesionCount ? b : a));
  const bag = await readBag({ kind: 'h5', path: path.join(ds.features, `${s.slideId}.h5`) }, s.slideId);
  const truth = (await readInstanceTruth(ds.truthDir, s.slideId)) as Uint8Array;
  let dist = 0;
  for (let j = 0; j < bag.d; j++) {
    let a = 0;
    let b = 0;
    for (let i = 0; i < bag.n; i++) {
      const v = bag.features[i * bag.d + j] ?? 0;
      if (truth[i] === 1) a += v;
      else b += v;
    }
    dist += (a / s.lesionCount - b / (bag.n - s.lesionCount)) ** 2;
  }
  assert.ok(Math.sqrt(dist) > 2, `lesion mean is shifted (${Math.sqrt(dist).toFixed(2)})`);
});

test('same seed gives identical files; another seed gives other values', async () => {
  const a = await tinyPromise;
  const bDir = path.join(tmpRoot, 'tiny-s7-again');
  await ensureSyntheticDataset({ preset: 'tiny', seed: 7, classes: 2, dir: bDir });
  const files = await filesUnder(a.dir);
  assert.deepEqual(await filesUnder(bDir), files);
  for (const f of files) {
    assert.ok((await readFile(path.join(a.dir, f))).equals(await readFile(path.join(bDir, f))), `${f} is byte-identical`);
  }
  const cDir = path.join(tmpRoot, 'tiny-s8');
  await ensureSyntheticDataset({ preset: 'tiny', seed: 8, classes: 2, dir: cDir });
  const first = (await manifestOf(a.dir)).slides[0]?.slideId ?? '';
  assert.ok(!(await readFile(path.join(a.dir, 'h5_files', `${first}.h5`))).equals(await readFile(path.join(cDir, 'h5_files', `${first}.h5`))));
  assert.notDeepEqual((await manifestOf(cDir)).slides, (await manifestOf(a.dir)).slides);
});

test('a matching dataset is reused untouched; other parameters regenerate it in place', async () => {
  const dir = path.join(tmpRoot, 'reuse');
  const first = await ensureSyntheticDataset({ preset: 'tiny', seed: 1, classes: 2, dir });
  assert.equal(first.generated, true);
  const before = (await stat(path.join(dir, 'manifest.json'))).mtimeMs;
  let progressCalls = 0;
  const again = await ensureSyntheticDataset({ preset: 'tiny', seed: 1, classes: 2, dir }, () => progressCalls++);
  assert.equal(again.generated, false);
  assert.equal(progressCalls, 0);
  assert.equal((await stat(path.join(dir, 'manifest.json'))).mtimeMs, before);

  const progress: [number, number][] = [];
  const other = await ensureSyntheticDataset({ preset: 'tiny', seed: 2, classes: 2, dir }, (d, t) => progress.push([d, t]));
  assert.equal(other.generated, true);
  assert.equal((await manifestOf(dir)).seed, 2);
  assert.deepEqual(progress[0], [0, 48]);
  assert.deepEqual(progress[progress.length - 1], [48, 48]);
  assert.deepEqual((await readdir(tmpRoot)).filter((n) => n.startsWith('reuse.')), [], 'no temporary folders left');
});

test('an interrupted generation leaves nothing that looks like a dataset; stale temp folders are cleaned', async () => {
  const dir = path.join(tmpRoot, 'interrupted');
  await assert.rejects(
    ensureSyntheticDataset({ preset: 'tiny', seed: 3, classes: 2, dir }, (done) => {
      if (done === 10) throw new Error('killed');
    }),
    /killed/,
  );
  assert.equal(existsSync(dir), false);
  // A folder left by a process that cannot exist (2^22 + 1 is above the largest pid_max Linux allows).
  const stale = `${dir}.tmp-4194305-deadbeef`;
  await mkdir(path.join(stale, 'h5_files'), { recursive: true });
  const ds = await ensureSyntheticDataset({ preset: 'tiny', seed: 3, classes: 2, dir });
  assert.equal(ds.generated, true);
  assert.equal(existsSync(stale), false);
  assert.deepEqual((await readdir(tmpRoot)).filter((n) => n.startsWith('interrupted.')), []);
});

test('a folder that is not a synthetic dataset is never replaced', async () => {
  const dir = path.join(tmpRoot, 'user-data');
  await mkdir(dir, { recursive: true });
  await writeFile(path.join(dir, 'precious.txt'), 'keep me');
  await assert.rejects(ensureSyntheticDataset({ preset: 'tiny', seed: 0, classes: 2, dir }), /not a synthetic dataset/);
  assert.equal(await readFile(path.join(dir, 'precious.txt'), 'utf8'), 'keep me');
  assert.deepEqual(await readdir(dir), ['precious.txt']);
});

test('float16 output stays float16 and matches the float32 values to half precision', async () => {
  const ds16 = await ensureSyntheticDataset({ preset: 'tiny', seed: 7, classes: 2, dir: path.join(tmpRoot, 'tiny-f16'), dtype: 'float16' });
  const ds32 = await tinyPromise;
  const m = await manifestOf(ds16.dir);
  assert.equal(m.dtype, 'float16');
  for (const s of m.slides.slice(0, 3)) {
    const b16 = await readBag({ kind: 'h5', path: path.join(ds16.features, `${s.slideId}.h5`) }, s.slideId);
    const b32 = await readBag({ kind: 'h5', path: path.join(ds32.features, `${s.slideId}.h5`) }, s.slideId);
    assert.equal(b16.dtype, 'float16');
    assert.ok(b16.features instanceof Uint16Array);
    const wide = float16BitsToFloat32(b16.features);
    assert.equal(wide.length, b32.features.length);
    for (let i = 0; i < wide.length; i++) {
      const ref = b32.features[i] ?? 0;
      assert.ok(Math.abs((wide[i] ?? 0) - ref) <= Math.abs(ref) * 2 ** -11 + 2 ** -24, `value ${i}`);
    }
    assert.deepEqual(b16.coords, b32.coords);
  }
});

test('4-class variant: graded labels, higher grades have more lesion instances', async () => {
  const ds = await ensureSyntheticDataset({ preset: 'tiny', seed: 5, classes: 4, dir: path.join(tmpRoot, 'tiny-4c') });
  const m = await manifestOf(ds.dir);
  assert.deepEqual(m.classNames, ['normal', 'low_grade', 'mid_grade', 'high_grade']);
  const meanFraction = (label: string): number => {
    const s = m.slides.filter((x) => x.label === label);
    assert.ok(s.length > 0, `${label} present`);
    return s.reduce((a, x) => a + x.lesionCount / x.n, 0) / s.length;
  };
  assert.equal(meanFraction('normal'), 0);
  assert.ok(meanFraction('low_grade') < meanFraction('mid_grade'));
  assert.ok(meanFraction('mid_grade') < meanFraction('high_grade'));
  const csvLabels = new Set((await readFile(ds.csv, 'utf8')).trimEnd().split('\n').slice(1).map((l) => l.split(',')[2]));
  assert.deepEqual([...csvLabels].sort(), ['high_grade', 'low_grade', 'mid_grade', 'normal']);
});

test('readInstanceTruth and attentionMassOnTruth', async () => {
  const ds = await tinyPromise;
  assert.equal(await readInstanceTruth(ds.truthDir, 'no_such_slide'), undefined);
  const truth = Uint8Array.from([0, 1, 1, 0]);
  assert.ok(Math.abs(attentionMassOnTruth(Float32Array.from([0.1, 0.2, 0.3, 0.4]), truth) - 0.5) < 1e-7);
  assert.equal(attentionMassOnTruth([0.25, 0.25, 0.25, 0.25], Uint8Array.from([0, 0, 0, 0])), 0);
  assert.throws(() => attentionMassOnTruth([0.5, 0.5], truth), /attention has 2 values but the instance truth has 4/);
});
