// Trains one run (one configuration, one seed, one fold): the reference AEM recipe of one bag per step,
// AdamW, half-cosine learning rate and lambda per iteration, validation and test after every epoch,
// best epoch by val AUROC + val F1. Checkpoints let a stopped or killed run continue exactly.
import { existsSync } from 'node:fs';
import { foldsOf, buildDatasetIndex } from '../data/datasetIndex.js';
import { BagCache } from '../data/bagCache.js';
import { BagReaderPool } from '../data/bagReaderPool.js';
import { DataError, type SlideRecord } from '../data/types.js';
import { checkSplitsForTraining } from '../data/trainingChecks.js';
import type { EngineEvent, RunSummary, TrainEpochMetrics } from '../protocol/events.js';
import { evaluateSplit, instanceTruthLookup } from './evaluate.js';
import { selectBackend, type BackendInfo } from './backend.js';
import { resolveComputeThreads } from './parallelRuns.js';
import { backendLabel } from '../protocol/backendLabel.js';
import { createRunner } from './createRunner.js';
import { gpuPlanOf } from './gpu/coverage.js';
import { selectionScore } from './metrics.js';
import { initModelParams, smallBagNote } from './models/registry.js';
import { addTermSums, meanTerms, type LossSums, type TrainingRunner } from './runner.js';
import { resolveDataConfig } from './resolveData.js';
import { SeededRandom } from '../util/seededRandom.js';
import {
  appendMetrics,
  readMetrics,
  readSummary,
  runPaths,
  RunStoreError,
  truncateMetricsAfter,
  writeHeartbeat,
  writePredictions,
  writeRunConfig,
  writeSummary,
  type ResolvedRunConfig,
} from './runStore.js';
import { lambdaAt, learningRateAt, type LambdaSchedule } from './schedules.js';
import { AutoLambdaController, autoLambdaSettings, targetEntropyAt } from './autoLambda.js';
import type { Objective } from './step.js';
import { regulariserOf, topkSmallBagNotice } from './lossTerms.js';
import { trainingRows } from './bagSampling.js';
import { loadCheckpoint, saveCheckpoint, writeAttentionPack, type TrainingState } from './checkpoint.js';
import { removeStaleTmpFiles } from './atomicFile.js';

export interface TrainHooks {
  emit(event: EngineEvent): void;
  /** Polled between steps; true asks the run to save a checkpoint and stop. */
  shouldStop(): boolean;
}

export interface TrainJob {
  config: ResolvedRunConfig;
  runDir: string;
  /** Continue from checkpoint-last in runDir. */
  resume: boolean;
  /** wasm threads (resolved from compute.threads by the experiment runner); else resolved for one run alone. */
  threads?: number;
}

const PROGRESS_INTERVAL_MS = 500;
const HEARTBEAT_INTERVAL_MS = 5000;
const PREFETCH_AHEAD = 2;

const yieldToEventLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

export function hiddenDimFor(inputDim: number, configured: number | undefined): number {
  return configured ?? Math.max(1, Math.round(inputDim / 2));
}

