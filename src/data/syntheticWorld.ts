// The feature-space model behind the synthetic datasets and the generation of one slide's bag.
//
// Instances come from tissue clusters (each slide a random mixture, laid out in spatial regions). Lesion
// instances sit on top of an ordinary tissue instance, shifted along a lesion direction by a few noise sds
// (grade g: further, plus a grade-specific direction). One "mimic" cluster lies part of the way along the
// lesion direction, so a single linear projection of an instance is not enough to find the lesion. Lesions
// are a small share of a positive bag, so mean pooling mostly sees the tissue mixture: attention matters.
// Slides get a small stain offset each; the test hospital adds a per-dimension offset and scale.
import type { PlannedSlide } from './syntheticPlan.js';
import { LESION_FRACTION, PATCH_SIZE, type PresetSpec } from './syntheticPresets.js';
import { SeededRandom } from '../util/seededRandom.js';

/** Position of the mimic cluster along the lesion direction, as a share of the lesion shift. */
const MIMIC_SHARE = 0.3;
const CLUSTER_SPREAD = 0.5;
const SLIDE_STAIN_SD = 0.15;
const HOSPITAL_OFFSET_SD = 0.1;
const HOSPITAL_LOG_SCALE_SD = 0.05;
/** Lesion shift per grade (index grade - 1) along the lesion direction, relative to the preset signal. */
const GRADE_STRENGTH = [0.9, 1.05, 1.25];
const GRADE_DIRECTION_SHARE = 0.5;
/** Lesion fraction range per grade for the 4-class variant. */
const GRADE_FRACTION: readonly (readonly [number, number])[] = [[0.005, 0.03], [0.01, 0.06], [0.02, 0.1]];
/** In a grade-g slide, share of lesion instances of a lower grade. */
const LOWER_GRADE_SHARE = 0.3;

export interface World {
  dim: number;
  classes: 2 | 4;
  centres: Float64Array[];
  clusterSd: number[];
  /** Lesion shift vector per grade (index grade - 1); one grade for 2 classes. */
  lesionShift: Float64Array[];
  hospitalOffset: Float64Array;
  hospitalScale: Float64Array;
  seed: number;
}

export interface SlideContent {
  features: Float32Array;
  coords: Int32Array;
  truth: Uint8Array;
  lesionCount: number;
}

function randomUnit(rng: SeededRandom, dim: number, orthogonalTo: Float64Array[]): Float64Array {
  const v = new Float64Array(dim);
  rng.fillNormal(v);
  for (const u of orthogonalTo) {
    const p = dot(v, u);
    for (let j = 0; j < dim; j++) v[j] = (v[j] ?? 0) - p * (u[j] ?? 0);
  }
  const norm = Math.sqrt(dot(v, v));
  for (let j = 0; j < dim; j++) v[j] = (v[j] ?? 0) / norm;
  return v;
}

function dot(a: Float64Array, b: Float64Array): number {
  let s = 0;
  for (let j = 0; j < a.length; j++) s += (a[j] ?? 0) * (b[j] ?? 0);
  return s;
}

export function makeWorld(spec: PresetSpec, seed: number, classes: 2 | 4): World {
  const rng = SeededRandom.fromKey(seed, 2);
  const dim = spec.dim;
  const lesionDir = randomUnit(rng, dim, []);
  const gradeDirs: Float64Array[] = [];
  for (let g = 0; g < 3; g++) gradeDirs.push(randomUnit(rng, dim, [lesionDir, ...gradeDirs]));

  const centres: Float64Array[] = [];
  const clusterSd: number[] = [];
  for (let k = 0; k < spec.clusters; k++) {
    const c = new Float64Array(dim);
    for (let j = 0; j < dim; j++) c[j] = CLUSTER_SPREAD * rng.normal();
    // Tissue clusters carry no lesion signal except the mimic (cluster 0), which sits part of the way along it.
    const along = dot(c, lesionDir) - (k === 0 ? MIMIC_SHARE * spec.signal : 0);
    for (let j = 0; j < dim; j++) c[j] = (c[j] ?? 0) - along * (lesionDir[j] ?? 0);
    centres.push(c);
    clusterSd.push(0.8 + 0.4 * rng.float32());
  }

  const lesionShift: Float64Array[] = [];
  if (classes === 2) {
    lesionShift.push(lesionDir.map((v) => spec.signal * v));
  } else {
    GRADE_STRENGTH.forEach((strength, g) => {
      const u = gradeDirs[g] as Float64Array;
      lesionShift.push(lesionDir.map((v, j) => spec.signal * (strength * v + GRADE_DIRECTION_SHARE * (u[j] ?? 0))));
    });
  }

  const hospitalOffset = new Float64Array(dim);
  const hospitalScale = new Float64Array(dim);
  for (let j = 0; j < dim; j++) {
    hospitalOffset[j] = HOSPITAL_OFFSET_SD * rng.normal();
    hospitalScale[j] = Math.exp(HOSPITAL_LOG_SCALE_SD * rng.normal());
  }
  return { dim, classes, centres, clusterSd, lesionShift, hospitalOffset, hospitalScale, seed };
}

