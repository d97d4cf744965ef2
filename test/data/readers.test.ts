// The feature readers against the golden CLAM dataset (h5py / torch.save) and the fixtures made with real
// torch.save and h5py (test/fixtures/make_pt_fixtures.py): shapes, values, sums, coordinates, views,
// float16 kept as bits, and the h5 fast path agreeing with h5wasm.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
import path from 'node:path';
import { float16BitsToFloat32, float16ToNumber, float32ToFloat16Bits, numberToFloat16Bits } from '../../src/data/float16.js';
import { datasetInfo, objectAddress, withH5File } from '../../src/data/h5File.js';
import { planRawRead } from '../../src/data/h5Raw.js';
import { CLAM_H5_PATHS, readH5Bag } from '../../src/data/h5Reader.js';
import { featureSum } from '../../src/data/inspect.js';
import { findNonFinite, readBag, readBagHeader } from '../../src/data/readBag.js';
import type { Bag, FeatureSource } from '../../src/data/types.js';
import { close, goldenDir, projectRoot } from '../helpers/paths.js';

interface GoldenSlide {
  n: number;
  d: number;
  label: string;
  sum: number;
  sum_fp16: number;
  first_row: number[];
  coords_first: number[];
}
const clamDir = path.join(goldenDir, 'clam_tiny');
const manifest = JSON.parse(readFileSync(path.join(clamDir, 'manifest.json'), 'utf8')) as { slides: Record<string, GoldenSlide> };
const fixtures = path.join(projectRoot, 'test', 'fixtures');

function row(bag: Bag, i: number): number[] {
  const f = bag.features.subarray(i * bag.d, (i + 1) * bag.d);
  return f instanceof Uint16Array ? [...float16BitsToFloat32(f)] : [...f];
}

function assertGolden(bag: Bag, g: GoldenSlide, slide: string, withCoords: boolean): void {
  assert.equal(bag.slideId, slide);
  assert.equal(bag.n, g.n, `${slide} n`);
  assert.equal(bag.d, g.d, `${slide} d`);
  assert.equal(bag.features.length, g.n * g.d);
  if (withCoords) {
    assert.ok(bag.coords, `${slide} has coords`);
    assert.equal(bag.coords.length, g.n * 2);
    assert.deepEqual([...bag.coords.subarray(0, 2)], g.coords_first, `${slide} coords_first`);
  }
}

for (const [slide, g] of Object.entries(manifest.slides)) {
  test(`golden ${slide}: h5 float32 gives the manifest's shape, first row, coordinates and sum`, async () => {
    const source: FeatureSource = { kind: 'h5', path: path.join(clamDir, 'h5_files', `${slide}.h5`) };
    const bag = await readBag(source, slide);
    assert.equal(bag.dtype, 'float32');
    assert.ok(bag.features instanceof Float32Array);
    assertGolden(bag, g, slide, true);
    assert.deepEqual(row(bag, 0), g.first_row.map(Math.fround));
    assert.ok(close(featureSum(bag), g.sum), `${slide} sum ${featureSum(bag)} vs ${g.sum}`);
    const viaH5wasm = await readH5Bag(source.path, CLAM_H5_PATHS, slide, { direct: false });
    assert.deepEqual(viaH5wasm.features, bag.features, 'fast path and h5wasm agree');
    assert.deepEqual(viaH5wasm.coords, bag.coords);
  });

  test(`golden ${slide}: h5 float16 (gzip chunks) stays float16 bits and sums to sum_fp16`, async () => {
    const bag = await readBag({ kind: 'h5', path: path.join(clamDir, 'h5_files_fp16', `${slide}.h5`) }, slide);
    assert.equal(bag.dtype, 'float16');
    assert.ok(bag.features instanceof Uint16Array);
    assertGolden(bag, g, slide, true);
    // h5py's astype(float16) rounds to nearest even, as float32ToFloat16Bits must.
    assert.deepEqual([...bag.features.subarray(0, g.d)], [...float32ToFloat16Bits(g.first_row)]);
    assert.ok(close(featureSum(bag), g.sum_fp16), `${slide} fp16 sum ${featureSum(bag)} vs ${g.sum_fp16}`);
  });

  test(`golden ${slide}: pt gives the manifest's shape, first row and sum`, async () => {
    const bag = await readBag({ kind: 'pt', path: path.join(clamDir, 'pt_files', `${slide}.pt`) }, slide);
    assert.equal(bag.dtype, 'float32');
    assertGolden(bag, g, slide, false);
    assert.equal(bag.coords, undefined);
    assert.deepEqual(row(bag, 0), g.first_row.map(Math.fround));
    assert.ok(close(featureSum(bag), g.sum));
  });
}

