// aem-train: the engine's command line.
//   aem-train <file.aem.json> [--seeds 0,1,2] [--backend wasm] [--parallel 2] [--json]
//   aem-train --resume <run-dir> [--json]
//   aem-train inspect <file.aem.json> [--json]
//   aem-train backends [--json]
// Exit codes: 0 done, 1 training failed, 2 invalid input, 130 stopped by Ctrl-C (checkpoint saved).
import { realpathSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import { ConfigError, loadExperimentFile } from '../config/load.js';
import { BACKENDS, type BackendChoice } from '../config/schema.js';
import { inspectDataset, formatInspectReport } from '../data/inspect.js';
import { DataError } from '../data/types.js';
import { WorkerCommandSchema, type EngineEvent } from '../protocol/events.js';
import { BackendUnavailableError, formatBackendProbes, probeBackends } from './backend.js';
import { prepareExperiment, resumeRun, runExperiment, type ExperimentHandle } from './experiment.js';
import { resolveDataConfig } from './resolveData.js';
import { TerminalView } from './terminalView.js';
import { clusterMain, isClusterCommand } from './cluster/commands.js';
import { workerMain } from './worker.js';

const USAGE = `usage:
  aem-train <file.aem.json> [--seeds 0,1,2] [--backend ${BACKENDS.join('|')}] [--parallel N] [--json]
  aem-train --resume <run-dir> [--json]
  aem-train inspect <file.aem.json> [--json]
  aem-train backends [--json]      each backend: where its packages are installed, and whether it starts here
  aem-train submit <file.aem.json> [--seeds 0,1] [--dry-run]   one SLURM job array (compute.cluster)
  aem-train queue <file.aem.json> | cancel <file|run-dir>... | resubmit <run-dir>... | --run <run-dir>`;

export const EXIT = { done: 0, failed: 1, invalid: 2, stopped: 130 } as const;

class UsageError extends Error {}

function parseSeeds(text: string | undefined): number[] | undefined {
  if (text === undefined) return undefined;
  const seeds = text.split(',').map((s) => s.trim());
  if (seeds.some((s) => !/^\d+$/.test(s))) throw new UsageError(`--seeds takes a comma-separated list of non-negative integers, got "${text}"`);
  return seeds.map(Number);
}

async function inspectCommand(file: string, json: boolean): Promise<number> {
  const loaded = await loadExperimentFile(file);
  const { data } = await resolveDataConfig(loaded.experiment, loaded.baseDir);
  const report = await inspectDataset(data, loaded.baseDir);
  process.stdout.write(json ? `${JSON.stringify(report)}\n` : `${formatInspectReport(report)}\n`);
  return report.problems.length > 0 ? EXIT.invalid : EXIT.done;
}

async function trainCommand(args: { file?: string; resume?: string; seeds?: number[]; backend?: BackendChoice; parallel?: number; json: boolean }): Promise<number> {
  const view = new TerminalView(process.stderr);
  // Forked with an IPC channel (by the VS Code extension): events go over IPC while the parent is there,
  // and training goes on writing its run store if the parent goes away.
  const ipc = typeof process.send === 'function';
  const emit = (event: EngineEvent) => {
    if (ipc && process.connected) process.send?.(event);
    else if (args.json) process.stdout.write(`${JSON.stringify(event)}\n`);
    else if (!ipc) view.handle(event);
  };
  const workerScript = fileURLToPath(import.meta.url);
  let handle: ExperimentHandle;
  if (args.resume) {
    handle = resumeRun(args.resume, { workerScript, emit });
  } else {
    const loaded = await loadExperimentFile(args.file as string);
    let experiment = loaded.experiment;
    if (args.backend) experiment = { ...experiment, compute: { ...experiment.compute, backend: args.backend } };
    if (args.parallel) experiment = { ...experiment, compute: { ...experiment.compute, parallel: args.parallel } };
    const folds = await prepareExperiment(experiment, loaded.baseDir, emit);
    handle = runExperiment(experiment, loaded.baseDir, loaded.file, folds, { workerScript, emit, ...(args.seeds ? { seeds: args.seeds } : {}) });
  }
  if (ipc) {
    process.on('message', (raw: unknown) => {
      if (WorkerCommandSchema.safeParse(raw).success) handle.stop();
    });
    process.on('disconnect', () => emit({ type: 'log', level: 'warn', message: 'the parent went away; training goes on' }));
  }
  let interrupts = 0;
  process.on('SIGINT', () => {
    interrupts += 1;
    if (interrupts > 1) process.exit(EXIT.stopped);
    emit({ type: 'log', level: 'warn', message: 'stopping: each run saves a checkpoint after its current step (Ctrl-C again to quit now)' });
    handle.stop();
  });
  const result = await handle.done;
  view.finish();
  if (!args.json) process.stdout.write(`\n${result.table}\n`);
  if (result.failed > 0) return EXIT.failed;
  if (result.stopped > 0) return EXIT.stopped;
  return EXIT.done;
}

export async function main(argv: string[]): Promise<number> {
  if (argv[0] === '__worker') {
    await workerMain();
    return Number(process.exitCode ?? 0);
  }
  if (isClusterCommand(argv)) return clusterMain(argv, fileURLToPath(import.meta.url));
  try {
    const { values, positionals } = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        seeds: { type: 'string' },
        backend: { type: 'string' },
        parallel: { type: 'string' },
        resume: { type: 'string' },
        json: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
    });
    if (values.help) {
      process.stdout.write(`${USAGE}\n`);
      return EXIT.done;
    }
    if (values.backend !== undefined && !(BACKENDS as readonly string[]).includes(values.backend)) throw new UsageError(`--backend must be one of ${BACKENDS.join(', ')}`);
    const parallel = values.parallel !== undefined ? Number(values.parallel) : undefined;
    if (parallel !== undefined && !(Number.isInteger(parallel) && parallel >= 1)) throw new UsageError('--parallel takes a positive integer');
    if (positionals[0] === 'backends') {
      const probes = await probeBackends();
      process.stdout.write(values.json ? `${JSON.stringify(probes)}\n` : `${formatBackendProbes(probes)}\n`);
      return EXIT.done;
    }
    if (positionals[0] === 'inspect') {
      if (!positionals[1]) throw new UsageError('inspect needs an experiment file');
      return await inspectCommand(positionals[1], values.json ?? false);
    }
    if (!values.resume && positionals.length !== 1) throw new UsageError(positionals.length === 0 ? 'give an experiment file (*.aem.json) or --resume <run-dir>' : `one experiment file at a time (got ${positionals.length})`);
    return await trainCommand({
      ...(positionals[0] ? { file: positionals[0] } : {}),
      ...(values.resume ? { resume: values.resume } : {}),
      ...(values.seeds ? { seeds: parseSeeds(values.seeds) as number[] } : {}),
      ...(values.backend ? { backend: values.backend as BackendChoice } : {}),
      ...(parallel ? { parallel } : {}),
      json: values.json ?? false,
    });
  } catch (err) {
    return reportError(err, argv.includes('--json'));
  }
}

function reportError(err: unknown, json: boolean): number {
  const invalid = err instanceof ConfigError || err instanceof DataError || err instanceof UsageError || err instanceof BackendUnavailableError;
  const message = err instanceof UsageError ? `${err.message}\n${USAGE}` : err instanceof DataError ? `invalid data:\n${err.problems.map((p) => `  ${p.message}`).join('\n')}` : err instanceof Error ? err.message : String(err);
  if (json) process.stdout.write(`${JSON.stringify({ type: 'log', level: 'error', message } satisfies EngineEvent)}\n`);
  process.stderr.write(`aem-train: ${message}\n`);
  return invalid ? EXIT.invalid : EXIT.failed;
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
