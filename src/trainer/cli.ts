// aem-train: the engine's command line.
//   aem-train <file.aem.json> [--seeds 0,1,2] [--backend wasm] [--parallel 2] [--json]
//   aem-train --resume <run-dir> [--resume <run-dir> ...] [--break-lock] [--json]
//   aem-train inspect <file.aem.json> [--json]
//   aem-train backends [--json]
//   aem-train submit | queue | cancel | resubmit | --run   (SLURM: src/trainer/cluster/)
// Exit codes: 0 done, 1 training failed, 2 invalid input, 130 stopped by Ctrl-C (129 SIGHUP, 143
// SIGTERM; every run saved a checkpoint first).
import { realpathSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadExperimentFile } from '../config/load.js';
import { inspectDataset, formatInspectReport } from '../data/inspect.js';
import { DataError } from '../data/types.js';
import { WorkerCommandSchema, type EngineEvent } from '../protocol/events.js';
import { formatBackendProbes, probeBackends } from './backend.js';
import { parseCliArgs, USAGE, type CliArgs } from './cliArgs.js';
import { prepareExperiment, resumeRuns, runExperiment, type ExperimentHandle } from './experiment.js';
import { isInvalidInput, UsageError } from './invalidInput.js';
import { resolveDataConfig } from './resolveData.js';
import { planResume } from './resumePlan.js';
import { EngineLocks } from './runLock.js';
import { TerminalView } from './terminalView.js';
import { clusterMain, isClusterCommand } from './cluster/commands.js';
import { workerMain } from './worker.js';

export const EXIT = { done: 0, failed: 1, invalid: 2, stopped: 130 } as const;
/** Stopped by a signal: 128 + its number, as a shell reports it. */
const STOP_SIGNALS = { SIGINT: 130, SIGHUP: 129, SIGTERM: 143 } as const;

async function inspectCommand(file: string, json: boolean): Promise<number> {
  const loaded = await loadExperimentFile(file);
  const { data } = await resolveDataConfig(loaded.experiment, loaded.baseDir);
  const report = await inspectDataset(data, loaded.baseDir);
  process.stdout.write(json ? `${JSON.stringify(report)}\n` : `${formatInspectReport(report)}\n`);
  return report.problems.length > 0 ? EXIT.invalid : EXIT.done;
}

type TrainArgs = Extract<CliArgs, { command: 'train' | 'resume' }>;

