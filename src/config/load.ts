// Reads an experiment file (JSON with comments), validates it against the schema and reports every
// problem at once, each with its JSON path and, since the file was parsed from text, line and column.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { findNodeAtLocation, parseTree, printParseErrorCode, type Node, type ParseError } from 'jsonc-parser';
import type { z } from 'zod';
import { ExperimentSchema, type Experiment } from './schema.js';

export interface ConfigProblem {
  /** JSON path such as "aem.lambda" or "seeds[1]"; empty for the whole file. */
  path: string;
  message: string;
  line?: number;
  column?: number;
  /** Character offset and length in the text, for editors. */
  offset?: number;
  length?: number;
}

export class ConfigError extends Error {
  constructor(
    readonly file: string,
    readonly problems: ConfigProblem[],
  ) {
    super(formatProblems(file, problems));
    this.name = 'ConfigError';
  }
}

export function formatProblems(file: string, problems: ConfigProblem[]): string {
  const lines = problems.map((p) => {
    const where = p.line !== undefined ? `${file}:${p.line}:${p.column}` : file;
    return `  ${where}  ${p.path ? `${p.path}: ` : ''}${p.message}`;
  });
  return `${file}: ${problems.length} problem${problems.length === 1 ? '' : 's'}\n${lines.join('\n')}`;
}

function lineColumn(text: string, offset: number): { line: number; column: number } {
  let line = 1;
  let lineStart = 0;
  for (let i = 0; i < offset && i < text.length; i++) {
    if (text.charCodeAt(i) === 10) {
      line++;
      lineStart = i + 1;
    }
  }
  return { line, column: offset - lineStart + 1 };
}

function formatPath(segments: readonly PropertyKey[]): string {
  let out = '';
  for (const s of segments) {
    if (typeof s === 'number') out += `[${s}]`;
    // A key such as a sweep's "aem.lambda" is quoted, so that the path stays unambiguous.
    else if (!/^[A-Za-z_$][\w$]*$/.test(String(s))) out += `[${JSON.stringify(String(s))}]`;
    else out += out ? `.${String(s)}` : String(s);
  }
  return out;
}

function locate(text: string, root: Node | undefined, segments: (string | number)[]): Pick<ConfigProblem, 'line' | 'column' | 'offset' | 'length'> {
  if (!root) return {};
  // Walk up until a node exists (a missing key is reported at its parent object).
  for (let n = segments.length; n >= 0; n--) {
    const node = findNodeAtLocation(root, segments.slice(0, n));
    if (node) {
      // Point at the key of a property rather than at its value where there is one.
      const target = node.parent?.type === 'property' && node.parent.children?.[0] && n === segments.length ? node.parent.children[0] : node;
      return { ...lineColumn(text, target.offset), offset: target.offset, length: target.length };
    }
  }
  return {};
}

function zodProblems(text: string, root: Node | undefined, error: z.ZodError): ConfigProblem[] {
  return error.issues.map((issue) => {
    const segments = issue.path.filter((s): s is string | number => typeof s !== 'symbol');
    let message = issue.message;
    // zod's own wording is replaced; a schema's custom message (an option of another model.arch) is kept.
    if (issue.code === 'unrecognized_keys' && issue.message.startsWith('Unrecognized key')) message = `unknown key${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => `"${k}"`).join(', ')}`;
    // A record key that fails its own rule: say the rule, not just "Invalid key in record".
    if (issue.code === 'invalid_key') message = `invalid key "${String(segments[segments.length - 1])}": ${issue.issues.map((i) => i.message).join('; ')}`;
    const keyPath = issue.code === 'unrecognized_keys' && issue.keys.length === 1 ? [...segments, issue.keys[0] as string] : segments;
    return { path: formatPath(segments), message, ...locate(text, root, keyPath) };
  });
}