test('headers come from metadata alone and agree with the bags', async () => {
  for (const [slide, g] of Object.entries(manifest.slides)) {
    const h5 = await readBagHeader({ kind: 'h5', path: path.join(clamDir, 'h5_files', `${slide}.h5`) });
    assert.deepEqual({ ...h5 }, { n: g.n, d: g.d, dtype: 'float32', hasCoords: true, bytes: g.n * g.d * 4, coordsRows: g.n });
    const fp16 = await readBagHeader({ kind: 'h5', path: path.join(clamDir, 'h5_files_fp16', `${slide}.h5`) });
    assert.equal(fp16.dtype, 'float16');
    assert.equal(fp16.bytes, g.n * g.d * 2);
    const pt = await readBagHeader({ kind: 'pt', path: path.join(clamDir, 'pt_files', `${slide}.pt`) });
    assert.deepEqual({ ...pt }, { n: g.n, d: g.d, dtype: 'float32', hasCoords: false, bytes: g.n * g.d * 4 });
  }
});

test('the one-instance slide (slide_11) loads in every format', async () => {
  for (const source of [
    { kind: 'h5', path: path.join(clamDir, 'h5_files', 'slide_11.h5') },
    { kind: 'h5', path: path.join(clamDir, 'h5_files_fp16', 'slide_11.h5') },
    { kind: 'pt', path: path.join(clamDir, 'pt_files', 'slide_11.pt') },
  ] as FeatureSource[]) {
    const bag = await readBag(source, 'slide_11');
    assert.equal(bag.n, 1);
    assert.equal(bag.features.length, 16);
  }
});

interface PtExpected {
  shape: [number, number];
  dtype: 'float32' | 'float16';
  stride: number[];
  storage_offset: number;
  values: number[];
}
const ptExpected = JSON.parse(readFileSync(path.join(fixtures, 'pt', 'expected.json'), 'utf8')) as Record<string, PtExpected>;

test('pt fixtures cover a storage offset, transposed and sliced views and float16', () => {
  const e = ptExpected;
  assert.ok(e.offset_f32!.storage_offset > 0);
  assert.notDeepEqual(e.transposed_f32!.stride, [e.transposed_f32!.shape[1], 1]);
  assert.notDeepEqual(e.sliced_f32!.stride, [e.sliced_f32!.shape[1], 1]);
  assert.ok(e.sliced_f32!.storage_offset > 0);
  assert.equal(e.half_f16!.dtype, 'float16');
  assert.ok(e.half_view_f16!.storage_offset > 0 && e.half_view_f16!.stride[1] !== 1);
});

for (const [name, e] of Object.entries(ptExpected)) {
  test(`pt fixture ${name} (offset ${e.storage_offset}, stride [${e.stride.join(', ')}], ${e.dtype}) reads exactly`, async () => {
    const bag = await readBag({ kind: 'pt', path: path.join(fixtures, 'pt', `${name}.pt`) }, name);
    assert.equal(bag.n, e.shape[0]);
    assert.equal(bag.d, e.shape[1]);
    assert.equal(bag.dtype, e.dtype);
    if (e.dtype === 'float16') {
      assert.ok(bag.features instanceof Uint16Array);
      assert.deepEqual([...bag.features], e.values);
    } else {
      assert.ok(bag.features instanceof Float32Array);
      assert.deepEqual([...bag.features], e.values.map(Math.fround));
    }
  });
}

interface H5Expected {
  shape: [number, number];
  sum: number;
  first_row: number[];
  dtype: 'float32' | 'float16';
  coords_first?: number[];
  first_row_bits?: number[];
}
const h5Expected = JSON.parse(readFileSync(path.join(fixtures, 'h5', 'expected.json'), 'utf8')) as Record<string, H5Expected>;

async function rawPlanKind(file: string): Promise<string> {
  const [address, info] = await withH5File(file, { file }, (f, m) => [objectAddress(f, m, 'features'), datasetInfo(f, m, 'features')] as const);
  assert.ok(address !== undefined && info);
  const fh = await open(file, 'r');
  try {
    const plan = planRawRead(fh.fd, (await fh.stat()).size, address, info.shape, info.size);
    return plan?.kind ?? 'h5wasm';
  } finally {
    await fh.close();
  }
}

const expectedPlan: Record<string, string> = {
  clam_chunked: 'chunked', // CLAM's (1, D) chunks behind a multi-level v1 B-tree
  edge_chunks: 'chunked', // (7, 3) chunks cut at the edges
  contig_f16: 'contiguous',
  latest_chunked: 'h5wasm', // libver='latest': extensible-array chunk index, left to h5wasm
  gzip_f32: 'h5wasm', // filtered
};

for (const [name, e] of Object.entries(h5Expected)) {
  test(`h5 fixture ${name}: read via ${expectedPlan[name]}, same bytes as h5wasm, expected sum and first row`, async () => {
    const file = path.join(fixtures, 'h5', `${name}.h5`);
    assert.equal(await rawPlanKind(file), expectedPlan[name]);
    const bag = await readBag({ kind: 'h5', path: file }, name);
    assert.equal(bag.n, e.shape[0]);
    assert.equal(bag.d, e.shape[1]);
    assert.equal(bag.dtype, e.dtype);
    if (e.first_row_bits) assert.deepEqual([...bag.features.subarray(0, bag.d)], e.first_row_bits);
    else assert.deepEqual(row(bag, 0), e.first_row.map(Math.fround));
    assert.ok(close(featureSum(bag), e.sum), `sum ${featureSum(bag)} vs ${e.sum}`);
    if (e.coords_first) assert.deepEqual([...bag.coords!.subarray(0, 2)], e.coords_first);
    const ref = await readH5Bag(file, CLAM_H5_PATHS, name, { direct: false });
    assert.deepEqual(bag.features, ref.features);
    assert.deepEqual(bag.coords, ref.coords);
  });
}