async function trainCommand(args: TrainArgs): Promise<number> {
  const view = new TerminalView(process.stderr);
  // Forked with an IPC channel (by the VS Code extension): events go over IPC while the parent is there,
  // and training goes on writing its run store if the parent goes away.
  const ipc = typeof process.send === 'function';
  const emit = (event: EngineEvent) => {
    if (ipc && process.connected) process.send?.(event);
    else if (args.json) process.stdout.write(`${JSON.stringify(event)}\n`);
    else if (!ipc) view.handle(event);
  };
  const say = (level: 'info' | 'warn', message: string) => emit({ type: 'log', level, message });
  const workerScript = fileURLToPath(import.meta.url);
  const locks = new EngineLocks();
  let handle: ExperimentHandle;
  if (args.command === 'resume') {
    const plans = args.runDirs.map(planResume);
    const toResume = [];
    for (const plan of plans) {
      if (plan.finished) {
        const s = plan.finished;
        process.stderr.write(`aem-train: ${path.basename(plan.runDir)} is finished (${s.epochsDone} of ${s.epochs} epochs, best epoch ${s.bestEpoch === null ? 'n/a' : s.bestEpoch + 1}): nothing to resume\n`);
        continue;
      }
      const broken = locks.take(plan.runDir, { breakLock: args.breakLock });
      if (broken) say('warn', `broke the run.lock of ${path.basename(plan.runDir)} (pid ${broken.enginePid ?? broken.hostPid}${broken.host ? ` on host ${broken.host}` : ''}, since ${broken.at})`);
      if (plan.movedFrom) say('warn', `${plan.movedFrom} no longer exists: the project seems to have moved, so data paths of ${path.basename(plan.runDir)} resolve against ${plan.config.baseDir}`);
      toResume.push(plan);
    }
    if (toResume.length === 0) return EXIT.done;
    const overrides = { ...(args.parallel ? { parallel: args.parallel } : {}), ...(args.threads ? { threads: args.threads } : {}) };
    const runs = toResume.map((p) => ({ runDir: p.runDir, config: { ...p.config, experiment: { ...p.config.experiment, compute: { ...p.config.experiment.compute, ...overrides } } } }));
    handle = resumeRuns(runs, { workerScript, emit, locks });
  } else {
    const loaded = await loadExperimentFile(args.file);
    let experiment = loaded.experiment;
    if (args.backend) experiment = { ...experiment, compute: { ...experiment.compute, backend: args.backend } };
    if (args.parallel) experiment = { ...experiment, compute: { ...experiment.compute, parallel: args.parallel } };
    if (args.threads) experiment = { ...experiment, compute: { ...experiment.compute, threads: args.threads } };
    const folds = await prepareExperiment(experiment, loaded.baseDir, emit);
    handle = runExperiment(experiment, loaded.baseDir, loaded.file, folds, { workerScript, emit, locks, ...(args.seeds ? { seeds: args.seeds } : {}) });
  }
  if (ipc) {
    process.on('message', (raw: unknown) => {
      if (WorkerCommandSchema.safeParse(raw).success) handle.stop();
    });
    process.on('disconnect', () => emit({ type: 'log', level: 'warn', message: 'the parent went away; training goes on' }));
  }
  // Ctrl-C, a closed terminal (SIGHUP) and SIGTERM all stop alike: every run saves a checkpoint after
  // its current step; a second signal quits at once.
  let stoppedBy: keyof typeof STOP_SIGNALS | undefined;
  for (const signal of Object.keys(STOP_SIGNALS) as (keyof typeof STOP_SIGNALS)[]) {
    process.on(signal, () => {
      if (stoppedBy) process.exit(STOP_SIGNALS[stoppedBy]);
      stoppedBy = signal;
      const again = signal === 'SIGINT' ? 'Ctrl-C again' : `${signal} again`;
      emit({ type: 'log', level: 'warn', message: `stopping (${signal}): each run saves a checkpoint after its current step (${again} to quit now)` });
      handle.stop();
    });
  }
  const result = await handle.done;
  view.finish();
  if (!args.json) process.stdout.write(`\n${result.table}\n`);
  if (result.invalid > 0) return EXIT.invalid;
  if (result.failed > 0) return EXIT.failed;
  if (result.stopped > 0 || result.unstarted.length > 0) return STOP_SIGNALS[stoppedBy ?? 'SIGINT'];
  return EXIT.done;
}

export async function main(argv: string[]): Promise<number> {
  if (argv[0] === '__worker') {
    await workerMain();
    return Number(process.exitCode ?? 0);
  }
  // A closed terminal or pipe must not turn a clean stop into a crash.
  process.stdout.on('error', () => undefined);
  process.stderr.on('error', () => undefined);
  if (isClusterCommand(argv)) return clusterMain(argv, fileURLToPath(import.meta.url));
  try {
    const args = parseCliArgs(argv);
    switch (args.command) {
      case 'help':
        process.stdout.write(`${USAGE}\n`);
        return EXIT.done;
      case 'backends': {
        const probes = await probeBackends();
        process.stdout.write(args.json ? `${JSON.stringify(probes)}\n` : `${formatBackendProbes(probes)}\n`);
        return EXIT.done;
      }
      case 'inspect':
        return await inspectCommand(args.file, args.json);
      default:
        return await trainCommand(args);
    }
  } catch (err) {
    return reportError(err, argv.includes('--json'));
  }
}

function reportError(err: unknown, json: boolean): number {
  const message =
    err instanceof UsageError
      ? `${err.message}\n${USAGE}`
      : err instanceof DataError
        ? `invalid data:\n${err.problems.map((p) => `  ${p.message}`).join('\n')}`
        : err instanceof Error
          ? err.message
          : String(err);
  if (json) process.stdout.write(`${JSON.stringify({ type: 'log', level: 'error', message } satisfies EngineEvent)}\n`);
  process.stderr.write(`aem-train: ${message}\n`);
  return isInvalidInput(err) ? EXIT.invalid : EXIT.failed;
}


const invokedDirectly = process.argv[1] !== undefined && realpathSync(fileURLToPath(import.meta.url)) === realpathSync(process.argv[1]);
if (invokedDirectly) {
  // Forked with IPC, the open channel would keep this process alive after its work is done.
  const letGo = () => {
    if (process.connected) process.disconnect();
  };
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
      letGo();
    },
    (err: unknown) => {
      process.stderr.write(`aem-train: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
      process.exitCode = EXIT.failed;
      letGo();
    },
  );
}
