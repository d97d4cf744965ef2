// aem-train's cluster commands where no cluster is needed: the dry run, and the plain messages for a
// missing compute.cluster, a machine without sbatch and a run folder the task cannot see.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { projectRoot } from '../helpers/paths.js';

const engine = path.join(projectRoot, 'dist', 'engine.mjs');
const work = mkdtempSync(path.join(os.tmpdir(), 'aem-submit-test-'));
// No SLURM on this PATH, whatever the machine has installed.
const noSlurm = { ...process.env, PATH: path.join(work, 'empty-bin') };

function aemTrain(args: string[], env: NodeJS.ProcessEnv = process.env) {
  const r = spawnSync(process.execPath, [engine, ...args], { cwd: work, encoding: 'utf8', timeout: 120_000, env });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

function experiment(name: string, cluster: unknown): string {
  const file = path.join(work, `${name}.aem.json`);
  writeFileSync(
    file,
    JSON.stringify({
      name,
      data: { format: 'synthetic', synthetic: { preset: 'tiny', seed: 3 } },
      model: { attention: 16 },
      train: { epochs: 1 },
      seeds: [0, 1],
      sweep: { 'aem.lambda': [0, 0.1] },
      compute: { backend: 'cpu', ...(cluster ? { cluster } : {}) },
      output: 'runs',
    }),
  );
  return file;
}

test('submit --dry-run prints the script and the four runs, and creates nothing', () => {
  const file = experiment('dry', { scheduler: 'slurm', partition: 'gpu', maxConcurrent: 3 });
  const r = aemTrain(['submit', file, '--dry-run'], noSlurm);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^#!\/bin\/bash/);
  assert.match(r.stdout, /#SBATCH --array=0-3%3/);
  assert.match(r.stdout, /#SBATCH --partition=gpu/);
  assert.equal((r.stdout.match(/^# {3}.*dry\/lambda0(\.1)?-s[01]-<time>$/gm) ?? []).length, 4);
  assert.equal(existsSync(path.join(work, 'runs')), false, 'no run folder, no script');
});

test('submit --seeds expands only those seeds, as a local launch does', () => {
  const file = experiment('seeds', { scheduler: 'slurm' });
  const r = aemTrain(['submit', file, '--dry-run', '--seeds', '1'], noSlurm);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /#SBATCH --array=0-1\n/);
  assert.doesNotMatch(r.stdout, /-s0-<time>/);
});

test('submit without compute.cluster exits 2 saying what to add', () => {
  const r = aemTrain(['submit', experiment('local', undefined), '--dry-run'], noSlurm);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /has no compute\.cluster/);
});

test('submit where sbatch is not on PATH exits 2 saying so, and leaves no run folder behind', () => {
  const file = experiment('nosbatch', { scheduler: 'slurm' });
  const r = aemTrain(['submit', file], noSlurm);
  assert.equal(r.code, 2, r.stderr);
  assert.match(r.stderr, /sbatch is not on PATH/);
  assert.doesNotMatch(r.stderr, /\n\s+at .+:\d+:\d+/);
  const expDir = path.join(work, 'runs', 'nosbatch');
  const left = existsSync(expDir) ? spawnSync('find', [expDir, '-name', 'config.json'], { encoding: 'utf8' }).stdout.trim() : '';
  assert.equal(left, '', 'the refused runs were removed');
});

test('--run on a folder this node cannot see fails at once, naming the shared file system', () => {
  const r = aemTrain(['--run', path.join(work, 'runs', 'elsewhere', 'base-s0-x')], noSlurm);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /not visible on .+: the run store .+ must be on a file system the compute nodes share/);
});
