// Builds the .vsix exactly as `npm run package` does (the vsce command of that script, with --out) from
// the current dist/ and media/ (run `npm run build` first), and reads or unpacks it with yauzl.
import { spawnSync } from 'node:child_process';
import { createWriteStream, mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import yauzl from 'yauzl';
import { projectRoot } from './paths.js';

const vsceBin = path.join(projectRoot, 'node_modules', '@vscode', 'vsce', 'vsce');

/** The arguments after `vsce` in package.json's `package` script ("package --no-dependencies …"). */
export function packageScriptVsceArgs(): string[] {
  const manifest = JSON.parse(readFileSync(path.join(projectRoot, 'package.json'), 'utf8')) as { scripts?: Record<string, string> };
  const script = manifest.scripts?.package ?? '';
  const m = /(?:^|&&\s*)vsce\s+(package(?:\s+[^&|;]+)?)$/.exec(script.trim());
  if (!m?.[1]) throw new Error(`package.json's "package" script does not end with a vsce package command: ${JSON.stringify(script)}`);
  return m[1].trim().split(/\s+/);
}

export interface PackagedVsix {
  file: string;
  /** What vsce printed (its warnings included). */
  output: string;
}

/** Packages the extension into `file` with the flags of `npm run package`; throws with vsce's output on failure. */
export function packageVsix(file: string): PackagedVsix {
  mkdirSync(path.dirname(file), { recursive: true });
  const r = spawnSync(process.execPath, [vsceBin, ...packageScriptVsceArgs(), '--out', file], { cwd: projectRoot, encoding: 'utf8', timeout: 300_000 });
  const output = `${r.stdout ?? ''}${r.stderr ?? ''}`;
  if (r.error) throw new Error(`vsce could not run: ${r.error.message}`);
  if (r.status !== 0) throw new Error(`vsce package exited with ${String(r.status ?? r.signal)}:\n${output}`);
  return { file, output };
}

function openZip(file: string): Promise<yauzl.ZipFile> {
  return new Promise((resolve, reject) => yauzl.open(file, { lazyEntries: true, autoClose: false }, (err, zip) => (err || !zip ? reject(err ?? new Error(`cannot open ${file}`)) : resolve(zip))));
}

/** Calls `each` on every entry of the zip, in order, and waits for it before reading the next. */
async function walkZip(file: string, each: (zip: yauzl.ZipFile, entry: yauzl.Entry) => Promise<void>): Promise<void> {
  const zip = await openZip(file);
  try {
    await new Promise<void>((resolve, reject) => {
      zip.on('entry', (entry: yauzl.Entry) => {
        each(zip, entry).then(() => zip.readEntry(), reject);
      });
      zip.on('end', () => resolve());
      zip.on('error', reject);
      zip.readEntry();
    });
  } finally {
    zip.close();
  }
}

export interface VsixEntry {
  /** The path inside the archive ("extension/dist/engine.mjs"). */
  name: string;
  size: number;
}

/** The files of the archive, directories left out. */
export async function vsixEntries(file: string): Promise<VsixEntry[]> {
  const entries: VsixEntry[] = [];
  await walkZip(file, async (_zip, entry) => {
    if (!entry.fileName.endsWith('/')) entries.push({ name: entry.fileName, size: entry.uncompressedSize });
  });
  return entries;
}

/** Unpacks the archive into `dir` (the extension itself lands in dir/extension/, as VS Code installs it). */
export async function extractVsix(file: string, dir: string): Promise<void> {
  await walkZip(file, async (zip, entry) => {
    const target = path.resolve(dir, entry.fileName);
    if (!target.startsWith(path.resolve(dir) + path.sep)) throw new Error(`${entry.fileName} would land outside ${dir}`);
    if (entry.fileName.endsWith('/')) {
      mkdirSync(target, { recursive: true });
      return;
    }
    mkdirSync(path.dirname(target), { recursive: true });
    const stream = await new Promise<NodeJS.ReadableStream>((resolve, reject) => zip.openReadStream(entry, (err, s) => (err || !s ? reject(err ?? new Error(`cannot read ${entry.fileName}`)) : resolve(s))));
    await pipeline(stream, createWriteStream(target));
  });
}
