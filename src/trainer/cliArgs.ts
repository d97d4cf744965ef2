// The command line of aem-train, parsed and checked: every mistake is a UsageError with a plain message
// (the CLI adds the usage line and exits 2), never a raw parser message or a silently ignored value.
import { parseArgs } from 'node:util';
import { BACKENDS, MAX_WASM_THREADS, type BackendChoice } from '../config/schema.js';
import { UsageError } from './invalidInput.js';

export const USAGE = `usage:
  aem-train <file.aem.json> [--seeds 0,1,2] [--backend ${BACKENDS.join('|')}] [--parallel N|auto] [--threads N|auto] [--json]
  aem-train --resume <run-dir> [--resume <run-dir> ...] [--parallel N|auto] [--threads N|auto] [--break-lock] [--json]
  aem-train inspect <file.aem.json> [--json]
  aem-train backends [--json]      each backend: where its packages are installed, and whether it starts here
  aem-train submit <file.aem.json> [--seeds 0,1] [--dry-run]   one SLURM job array (compute.cluster)
  aem-train queue <file.aem.json> | cancel <file|run-dir>... | resubmit <run-dir>... | --run <run-dir>`;

export type CliArgs =
  | { command: 'help' }
  | { command: 'backends'; json: boolean }
  | { command: 'inspect'; file: string; json: boolean }
  | { command: 'train'; file: string; seeds?: number[]; backend?: BackendChoice; parallel?: number | 'auto'; threads?: number | 'auto'; json: boolean }
  | { command: 'resume'; runDirs: string[]; parallel?: number | 'auto'; threads?: number | 'auto'; breakLock: boolean; json: boolean };

/** "--seeds 0,1,2": non-negative safe integers, at least one, none twice. */
export function parseSeeds(text: string): number[] {
  const parts = text.split(',').map((s) => s.trim());
  if (text.trim() === '') throw new UsageError('--seeds needs at least one seed (a comma-separated list such as 0,1,2)');
  const bad = parts.find((s) => !/^\d+$/.test(s));
  if (bad !== undefined) throw new UsageError(`--seeds takes a comma-separated list of non-negative integers; "${bad}" is not one (in "${text}")`);
  const seeds = parts.map(Number);
  const huge = parts.find((s) => !Number.isSafeInteger(Number(s)));
  if (huge !== undefined) throw new UsageError(`--seeds: ${huge} is too large (seeds go up to ${Number.MAX_SAFE_INTEGER})`);
  const twice = seeds.find((s, i) => seeds.indexOf(s) !== i);
  if (twice !== undefined) throw new UsageError(`--seeds lists ${twice} twice: each seed runs once`);
  return seeds;
}

/** Node's parseArgs errors, in plain words. */
function usageFromParseError(err: unknown, argv: string[]): UsageError {
  const e = err as NodeJS.ErrnoException;
  const option = /'(-{1,2}[\w-]+)/.exec(e.message)?.[1] ?? '';
  if (e.code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') return new UsageError(`unknown option ${option}`);
  if (e.code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE') {
    const at = argv.indexOf(option);
    const next = at >= 0 ? argv[at + 1] : undefined;
    if (next !== undefined && next.startsWith('-')) return new UsageError(`${option} needs a value, got the option-like "${next}" (write ${option}=${next} if it is the value)`);
    if (/argument missing/.test(e.message)) return new UsageError(`${option} needs a value`);
    return new UsageError(`${option} takes no value`);
  }
  if (e.code === 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL') return new UsageError('unexpected argument');
  return new UsageError(e.message);
}

function positiveInt(name: string, text: string | undefined, orElse = ''): number | undefined {
  if (text === undefined) return undefined;
  const n = Number(text);
  if (!/^\d+$/.test(text.trim()) || !Number.isSafeInteger(n) || n < 1) throw new UsageError(`${name} takes a positive integer${orElse}, got "${text}"`);
  return n;
}

export function parseCliArgs(argv: string[]): CliArgs {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        seeds: { type: 'string' },
        backend: { type: 'string' },
        parallel: { type: 'string' },
        threads: { type: 'string' },
        resume: { type: 'string', multiple: true },
        'break-lock': { type: 'boolean', default: false },
        json: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
    });
  } catch (err) {
    throw usageFromParseError(err, argv);
  }
  const { values, positionals } = parsed;
  const json = values.json ?? false;
  if (values.help) return { command: 'help' };
  if (values.backend !== undefined && !(BACKENDS as readonly string[]).includes(values.backend)) throw new UsageError(`--backend must be one of ${BACKENDS.join(', ')}`);
  const parallel = values.parallel?.trim() === 'auto' ? 'auto' : positiveInt('--parallel', values.parallel, ' or "auto"');
  const threads = values.threads?.trim() === 'auto' ? 'auto' : positiveInt('--threads', values.threads, ' or "auto"');
  if (typeof threads === 'number' && threads > MAX_WASM_THREADS) throw new UsageError(`--threads takes 1 to ${MAX_WASM_THREADS} or "auto", got "${values.threads}"`);
  if (positionals[0] === 'backends') return { command: 'backends', json };
  if (positionals[0] === 'inspect') {
    if (!positionals[1]) throw new UsageError('inspect needs an experiment file');
    if (positionals.length > 2) throw new UsageError(`inspect takes one experiment file (got ${positionals.length - 1})`);
    return { command: 'inspect', file: positionals[1], json };
  }
  const resume = values.resume ?? [];
  if (resume.length > 0) {
    if (positionals.length > 0) throw new UsageError(`--resume continues run folders; it takes no experiment file (got ${positionals.join(' ')})`);
    if (values.seeds !== undefined || values.backend !== undefined) throw new UsageError('--seeds and --backend apply to a new experiment; a resumed run keeps its own');
    if (resume.some((d) => d.trim() === '')) throw new UsageError('--resume needs a run folder');
    return { command: 'resume', runDirs: resume, ...(parallel ? { parallel } : {}), ...(threads ? { threads } : {}), breakLock: values['break-lock'] ?? false, json };
  }
  if (values['break-lock']) throw new UsageError('--break-lock goes with --resume');
  if (positionals.length !== 1) throw new UsageError(positionals.length === 0 ? 'give an experiment file (*.aem.json) or --resume <run-dir>' : `one experiment file at a time (got ${positionals.length})`);
  return {
    command: 'train',
    file: positionals[0] as string,
    ...(values.seeds !== undefined ? { seeds: parseSeeds(values.seeds) } : {}),
    ...(values.backend ? { backend: values.backend as BackendChoice } : {}),
    ...(parallel ? { parallel } : {}),
    ...(threads ? { threads } : {}),
    json,
  };
}