/** Patch grid in raster order, like a tiler walking over a roughly rectangular piece of tissue. */
function layoutCoords(rng: SeededRandom, n: number): { coords: Int32Array; width: number } {
  const aspect = 0.6 + rng.float32();
  const width = Math.max(1, Math.ceil(Math.sqrt(n * aspect)));
  const x0 = rng.int(0, 80) * PATCH_SIZE;
  const y0 = rng.int(0, 80) * PATCH_SIZE;
  const coords = new Int32Array(n * 2);
  for (let i = 0; i < n; i++) {
    coords[2 * i] = x0 + (i % width) * PATCH_SIZE;
    coords[2 * i + 1] = y0 + Math.floor(i / width) * PATCH_SIZE;
  }
  return { coords, width };
}

/** Tissue cluster of each instance: Voronoi regions around a few seeds, each seed drawn from the slide mixture. */
function assignClusters(rng: SeededRandom, n: number, width: number, clusters: number): Uint8Array {
  const cumulative = new Float64Array(clusters);
  let total = 0;
  for (let k = 0; k < clusters; k++) {
    total += Math.exp(rng.normal());
    cumulative[k] = total;
  }
  const regions = rng.int(3, 8);
  const rows = Math.ceil(n / width);
  const seeds = Array.from({ length: regions }, () => ({
    x: rng.float32() * width,
    y: rng.float32() * rows,
    cluster: rng.pickCumulative(cumulative),
  }));
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    if (rng.float32() < 0.2) {
      out[i] = rng.pickCumulative(cumulative);
      continue;
    }
    const x = i % width;
    const y = Math.floor(i / width);
    let best = 0;
    let bestD = Infinity;
    seeds.forEach((s, r) => {
      const d = (s.x - x) ** 2 + (s.y - y) ** 2;
      if (d < bestD) {
        bestD = d;
        best = r;
      }
    });
    out[i] = seeds[best]?.cluster ?? 0;
  }
  return out;
}

/** The lesion: the `count` instances nearest a random centre, i.e. one compact region. */
function lesionRegion(rng: SeededRandom, n: number, width: number, count: number): Uint8Array {
  const centre = rng.int(0, n - 1);
  const cx = centre % width;
  const cy = Math.floor(centre / width);
  const dist = new Float64Array(n);
  for (let i = 0; i < n; i++) dist[i] = ((i % width) - cx) ** 2 + (Math.floor(i / width) - cy) ** 2;
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => (dist[a] ?? 0) - (dist[b] ?? 0) || a - b);
  const truth = new Uint8Array(n);
  for (let i = 0; i < count; i++) truth[order[i] ?? 0] = 1;
  return truth;
}

function lesionCount(slide: PlannedSlide, classes: 2 | 4): number {
  if (slide.label === 0) return 0;
  const [lo, hi] = classes === 2 ? [LESION_FRACTION.min, LESION_FRACTION.max] : (GRADE_FRACTION[slide.label - 1] ?? [0, 0]);
  // Log-uniform in [lo, hi] at the slide's quantile.
  const fraction = lo * (hi / lo) ** slide.lesionQuantile;
  const n = slide.n;
  return Math.max(1, Math.min(Math.floor(hi * n), Math.max(Math.ceil(lo * n), Math.round(fraction * n))));
}

export function generateSlide(world: World, slide: PlannedSlide): SlideContent {
  const rng = SeededRandom.fromKey(world.seed, 3, slide.index);
  const { dim, centres } = world;
  const n = slide.n;
  const { coords, width } = layoutCoords(rng, n);
  const cluster = assignClusters(rng, n, width, centres.length);
  const lesions = lesionCount(slide, world.classes);
  const truth = lesions > 0 ? lesionRegion(rng, n, width, lesions) : new Uint8Array(n);

  const stain = new Float64Array(dim);
  for (let j = 0; j < dim; j++) stain[j] = SLIDE_STAIN_SD * rng.normal();
  const scale = slide.hospital === 1 ? world.hospitalScale : new Float64Array(dim).fill(1);
  const offset = slide.hospital === 1 ? world.hospitalOffset : new Float64Array(dim);
  // Everything before the instance noise, per cluster, already through the hospital's transform.
  const base = centres.map((c) => c.map((v, j) => (v + (stain[j] ?? 0)) * (scale[j] ?? 1) + (offset[j] ?? 0)));

  const features = new Float32Array(n * dim);
  const slideGrade = world.classes === 2 ? 1 : slide.label;
  const intensity = Math.exp(0.15 * rng.normal());
  for (let i = 0; i < n; i++) {
    const k = cluster[i] ?? 0;
    const b = base[k] as Float64Array;
    const sd = world.clusterSd[k] ?? 1;
    const row = i * dim;
    for (let j = 0; j < dim; j++) features[row + j] = (b[j] ?? 0) + sd * (scale[j] ?? 1) * rng.normal();
    if (truth[i] !== 1) continue;
    const grade = slideGrade > 1 && rng.float32() < LOWER_GRADE_SHARE ? rng.int(1, slideGrade - 1) : slideGrade;
    const shift = world.lesionShift[grade - 1] as Float64Array;
    const amount = intensity * (1 + 0.2 * rng.normal());
    for (let j = 0; j < dim; j++) features[row + j] = (features[row + j] ?? 0) + amount * (shift[j] ?? 0) * (scale[j] ?? 1);
  }
  return { features, coords, truth, lesionCount: lesions };
}