export async function trainRun(job: TrainJob, hooks: TrainHooks): Promise<RunSummary> {
  const started = Date.now();
  const { config } = job;
  const exp = config.experiment;
  const paths = runPaths(job.runDir);
  const log = (level: 'info' | 'warn' | 'error', message: string) => hooks.emit({ type: 'log', runId: config.runId, level, message });

  const swept = removeStaleTmpFiles(job.runDir);
  if (swept.length > 0) log('info', `removed ${swept.length} temporary file(s) a failed write left behind: ${swept.join(', ')}`);

  const threads = job.threads ?? resolveComputeThreads(exp.compute, 1).threads;
  const backend: BackendInfo = await selectBackend(exp.compute.backend, gpuPlanOf(exp), threads);
  config.backend = backend;
  writeRunConfig(paths, config);

  const { data } = await resolveDataConfig(exp, config.baseDir, (done, total) => log('info', `generating the synthetic dataset: ${done}/${total} slides`));
  if (config.fold !== undefined && !foldsOf(data.split)?.includes(config.fold)) throw new DataError([{ message: `fold ${config.fold} is not one of this split's folds` }]);
  const index = await buildDatasetIndex(data, config.baseDir, config.fold !== undefined ? { fold: config.fold } : {});
  checkSplitsForTraining(index);
  const bySplit = (split: string) => index.slides.filter((s) => s.split === split);
  const train = bySplit('train');
  const val = bySplit('val');
  const test = bySplit('test');
  const nClasses = index.classes.length;
  const slideById = new Map(index.slides.map((s) => [s.slideId, s]));
  const truthOf = instanceTruthLookup(index, (message) => log('warn', message));

  const dims = { inputDim: index.featureDim, hiddenDim: hiddenDimFor(index.featureDim, 'hidden' in exp.model ? exp.model.hidden : undefined), nClasses };
  const epochs = exp.train.epochs;
  const iters = train.length;
  const rng = SeededRandom.fromSeed(config.seed);
  const runner: TrainingRunner = await createRunner(backend, exp, dims, initModelParams(exp.model, dims, rng));
  // Everything opened from here on (the runner, the reader thread) is released on every path out,
  // so a failure never leaves the process waiting on an open handle.
  let reader: BagReaderPool | undefined;
  try {
    reader = new BagReaderPool({ onRestart: (reason, retried) => log('warn', `the bag reader thread ${reason}: started a new one${retried > 0 ? ` and sent its ${retried} pending read(s) again` : ''}`) });
    return await trainOpened(job, hooks, { started, log, backend, index, train, val, test, nClasses, truthOf, slideById, epochs, iters, rng, runner, reader });
  } finally {
    runner.dispose();
    await reader?.close();
  }
}

interface OpenedRun {
  started: number;
  log: (level: 'info' | 'warn' | 'error', message: string) => void;
  backend: BackendInfo;
  index: Awaited<ReturnType<typeof buildDatasetIndex>>;
  train: SlideRecord[];
  val: SlideRecord[];
  test: SlideRecord[];
  nClasses: number;
  truthOf: ReturnType<typeof instanceTruthLookup> | undefined;
  slideById: Map<string, SlideRecord>;
  epochs: number;
  iters: number;
  rng: SeededRandom;
  runner: TrainingRunner;
  reader: BagReaderPool;
}

