// The comparison cell's query: a short YAML mapping, validated with zod. Errors carry the line of the
// offending key (1-based, within the cell) and, for unknown keys, the keys that exist.
import { isMap, isScalar, LineCounter, parseDocument, type Document } from 'yaml';
import { z } from 'zod';

export const SHOW_KINDS = ['table', 'curves', 'scatter', 'topk', 'sensitivity', 'roc', 'confusion', 'paired'] as const;
export type ShowKind = (typeof SHOW_KINDS)[number];

const scalar = z.union([z.string(), z.number(), z.boolean()]);
const stringList = z.union([z.string().min(1), z.array(z.string().min(1)).min(1)]).transform((v) => (Array.isArray(v) ? v : [v]));

export const QuerySchema = z
  .object({
    /** Globs over "<experiment>/<run folder>"; a pattern without "/" means every run of those experiments. */
    runs: stringList,
    show: z.enum(SHOW_KINDS).default('table'),
    /** Keys whose values split runs into groups; default: the sweep keys of the matched runs. */
    group: stringList.optional(),
    metrics: stringList.optional(),
    /** best (each run's best epoch, by val AUROC + val F1), last (its latest epoch) or an epoch number (1-based). */
    at: z.union([z.enum(['best', 'last']), z.number().int().min(1)]).default('best'),
    /** table: the group the paired test compares every other group with, e.g. {aem.lambda: 0}; default the first group. paired: the "without" value of x, e.g. {aem.lambda: 0}; default its lowest. */
    baseline: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])).optional(),
    /** table: also test every group against the best (by the first metric) of the groups this selects, e.g. {aem.schedule: [constant, cosine]}. */
    versusBest: z.record(z.string(), z.union([scalar, z.array(scalar).min(1)])).optional(),
    /** scatter: the metrics on each axis; sensitivity: the swept key on the x axis; paired: the key compared (default aem.lambda). */
    x: z.string().min(1).optional(),
    y: z.string().min(1).optional(),
    /** sensitivity: the key that makes one line per value. */
    lines: z.string().min(1).optional(),
    /** topk: which split's attention curve; roc, confusion: which split's predictions. */
    split: z.enum(['val', 'test']).default('test'),
    /** live: finished runs and runs training now; done: finished runs only; all: also stopped, interrupted and failed runs, with the epochs they have. */
    include: z.enum(['live', 'done', 'all']).default('live'),
    /** Re-run the cell every 5 s while any of its runs trains. */
    live: z.boolean().default(false),
    title: z.string().optional(),
  })
  .strict();
export type Query = z.output<typeof QuerySchema>;
export const QUERY_KEYS = Object.keys(QuerySchema.shape);

export interface QueryProblem {
  /** 1-based line in the cell, where known. */
  line?: number;
  message: string;
}

export class QueryError extends Error {
  constructor(readonly problems: QueryProblem[]) {
    super(problems.map((p) => (p.line !== undefined ? `line ${p.line}: ${p.message}` : p.message)).join('\n'));
    this.name = 'QueryError';
  }
}

export interface ParsedQuery {
  query: Query;
  /** The line of a top-level key, for errors found later (a glob that matches nothing, an unknown metric). */
  lineOf(key: string): number | undefined;
}

function keyLines(doc: Document, counter: LineCounter): Map<string, number> {
  const lines = new Map<string, number>();
  if (!isMap(doc.contents)) return lines;
  for (const pair of doc.contents.items) {
    if (isScalar(pair.key) && pair.key.range) lines.set(String(pair.key.value), counter.linePos(pair.key.range[0]).line);
  }
  return lines;
}

export function parseQuery(text: string): ParsedQuery {
  const counter = new LineCounter();
  const doc = parseDocument(text, { lineCounter: counter, prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length > 0) {
    throw new QueryError(doc.errors.map((e) => ({ line: counter.linePos(e.pos[0]).line, message: `YAML: ${e.message.split('\n')[0] ?? e.message}` })));
  }
  const raw: unknown = doc.toJS();
  if (raw === null || raw === undefined) {
    throw new QueryError([{ message: `empty query; write a YAML mapping, e.g. "runs: my-experiment/*" and "show: table" (keys: ${QUERY_KEYS.join(', ')})` }]);
  }
  if (typeof raw !== 'object' || Array.isArray(raw)) throw new QueryError([{ line: 1, message: `a query is a YAML mapping of keys (${QUERY_KEYS.join(', ')})` }]);
  const lines = keyLines(doc, counter);
  const parsed = QuerySchema.safeParse(raw);
  if (!parsed.success) {
    const problems: QueryProblem[] = [];
    for (const issue of parsed.error.issues) {
      if (issue.code === 'unrecognized_keys') {
        for (const key of issue.keys) {
          const line = lines.get(key);
          problems.push({ ...(line !== undefined ? { line } : {}), message: `unknown key "${key}" (known keys: ${QUERY_KEYS.join(', ')})` });
        }
        continue;
      }
      const top = issue.path[0];
      const line = typeof top === 'string' ? lines.get(top) : undefined;
      const where = issue.path.length > 0 ? `${issue.path.join('.')}: ` : '';
      problems.push({ ...(line !== undefined ? { line } : {}), message: `${where}${describeIssue(issue, top, raw as Record<string, unknown>)}` });
    }
    throw new QueryError(problems);
  }
  return { query: parsed.data, lineOf: (key) => lines.get(key) };
}

function describeIssue(issue: z.core.$ZodIssue, key: PropertyKey | undefined, raw: Record<string, unknown>): string {
  if (key === 'runs' && raw.runs === undefined) return 'missing: say which runs, e.g. "runs: my-experiment/*"';
  if (key === 'runs' || key === 'group' || key === 'metrics') return 'a name or a list of names';
  if (key === 'show') return `one of ${SHOW_KINDS.join(', ')}`;
  if (key === 'at') return 'best, last or an epoch number (1 = the first epoch)';
  return issue.message;
}

/**
 * A small glob over "<experiment>/<run folder>" names: `*` is any run of characters but "/", `?` one
 * character but "/", `**` anything including "/"; everything else matches itself. A pattern without "/"
 * names experiments and means all their runs ("c16-*" = "c16-*\/*"). Brackets and braces are not
 * supported and are reported, rather than silently matched literally.
 */
export function globToRegExp(pattern: string): RegExp {
  const problem = globProblem(pattern);
  if (problem) throw new Error(problem);
  const full = pattern.includes('/') ? pattern : `${pattern}/*`;
  let source = '';
  for (let i = 0; i < full.length; i++) {
    const c = full[i] as string;
    if (c === '*' && full[i + 1] === '*') {
      source += '.*';
      i++;
    } else if (c === '*') source += '[^/]*';
    else if (c === '?') source += '[^/]';
    else source += c.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${source}$`);
}

/** Why a pattern is not a glob this module understands, or undefined when it is fine. */
export function globProblem(pattern: string): string | undefined {
  if (pattern.trim() === '') return 'an empty pattern';
  if (pattern.startsWith('/')) return `"${pattern}" starts with "/": patterns are "<experiment>/<run folder>", not file paths`;
  if (/\*\*\*/.test(pattern)) return `"${pattern}" has "***"; use "*" (within a name) or "**" (across "/")`;
  const unsupported = pattern.match(/[[\]{}\\]/);
  if (unsupported) return `"${pattern}" uses "${unsupported[0]}", which these patterns do not support (only *, ? and **)`;
  if (pattern.split('/').length > 2 && !pattern.includes('**')) return `"${pattern}" has more than one "/"; run names are "<experiment>/<run folder>"`;
  return undefined;
}
