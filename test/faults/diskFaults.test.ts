// A full disk (ENOSPC on a small tmpfs) fails the run with a message naming the file and its folder,
// records the failure in summary.json, and leaves no temporary file and no torn metrics line behind.
// Mounting a tmpfs needs root (or CAP_SYS_ADMIN): without it those cases are skipped, saying why.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statfsSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { RunSummary } from '../../src/protocol/events.js';
import { appendLinesDurably, FileWriteError, removeStaleTmpFiles, writeFileAtomic } from '../../src/trainer/atomicFile.js';
import { readJson, runEngine, tinyExperiment } from '../helpers/engineProcess.js';

const work = mkdtempSync(path.join(os.tmpdir(), 'aem-disk-faults-'));
const mountPoint = path.join(work, 'small-disk');
let skipReason: string | undefined;

before(() => {
  mkdirSync(mountPoint, { recursive: true });
  const r = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=4m', 'tmpfs', mountPoint], { encoding: 'utf8' });
  if (r.status !== 0) {
    skipReason = `cannot mount a tmpfs here (${(r.stderr || r.error?.message || `exit ${r.status}`).trim()}): the ENOSPC cases need root`;
    process.stdout.write(`# ${skipReason}\n`);
  }
});

after(() => {
  if (!skipReason) spawnSync('umount', [mountPoint]);
  rmSync(work, { recursive: true, force: true });
});

/** Leaves about `free` bytes free on the small disk. */
function fillDisk(free: number): void {
  rmSync(path.join(mountPoint, 'filler'), { force: true });
  const stats = statfsSync(mountPoint);
  const available = stats.bavail * stats.bsize;
  writeFileSync(path.join(mountPoint, 'filler'), Buffer.alloc(Math.max(0, available - free)));
}

const tmpFiles = (dir: string) => readdirSync(dir).filter((n) => n.endsWith('.tmp'));

test('writeFileAtomic on a full disk: the error names the file and the folder, and no .tmp file is left', (t) => {
  if (skipReason) return t.skip(skipReason);
  const dir = path.join(mountPoint, 'unit');
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, 'metrics.jsonl'), '{"epoch":0}\n');
  fillDisk(0);
  assert.throws(
    () => writeFileAtomic(path.join(dir, 'checkpoint-last.pack'), new Uint8Array(256 * 1024)),
    (err: unknown) => err instanceof FileWriteError && err.code === 'ENOSPC' && err.message === `could not write checkpoint-last.pack in ${dir}: no space left on the device (ENOSPC)`,
  );
  assert.deepEqual(tmpFiles(dir), []);
  assert.throws(() => appendLinesDurably(path.join(dir, 'metrics.jsonl'), ['x'.repeat(64 * 1024)]), /could not write metrics\.jsonl in .*ENOSPC/);
  assert.equal(readFileSync(path.join(dir, 'metrics.jsonl'), 'utf8'), '{"epoch":0}\n', 'no torn line');
  rmSync(dir, { recursive: true, force: true });
  rmSync(path.join(mountPoint, 'filler'), { force: true });
});

test('a run that fills the disk fails (exit 1) naming the file and folder; summary.json says failed; no .tmp, no torn line', async (t) => {
  if (skipReason) return t.skip(skipReason);
  const output = path.join(mountPoint, 'project-out', 'runs');
  const file = tinyExperiment(path.join(work, 'project'), 'full', { epochs: 2, output });
  // The synthetic dataset (next to the output folder, on the small disk too) is generated first.
  const warm = await runEngine(['inspect', file], path.join(work, 'project'), 120_000);
  assert.equal(warm.code, 0, warm.stderr);
  fillDisk(48 * 1024);
  const r = await runEngine([file], path.join(work, 'project'), 120_000);
  assert.equal(r.code, 1, r.stderr);
  const runDir = path.join(output, 'full', readdirSync(path.join(output, 'full'))[0] as string);
  const message = new RegExp(`could not write [\\w.-]+ in ${runDir.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: no space left on the device \\(ENOSPC\\)`);
  assert.match(r.stderr, message);
  const summary = readJson<RunSummary>(path.join(runDir, 'summary.json'));
  assert.equal(summary.status, 'failed');
  assert.match(summary.error ?? '', message);
  assert.deepEqual(tmpFiles(runDir), []);
  if (existsSync(path.join(runDir, 'metrics.jsonl'))) {
    for (const line of readFileSync(path.join(runDir, 'metrics.jsonl'), 'utf8').split('\n').filter(Boolean)) JSON.parse(line);
  }
  assert.equal(existsSync(path.join(runDir, 'run.lock')), false);
});

test('temporary files of dead writers are swept at the next start; a live writer keeps its own', () => {
  const dir = path.join(work, 'sweep');
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, 'summary.json.999999999.tmp'), 'half');
  writeFileSync(path.join(dir, `checkpoint-last.pack.${process.ppid}.tmp`), 'in progress');
  writeFileSync(path.join(dir, 'notes.tmp.txt'), 'not ours');
  assert.deepEqual(removeStaleTmpFiles(dir), ['summary.json.999999999.tmp']);
  assert.deepEqual(readdirSync(dir).sort(), [`checkpoint-last.pack.${process.ppid}.tmp`, 'notes.tmp.txt']);
});