/** Keys written twice in one object: JSON keeps the last silently, so each repeat is a problem at its key. */
function duplicateKeyProblems(text: string, node: Node | undefined, segments: (string | number)[] = []): ConfigProblem[] {
  if (!node) return [];
  const problems: ConfigProblem[] = [];
  if (node.type === 'object') {
    const first = new Map<string, Node>();
    for (const property of node.children ?? []) {
      const keyNode = property.children?.[0];
      if (!keyNode || typeof keyNode.value !== 'string') continue;
      const key = keyNode.value;
      const earlier = first.get(key);
      if (earlier) {
        const at = lineColumn(text, earlier.offset);
        problems.push({ path: formatPath([...segments, key]), message: `duplicate key "${key}" (first at line ${at.line}, column ${at.column}): only one of them would count; remove one`, ...lineColumn(text, keyNode.offset), offset: keyNode.offset, length: keyNode.length });
      } else {
        first.set(key, keyNode);
      }
      problems.push(...duplicateKeyProblems(text, property.children?.[1], [...segments, key]));
    }
  } else if (node.type === 'array') {
    (node.children ?? []).forEach((child, i) => problems.push(...duplicateKeyProblems(text, child, [...segments, i])));
  }
  return problems;
}

/** Parses and validates experiment text; throws ConfigError listing every problem. */
export function parseExperiment(text: string, file: string): Experiment {
  // A UTF-8 byte order mark (Windows editors write one) is not part of the JSON. Positions are counted
  // without it, as editors show them; offsets still index the text as given.
  const bom = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  const json = bom ? text.slice(1) : text;
  const shift = (problems: ConfigProblem[]): ConfigProblem[] => (bom ? problems.map((p) => (p.offset !== undefined ? { ...p, offset: p.offset + bom } : p)) : problems);
  const errors: ParseError[] = [];
  const root = parseTree(json, errors, { allowTrailingComma: true, disallowComments: false });
  if (errors.length > 0) {
    throw new ConfigError(
      file,
      shift(errors.map((e) => ({ path: '', message: `JSON syntax: ${printParseErrorCode(e.error)}`, ...lineColumn(json, e.offset), offset: e.offset, length: e.length }))),
    );
  }
  const value: unknown = root ? nodeValue(root) : undefined;
  const problems = duplicateKeyProblems(json, root);
  const result = ExperimentSchema.safeParse(value);
  if (result.success && problems.length === 0) return result.data;
  if (!result.success) problems.push(...zodProblems(json, root, result.error));
  throw new ConfigError(file, shift(sortByPosition(problems)));
}

function sortByPosition(problems: ConfigProblem[]): ConfigProblem[] {
  return [...problems].sort((a, b) => (a.offset ?? -1) - (b.offset ?? -1));
}

function nodeValue(node: Node): unknown {
  switch (node.type) {
    case 'object':
      return Object.fromEntries((node.children ?? []).map((p) => [p.children?.[0]?.value as string, p.children?.[1] ? nodeValue(p.children[1]) : undefined]));
    case 'array':
      return (node.children ?? []).map(nodeValue);
    default:
      return node.value as unknown;
  }
}

/** Validates an already-parsed object (a resolved config.json, for instance). */
export function validateExperimentObject(value: unknown, file: string): Experiment {
  const result = ExperimentSchema.safeParse(value);
  if (!result.success) throw new ConfigError(file, zodProblems('', undefined, result.error));
  return result.data;
}

export interface LoadedExperiment {
  experiment: Experiment;
  file: string;
  /** Folder that relative paths in the file are resolved against. */
  baseDir: string;
}

export async function loadExperimentFile(file: string): Promise<LoadedExperiment> {
  const abs = path.resolve(file);
  let text: string;
  try {
    text = await readFile(abs, 'utf8');
  } catch (err) {
    throw new ConfigError(file, [{ path: '', message: `cannot read the file (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})` }]);
  }
  return { experiment: parseExperiment(text, file), file: abs, baseDir: path.dirname(abs) };
}
