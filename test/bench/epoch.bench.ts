// A real training run on the synthetic `demo` dataset with a bag cache of half the dataset's size:
// how long steps wait for their bag (target: under 10 % of the step time), the cache's hit rate and
// read throughput, per epoch.
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseExperiment } from '../../src/config/load.js';
import { expandRuns } from '../../src/config/expand.js';
import { createRunDir, runPaths, writeRunConfig, type ResolvedRunConfig } from '../../src/trainer/runStore.js';
import { trainRun } from '../../src/trainer/train.js';
import { ensureSyntheticDataset } from '../../src/data/synthetic.js';
import { dirSizeBytes } from './benchUtil.js';

export async function run(): Promise<void> {
  const work = mkdtempSync(path.join(os.tmpdir(), 'aem-epoch-bench-'));
  try {
    const made = await ensureSyntheticDataset({ preset: 'demo', seed: 0, classes: 2, dir: path.join(work, 'demo') });
    const datasetMB = dirSizeBytes(made.features) / 2 ** 20;
    const cacheMB = datasetMB / 2;
    const exp = parseExperiment(
      JSON.stringify({ name: 'bench', data: { format: 'synthetic', synthetic: { preset: 'demo', seed: 0, dir: path.join(work, 'demo') } }, train: { epochs: 3, lr: 1e-3, topK: 100 }, compute: { backend: 'wasm', cacheMB }, output: 'runs' }),
      'bench.aem.json',
    );
    const [spec] = expandRuns(exp, undefined, [0]);
    if (!spec) throw new Error('no run');
    const { runId, dir } = createRunDir(path.join(work, 'runs'), 'bench', spec.configLabel, 0);
    const config: ResolvedRunConfig = { runId, experiment: spec.experiment, baseDir: work, seed: 0, sweepValues: {}, configLabel: spec.configLabel, backend: null, createdAt: new Date().toISOString() };
    writeRunConfig(runPaths(dir), config);
    console.log(`demo dataset ${datasetMB.toFixed(1)} MB of features, cache budget ${cacheMB.toFixed(1)} MB (half), wasm, 3 epochs`);
    console.log('epoch'.padStart(5), 'train s'.padStart(8), 'bags/s'.padStart(7), 'wait s'.padStart(7), 'wait %'.padStart(7), 'hit rate'.padStart(9), 'read MB/s'.padStart(10));
    let lastWait = 0;
    await trainRun(
      { config, runDir: dir, resume: false },
      {
        emit: (e) => {
          if (e.type !== 'epoch') return;
          const wait = e.cache.waitSeconds - lastWait;
          lastWait = e.cache.waitSeconds;
          // The wait covers training and evaluation reads; compare it with the whole epoch.
          const epochSeconds = e.train.seconds + e.val.seconds + e.test.seconds;
          console.log(String(e.epoch + 1).padStart(5), e.train.seconds.toFixed(2).padStart(8), e.train.bagsPerSecond.toFixed(1).padStart(7), wait.toFixed(3).padStart(7), ((wait / epochSeconds) * 100).toFixed(1).padStart(7), e.cache.hitRate.toFixed(2).padStart(9), e.cache.readMBps.toFixed(0).padStart(10));
        },
        shouldStop: () => false,
      },
    );
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