async function trainOpened(job: TrainJob, hooks: TrainHooks, opened: OpenedRun): Promise<RunSummary> {
  const { config } = job;
  const exp = config.experiment;
  const paths = runPaths(job.runDir);
  const { started, log, backend, index, train, val, test, nClasses, truthOf, slideById, epochs, iters, runner, reader } = opened;
  let { rng } = opened;
  const cache = new BagCache(async (slideId) => {
    const slide = slideById.get(slideId);
    if (!slide) throw new Error(`unknown slide ${slideId}`);
    const { bag, nonFiniteRow: bad } = await reader.read(slide.source, slideId);
    if (bag.n === 0) throw new DataError([{ slideId, file: slide.source.path, message: `slide ${slideId} (${slide.source.path}) has no instances: remove it from the CSV or re-extract its features` }]);
    if (bad >= 0) throw new DataError([{ slideId, file: slide.source.path, message: `slide ${slideId} (${slide.source.path}) has NaN or Inf in its features (instance ${bad}): re-extract its features` }]);
    return bag;
  }, exp.compute.cacheMB * 1024 * 1024);

  let state: TrainingState = {
    epoch: 0,
    iter: 0,
    order: [],
    trainSums: { loss: 0, ce: 0, regulariser: 0, bags: 0, seconds: 0 },
    rngState: rng.state(),
    bestEpoch: null,
    bestScore: -Infinity,
  };
  let previousWallSeconds = 0;
  if (job.resume && existsSync(paths.checkpoint('last'))) {
    try {
      state = loadCheckpoint(paths.checkpoint('last'), runner);
    } catch (err) {
      throw new RunStoreError(`cannot resume ${config.runId}: ${err instanceof Error ? err.message : String(err)}; delete checkpoint-last.pack to start this run again from the first epoch`);
    }
    rng = SeededRandom.fromState(state.rngState);
    truncateMetricsAfter(paths, state.epoch - 1);
    previousWallSeconds = readSummary(job.runDir)?.wallSeconds ?? 0;
  } else if (job.resume) {
    log('warn', 'no checkpoint to resume from: starting from the first epoch');
  }
  // aem.schedule "auto": lambda follows the attention entropy; its state travels in the checkpoint.
  const auto = exp.aem.schedule === 'auto' ? new AutoLambdaController(autoLambdaSettings(exp.aem), state.autoLambda) : undefined;
  const fixedSchedule: LambdaSchedule = exp.aem.schedule === 'cosine' ? 'cosine' : 'constant';
  const lambdaFor = (epoch: number, iter: number): number => (exp.aem.regulariser === 'none' ? 0 : auto ? auto.lambda : lambdaAt(exp.aem.lambda, fixedSchedule, epoch, iter, iters, epochs));

  hooks.emit({
    type: 'run-started',
    runId: config.runId,
    runDir: job.runDir,
    experiment: exp.name,
    configLabel: config.configLabel,
    seed: config.seed,
    ...(config.fold !== undefined ? { fold: config.fold } : {}),
    epochs,
    itersPerEpoch: iters,
    backend,
    ...(job.resume ? { resumedAt: { epoch: state.epoch, iter: state.iter } } : {}),
  });
  log('info', `backend ${backendLabel(backend)}${backend.pathReason ? ` (tfjs path: ${backend.pathReason})` : ''}; ${train.length} train, ${val.length} val, ${test.length} test slides; D ${index.featureDim}, ${nClasses} classes`);

  const regulariser = regulariserOf(exp.aem);
  const objectiveAt = (lambda: number): Objective => ({ nClasses, regulariser, lambda });
  const smallBagNotice = topkSmallBagNotice(regulariser);
  const summaryOf = (status: RunSummary['status'], error?: string): RunSummary => {
    const metrics = readMetrics(job.runDir);
    const testAt = (epoch: number | null) => {
      const m = metrics.find((l) => l.split === 'test' && l.epoch === epoch);
      if (!m || m.split !== 'test') return null;
      const { topk: _topk, perHead: _perHead, ...rest } = m;
      return rest;
    };
    const lastEpoch = metrics.filter((m) => m.split === 'test').reduce((a, m) => Math.max(a, m.epoch), -1);
    return {
      runId: config.runId,
      experiment: exp.name,
      configLabel: config.configLabel,
      seed: config.seed,
      ...(config.fold !== undefined ? { fold: config.fold } : {}),
      sweepValues: config.sweepValues,
      status,
      epochsDone: lastEpoch + 1,
      epochs,
      bestEpoch: state.bestEpoch,
      best: testAt(state.bestEpoch),
      last: testAt(lastEpoch >= 0 ? lastEpoch : null),
      wallSeconds: previousWallSeconds + (Date.now() - started) / 1000,
      backend,
      ...(error ? { error } : {}),
      updatedAt: new Date().toISOString(),
    };
  };

  // The first report waits one interval: a lone first step (kernel compilation) would give a wild ETA.
  let lastProgress = Date.now();
  let lastHeartbeat = 0;
  // Validation + test time of the last evaluated epoch, for the ETA; until one is measured, a forward
  // pass is taken to cost a third of a training step.
  let evalSecondsPerEpoch: number | undefined;
  // The ETA's rate leaves out this process's first step (kernel compilation and warm-up make it slow).
  let rateFrom: { at: number; steps: number } | undefined;
  let stepsDone = 0;
  let smallBagLogged = false;
  // Losses of the steps since the last read-back (the fused path keeps them on the device until then).
  let unreadFrom = state.iter;
  const collectLosses = async (epoch: number, throughIter: number, slideId?: string): Promise<void> => {
    const sums: LossSums = await runner.takeLosses();
    if (sums.bags === 0) return;
    if (!Number.isFinite(sums.loss)) {
      const where = throughIter - unreadFrom <= 1 ? `step ${throughIter}${slideId ? ` (slide ${slideId})` : ''}` : `steps ${unreadFrom + 1}-${throughIter}`;
      throw new Error(`the loss became ${sums.loss} at epoch ${epoch + 1}, ${where}: lower the learning rate or check the features`);
    }
    state.trainSums.loss += sums.loss;
    state.trainSums.ce += sums.ce;
    state.trainSums.regulariser += sums.regulariser;
    state.trainSums.bags += sums.bags;
    if (sums.terms) state.trainSums.terms = addTermSums(state.trainSums.terms ?? {}, sums.terms);
    unreadFrom = throughIter;
  };
  try {
    writeSummary(paths, summaryOf('running'));
    const stopWithCheckpoint = async (epoch: number, iter: number, epochStart: number): Promise<RunSummary> => {
      await collectLosses(epoch, iter);
      state.iter = iter;
      state.rngState = rng.state();
      if (auto) state.autoLambda = auto.state();
      state.trainSums.seconds += (Date.now() - epochStart) / 1000;
      await saveCheckpoint(paths.checkpoint('last'), runner, state);
      hooks.emit({ type: 'checkpoint', runId: config.runId, kind: 'last', epoch, iter });
      const summary = summaryOf('stopped');
      writeSummary(paths, summary);
      writeHeartbeat(paths, { epoch, iter, status: 'stopped' });
      return summary;
    };
    while (state.epoch < epochs) {
      const epoch = state.epoch;
      if (state.iter === 0) {
        // A stop that came during the last evaluation is taken here, before this epoch's order is drawn:
        // a checkpoint at iter 0 is resumed by drawing the order, so it must hold the random state before it.
        if (hooks.shouldStop()) return await stopWithCheckpoint(epoch, 0, Date.now());
        state.order = rng.shuffle(train.map((_, i) => i));
        state.trainSums = { loss: 0, ce: 0, regulariser: 0, bags: 0, seconds: 0 };
        auto?.startEpoch();
      }
      unreadFrom = state.iter;
      let lr = 0;
      let lambda = 0;
      const epochStart = Date.now();
      for (let iter = state.iter; iter < iters; iter++) {
        if (iter > 0 && hooks.shouldStop()) return await stopWithCheckpoint(epoch, iter, epochStart);        const slide = train[state.order[iter] as number] as SlideRecord;
        const bag = await cache.get(slide.slideId);
        for (let ahead = 1; ahead <= PREFETCH_AHEAD && iter + ahead < iters; ahead++) cache.prefetch((train[state.order[iter + ahead] as number] as SlideRecord).slideId);
        const rows = trainingRows(bag.n, exp.train, rng);
        const notice = smallBagNotice(slide.slideId, rows?.length ?? bag.n);
        if (notice) log('warn', notice);
        lr = learningRateAt(exp.train.lr, exp.train.minLr, epoch, iter, iters, epochs);
        lambda = lambdaFor(epoch, iter);
        if (!smallBagLogged) {
          const note = smallBagNote(exp.model, rows ? rows.length : bag.n);
          if (note) {
            log('warn', `slide ${slide.slideId} has ${note} (said once per run; other bags that small are handled alike)`);
            smallBagLogged = true;
          }
        }
        // The run's one random stream: dropout masks and a model's own random choices (ACMIL's masking).
        await runner.step(bag, rows, slide.label, objectiveAt(lambda), lr, () => rng.float());
        auto?.afterStep(runner.lastEntropyNormalised(), targetEntropyAt(auto.settings, epoch, iter, iters, epochs));
        // On cpu/wasm the step never leaves the thread: give the prefetch's file reads their turn before the next bag is needed.
        await yieldToEventLoop();
        if (runner.lossesEachStep) await collectLosses(epoch, iter + 1, slide.slideId);
        const now = Date.now();
        stepsDone += 1;
        rateFrom ??= { at: now, steps: stepsDone };
        if (now - lastProgress >= PROGRESS_INTERVAL_MS || iter === iters - 1) {
          lastProgress = now;
          if (!runner.lossesEachStep) await collectLosses(epoch, iter + 1);
          const elapsed = state.trainSums.seconds + (now - epochStart) / 1000;
          const bagsPerSecond = state.trainSums.bags / Math.max(elapsed, 1e-9);
          const remaining = (epochs - epoch) * iters - (iter + 1);
          const rate = rateFrom && stepsDone > rateFrom.steps ? ((stepsDone - rateFrom.steps) * 1000) / Math.max(now - rateFrom.at, 1) : bagsPerSecond;
          const evalSeconds = evalSecondsPerEpoch ?? (val.length + test.length) / Math.max(rate, 1e-9) / 3;
          const etaSeconds = remaining / Math.max(rate, 1e-9) + (epochs - epoch) * evalSeconds;
          hooks.emit({ type: 'progress', runId: config.runId, epoch, iter: iter + 1, iters, bagsPerSecond, etaSeconds });
        }
        if (now - lastHeartbeat >= HEARTBEAT_INTERVAL_MS) {
          lastHeartbeat = now;
          writeHeartbeat(paths, { epoch, iter: iter + 1, status: 'running' });
        }
      }
      const sums = state.trainSums;
      const trainSeconds = sums.seconds + (Date.now() - epochStart) / 1000;
      const trainMetrics: TrainEpochMetrics = {
        epoch,
        split: 'train',
        loss: sums.loss / sums.bags,
        ce: sums.ce / sums.bags,
        regulariser: sums.regulariser / sums.bags,
        ...(sums.terms ? { terms: meanTerms(sums.terms, sums.bags) } : {}),
        lr,
        // auto: the mean of the epoch's per-step lambdas; otherwise the schedule's value at the last step
        lambda: auto ? auto.epochMean() : lambda,
        bags: sums.bags,
        seconds: trainSeconds,
        bagsPerSecond: sums.bags / Math.max(trainSeconds, 1e-9),
      };
      const evalLambda = lambdaFor(epoch + 1, 0);
      const valOut = await evaluateSplit(runner, cache, val, 'val', epoch, objectiveAt(evalLambda), exp.train.topK, index, truthOf);
      const testOut = await evaluateSplit(runner, cache, test, 'test', epoch, objectiveAt(evalLambda), exp.train.topK, index, truthOf);
      evalSecondsPerEpoch = valOut.metrics.seconds + testOut.metrics.seconds;

      const score = selectionScore(valOut.metrics);
      const isBest = state.bestEpoch === null || score > state.bestScore;
      if (isBest) {
        state.bestEpoch = epoch;
        state.bestScore = score;
      }
      appendMetrics(paths, [trainMetrics, valOut.metrics, testOut.metrics]);
      const outputs = [...valOut.predictions, ...testOut.predictions];
      const attention = [...valOut.attention, ...testOut.attention];
      writePredictions(paths, 'last', index.classes, epoch, outputs);
      writeAttentionPack(paths.attention('last'), epoch, attention);
      state.epoch = epoch + 1;
      state.iter = 0;
      state.rngState = rng.state();
      if (auto) state.autoLambda = auto.state();
      await saveCheckpoint(paths.checkpoint('last'), runner, state);
      if (isBest) {
        writePredictions(paths, 'best', index.classes, epoch, outputs);
        writeAttentionPack(paths.attention('best'), epoch, attention);
        await saveCheckpoint(paths.checkpoint('best'), runner, state);
      }
      const stats = cache.stats();
      writeSummary(paths, summaryOf('running'));
      hooks.emit({
        type: 'epoch',
        runId: config.runId,
        epoch,
        epochs,
        train: trainMetrics,
        val: valOut.metrics,
        test: testOut.metrics,
        bestEpoch: state.bestEpoch ?? epoch,
        isBest,
        cache: { hitRate: stats.hitRate, readMBps: stats.readMBps, waitSeconds: stats.waitSeconds, residentBytes: stats.residentBytes },
      });
    }
    const summary = summaryOf('done');
    writeSummary(paths, summary);
    writeHeartbeat(paths, { epoch: state.epoch, iter: 0, status: 'done' });
    return summary;
  } catch (err) {
    try {
      writeSummary(paths, summaryOf('failed', err instanceof Error ? err.message : String(err)));
      writeHeartbeat(paths, { epoch: state.epoch, iter: state.iter, status: 'failed' });
    } catch {
      // the disk that failed the run may refuse this too: the parent records the failure then
    }
    throw err;
  }
}
