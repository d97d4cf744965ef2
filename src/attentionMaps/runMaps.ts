// A run's attention maps: the slide list of one epoch kind (best / last) from its predictions file and
// attention pack, and one slide's map (attention, coordinates, patch size, tumour patches) on demand.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { Experiment } from '../config/schema.js';
import { datasetFiles, coordAttributes, instanceTruth, type DatasetFiles, type InstanceTruth } from './datasetFiles.js';
import { attentionRow, meanHeadEntropy } from './heads.js';
import { AttentionPackIndex } from './packIndex.js';
import { patchSizeOf, type PatchSize } from './patchGeometry.js';
import { parsePredictionsCsv } from './predictionsCsv.js';
import { meanTumourMass, slideRows, type SlideRow, type SlideStats } from './slideRows.js';

export type EpochKind = 'best' | 'last';

export interface RunMapsKind {
  kind: EpochKind;
  /** 0-based, as in metrics.jsonl. */
  epoch: number;
  classes: string[];
  slides: SlideRow[];
  meanTumourMass: number | null;
}

export interface SlideMap {
  slideId: string;
  n: number;
  heads: number;
  /** [heads, n] */
  attention: Float32Array;
  coords: Int32Array | undefined;
  patch: PatchSize;
  /** Why the h5 patch size could not be read, when it could not. */
  patchNote: string | undefined;
  /** Indices of true tumour patches; undefined without instance truth. */
  tumour: number[] | undefined;
}

interface RunConfigFile {
  experiment: Experiment;
  baseDir: string;
}

export class RunMaps {
  private readonly packs = new Map<EpochKind, AttentionPackIndex>();
  readonly files: DatasetFiles;
  readonly truth: InstanceTruth;

  constructor(readonly runDir: string) {
    const configFile = path.join(runDir, 'config.json');
    if (!existsSync(configFile)) throw new Error(`${configFile}: missing; ${runDir} is not a run folder`);
    const config = JSON.parse(readFileSync(configFile, 'utf8')) as RunConfigFile;
    this.files = datasetFiles(config.experiment, config.baseDir);
    this.truth = instanceTruth(this.files);
  }

  /** The kinds this run has files for (a run that has not finished an epoch has none). */
  kinds(): EpochKind[] {
    return (['best', 'last'] as const).filter((k) => existsSync(this.predictionsFile(k)) || existsSync(this.packFile(k)));
  }

  predictionsFile(kind: EpochKind): string {
    return path.join(this.runDir, `predictions-${kind}.csv`);
  }

  packFile(kind: EpochKind): string {
    return path.join(this.runDir, `attention-${kind}.pack`);
  }

  pack(kind: EpochKind): AttentionPackIndex {
    let p = this.packs.get(kind);
    if (!p) {
      p = AttentionPackIndex.open(this.packFile(kind));
      this.packs.set(kind, p);
    }
    return p;
  }

  /** The slide list: every slide of the predictions file, with entropy and tumour mass from the pack. */
  list(kind: EpochKind): RunMapsKind {
    const file = this.predictionsFile(kind);
    if (!existsSync(file)) throw new Error(`${file}: missing (the run has not finished an epoch)`);
    const table = parsePredictionsCsv(readFileSync(file, 'utf8'), file);
    const pack = this.pack(kind);
    const stats = new Map<string, SlideStats>();
    for (const meta of pack.slides) {
      const { attention, coords } = pack.read(meta.slideId, this.truth.byCoords);
      const truth = this.truth.of(meta.slideId, meta.n, coords);
      let tumourMass: number | null = null;
      if (truth && truth.length === meta.n && truth.some((t) => t === 1)) {
        const row = attentionRow(attention, meta.heads, meta.n, 'mean');
        tumourMass = 0;
        for (let i = 0; i < meta.n; i++) if (truth[i] === 1) tumourMass += row[i] as number;
      }
      stats.set(meta.slideId, { entropy: meanHeadEntropy(attention, meta.heads, meta.n), n: meta.n, heads: meta.heads, hasCoords: meta.hasCoords, tumourMass });
    }
    const rows = slideRows(table.rows, table.classes, stats);
    return { kind, epoch: pack.epoch, classes: table.classes, slides: rows, meanTumourMass: meanTumourMass(rows) };
  }

  async slide(kind: EpochKind, slideId: string): Promise<SlideMap> {
    const { meta, attention, coords } = this.pack(kind).read(slideId);
    const attrs = coords ? await coordAttributes(this.files, slideId) : {};
    const truth = this.truth.of(slideId, meta.n, coords);
    const tumour = truth && truth.length === meta.n ? Array.from(truth.keys()).filter((i) => truth[i] === 1) : undefined;
    return { slideId, n: meta.n, heads: meta.heads, attention, coords, patch: patchSizeOf(coords, attrs), patchNote: attrs.note, tumour };
  }
}
