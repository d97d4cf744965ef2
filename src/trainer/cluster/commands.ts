// The cluster subcommands of aem-train:
//   aem-train submit <file.aem.json> [--seeds 0,1] [--dry-run] [--json]
//   aem-train resubmit <run-dir>... [--json]      failed, stopped or requeued runs, as a new job array
//   aem-train queue <file.aem.json> [--json]      each cluster run: SLURM's state, reason, node, exit code
//   aem-train cancel <file.aem.json | run-dir>... scancel (the engine checkpoints on TERM)
//   aem-train --run <run-dir>                     one array task (what the sbatch script runs)
import path from 'node:path';
import { parseArgs } from 'node:util';
import { ConfigError, loadExperimentFile } from '../../config/load.js';
import { DataError } from '../../data/types.js';
import type { EngineEvent } from '../../protocol/events.js';
import { readRunConfig, readSummary } from '../runStore.js';
import { TerminalView } from '../terminalView.js';
import { clusterRunDirs, clusterStatus, formatClusterStatus } from './clusterStatus.js';
import { runClusterTask } from './runTask.js';
import { ClusterError, scancel } from './slurmCommands.js';
import { clusterOf, submitExperiment, submitRunDirs } from './submit.js';

const CLUSTER_COMMANDS = ['submit', 'resubmit', 'queue', 'cancel'];

export function isClusterCommand(argv: string[]): boolean {
  return CLUSTER_COMMANDS.includes(argv[0] ?? '') || argv[0] === '--run';
}

class ClusterUsageError extends Error {}

const EXIT = { done: 0, failed: 1, invalid: 2, stopped: 130 } as const;

function seedsOf(text: string | undefined): number[] | undefined {
  if (text === undefined) return undefined;
  const seeds = text.split(',').map((s) => s.trim());
  if (seeds.some((s) => !/^\d+$/.test(s))) throw new ClusterUsageError(`--seeds takes a comma-separated list of non-negative integers, got "${text}"`);
  return seeds.map(Number);
}

async function experimentDirOf(file: string): Promise<string> {
  const loaded = await loadExperimentFile(file);
  return path.join(path.resolve(loaded.baseDir, loaded.experiment.output), loaded.experiment.name);
}

export async function clusterMain(argv: string[], engineScript: string): Promise<number> {
  const json = argv.includes('--json');
  const say = (message: string) => process.stdout.write(json ? `${JSON.stringify({ type: 'log', level: 'info', message })}\n` : `${message}\n`);
  try {
    const { values, positionals } = parseArgs({
      args: argv,
      allowPositionals: true,
      options: { seeds: { type: 'string' }, 'dry-run': { type: 'boolean', default: false }, run: { type: 'string' }, json: { type: 'boolean', default: false } },
    });
    const view = new TerminalView(process.stderr);
    const emit = (event: EngineEvent) => (json ? process.stdout.write(`${JSON.stringify(event)}\n`) : view.handle(event));
    if (values.run !== undefined) {
      if (positionals.length > 0) throw new ClusterUsageError('--run takes one run folder and nothing else');
      const result = await runClusterTask(values.run, engineScript, emit);
      view.finish();
      if (result.table && !json) process.stdout.write(`\n${result.table}\n`);
      return EXIT[result.code];
    }
    const [command, ...rest] = positionals;
    if (command === 'submit') {
      if (rest.length !== 1) throw new ClusterUsageError('submit takes one experiment file');
      const seeds = seedsOf(values.seeds);
      const submission = await submitExperiment(rest[0] as string, { ...(seeds ? { seeds } : {}), dryRun: values['dry-run'] ?? false, node: process.execPath, engine: engineScript, emit });
      view.finish();
      if (json) process.stdout.write(`${JSON.stringify({ type: 'submitted', ...submission })}\n`);
      else if (submission.jobId === null) process.stdout.write(`${submission.scriptText}\n# runs:\n${submission.runDirs.map((d) => `#   ${d}`).join('\n')}\n`);
      else say(`job array ${submission.jobId}: ${submission.runDirs.length} runs\nscript: ${submission.script}\nwatch: aem-train queue ${rest[0]}`);
      return EXIT.done;
    }
    if (command === 'resubmit') {
      if (rest.length === 0) throw new ClusterUsageError('resubmit takes the run folders to submit again');
      const dirs = rest.map((d) => path.resolve(d));
      const configs = dirs.map((d) => readRunConfig(d));
      const done = dirs.filter((d) => readSummary(d)?.status === 'done');
      if (done.length > 0) throw new ClusterUsageError(`already done, nothing to resubmit: ${done.join(', ')}`);
      const first = configs[0];
      if (!first || configs.some((c) => c.experiment.name !== first.experiment.name)) throw new ClusterUsageError('resubmit takes runs of one experiment at a time');
      const cluster = clusterOf(first.experiment, first.experimentFile ?? (dirs[0] as string));
      const submission = submitRunDirs(dirs, cluster, path.dirname(dirs[0] as string), `aem-${first.experiment.name}`, { node: process.execPath, engine: engineScript });
      if (json) process.stdout.write(`${JSON.stringify({ type: 'submitted', ...submission })}\n`);
      else say(`job array ${submission.jobId}: ${dirs.length} runs resubmitted (each resumes from its checkpoint-last)\nscript: ${submission.script}`);
      return EXIT.done;
    }
    if (command === 'queue') {
      if (rest.length !== 1) throw new ClusterUsageError('queue takes one experiment file');
      const status = clusterStatus(clusterRunDirs(await experimentDirOf(rest[0] as string)));
      process.stdout.write(json ? `${JSON.stringify(status)}\n` : `${formatClusterStatus(status)}\n`);
      return EXIT.done;
    }
    if (command === 'cancel') {
      if (rest.length === 0) throw new ClusterUsageError('cancel takes an experiment file or run folders');
      const dirs: string[] = [];
      for (const target of rest) dirs.push(...(target.endsWith('.json') ? clusterRunDirs(await experimentDirOf(target)) : [path.resolve(target)]));
      const ids = dirs.map((d) => readRunConfig(d).cluster).flatMap((c) => (c ? [`${c.jobId}_${c.arrayIndex}`] : []));
      if (ids.length === 0) throw new ClusterUsageError('no cluster runs to cancel there');
      scancel(ids);
      say(`sent TERM to ${ids.join(', ')}: each run saves a checkpoint; resume with aem-train resubmit <run-dir>`);
      return EXIT.done;
    }
    throw new ClusterUsageError(`unknown cluster command ${command ?? ''}`);
  } catch (err) {
    const invalid = err instanceof ClusterError || err instanceof ClusterUsageError || err instanceof ConfigError || err instanceof DataError || (err instanceof TypeError && 'code' in err);
    const message = err instanceof DataError ? `invalid data:\n${err.problems.map((p) => `  ${p.message}`).join('\n')}` : err instanceof Error ? err.message : String(err);
    if (json) process.stdout.write(`${JSON.stringify({ type: 'log', level: 'error', message } satisfies EngineEvent)}\n`);
    process.stderr.write(`aem-train: ${message}\n`);
    return invalid ? EXIT.invalid : EXIT.failed;
  }
}