test('the golden h5 files take the fast path', async () => {
  assert.equal(await rawPlanKind(path.join(clamDir, 'h5_files', 'slide_00.h5')), 'contiguous');
  assert.equal(await rawPlanKind(path.join(clamDir, 'h5_files_fp16', 'slide_00.h5')), 'h5wasm');
});

interface AcmilExpected {
  shape: [number, number];
  sum: number;
  first_row: number[];
  label: number;
  coords_first: number[];
}
const acmilExpected = JSON.parse(readFileSync(path.join(fixtures, 'acmil', 'expected.json'), 'utf8')) as Record<string, AcmilExpected>;

test('ACMIL layout: every group reads with its shape, first row, coordinates and sum', async () => {
  const file = path.join(fixtures, 'acmil', 'acmil.h5');
  for (const [group, e] of Object.entries(acmilExpected)) {
    const source: FeatureSource = { kind: 'acmil', path: file, group };
    const header = await readBagHeader(source);
    assert.equal(header.n, e.shape[0]);
    const bag = await readBag(source, group);
    assert.equal(bag.n, e.shape[0]);
    assert.equal(bag.d, e.shape[1]);
    assert.deepEqual(row(bag, 0), e.first_row.map(Math.fround));
    assert.deepEqual([...bag.coords!.subarray(0, 2)], e.coords_first);
    assert.ok(close(featureSum(bag), e.sum));
  }
});

test('float16: every half value survives half -> float32 -> half', () => {
  const all = new Uint16Array(65536).map((_, i) => i);
  const wide = float16BitsToFloat32(all);
  const back = float32ToFloat16Bits(wide);
  for (let h = 0; h < 65536; h++) {
    const isNaN = (h & 0x7c00) === 0x7c00 && (h & 0x3ff) !== 0;
    if (isNaN) assert.ok(Number.isNaN(wide[h]!) && (back[h]! & 0x7c00) === 0x7c00 && (back[h]! & 0x3ff) !== 0);
    else assert.equal(back[h], h, `half 0x${h.toString(16)}`);
  }
  assert.equal(float16ToNumber(0x3c00), 1);
  assert.equal(float16ToNumber(0xc000), -2);
  assert.equal(float16ToNumber(0x0001), 2 ** -24);
  assert.equal(float16ToNumber(0x7bff), 65504);
  assert.equal(float16ToNumber(0x7c00), Infinity);
});

test('float16: rounding to nearest, ties to even, overflow and underflow', () => {
  const ulp1 = 2 ** -10; // spacing of halves in [1, 2)
  assert.equal(numberToFloat16Bits(1 + ulp1 / 2), 0x3c00, 'tie rounds to the even 1.0');
  assert.equal(numberToFloat16Bits(1 + (3 * ulp1) / 2), 0x3c02, 'tie rounds up to the even neighbour');
  assert.equal(numberToFloat16Bits(1 + ulp1 / 2 + 2 ** -20), 0x3c01, 'just above the tie rounds up');
  assert.equal(numberToFloat16Bits(65520), 0x7c00, '65520 rounds to infinity');
  assert.equal(numberToFloat16Bits(65519), 0x7bff);
  assert.equal(numberToFloat16Bits(-1e6), 0xfc00);
  assert.equal(numberToFloat16Bits(2 ** -25), 0x0000, 'half the smallest subnormal is a tie to 0');
  assert.equal(numberToFloat16Bits(2 ** -25 * 1.5), 0x0001);
  assert.equal(numberToFloat16Bits(3 * 2 ** -25), 0x0002, 'subnormal tie rounds to even');
  assert.equal(numberToFloat16Bits(-0), 0x8000);
  assert.equal(numberToFloat16Bits(2 ** -14 - 2 ** -25), 0x0400, 'rounds up from the largest subnormal into the normals');
  assert.equal(numberToFloat16Bits(NaN) & 0x7e00, 0x7e00);
});

test('findNonFinite gives the first bad instance row, or -1', () => {
  const f32 = new Float32Array(12).fill(1);
  const bag: Bag = { slideId: 's', n: 4, d: 3, dtype: 'float32', features: f32 };
  assert.equal(findNonFinite(bag), -1);
  f32[10] = NaN;
  assert.equal(findNonFinite(bag), 3);
  f32[4] = -Infinity;
  assert.equal(findNonFinite(bag), 1);
  const bits = float32ToFloat16Bits(new Float32Array(12).fill(0.5));
  const half: Bag = { slideId: 's', n: 4, d: 3, dtype: 'float16', features: bits };
  assert.equal(findNonFinite(half), -1);
  bits[7] = 0x7c00;
  assert.equal(findNonFinite(half), 2);
  bits[2] = 0x7e00;
  assert.equal(findNonFinite(half), 0);
});
