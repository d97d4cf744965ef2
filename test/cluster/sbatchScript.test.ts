// The sbatch script aem-train submit writes: every compute.cluster setting becomes its sbatch option,
// the array has one task per run (throttled by maxConcurrent), and the task execs the engine on its run.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ClusterSchema } from '../../src/config/schema.js';
import { sbatchScript, shellQuote } from '../../src/trainer/cluster/sbatchScript.js';

const full = ClusterSchema.parse({
  scheduler: 'slurm',
  partition: 'gpu',
  account: 'path-lab',
  qos: 'normal',
  time: '1-12:00:00',
  cpus: 8,
  mem: '32G',
  gpus: 1,
  gres: 'gpu:a100:1',
  constraint: 'a100',
  maxConcurrent: 5,
  extraArgs: ['--exclusive', '--mail-type=END'],
  setup: ['module load nodejs/20', 'source ~/env.sh'],
});

const input = { cluster: full, jobName: 'aem-grid', runDirs: ['/shared/runs/grid/lambda0-s0-x', "/shared/runs/grid/it's-s1-x"], outputPattern: '/shared/runs/grid/slurm/%A_%a.out', node: '/opt/node/bin/node', engine: '/opt/aem/dist/engine.mjs', origin: 'test' };

test('every setting is an #SBATCH line, with requeue and TERM 120 s before the limit', () => {
  const text = sbatchScript(input);
  const options = text.split('\n').filter((l) => l.startsWith('#SBATCH ')).map((l) => l.slice(8));
  assert.deepEqual(options, [
    '--job-name=aem-grid',
    '--array=0-1%5',
    '--output=/shared/runs/grid/slurm/%A_%a.out',
    '--open-mode=append',
    '--requeue',
    '--signal=B:TERM@120',
    '--ntasks=1',
    '--cpus-per-task=8',
    '--partition=gpu',
    '--account=path-lab',
    '--qos=normal',
    '--time=1-12:00:00',
    '--mem=32G',
    '--gpus-per-task=1',
    '--gres=gpu:a100:1',
    '--constraint=a100',
    '--exclusive',
    '--mail-type=END',
  ]);
  assert.match(text, /module load nodejs\/20\nsource ~\/env\.sh\n/);
  assert.match(text, /exec \/opt\/node\/bin\/node \/opt\/aem\/dist\/engine\.mjs --run "\$RUN_DIR"/);
});

test('absent settings give no option; no maxConcurrent, no throttle', () => {
  const text = sbatchScript({ ...input, cluster: ClusterSchema.parse({ scheduler: 'slurm' }) });
  assert.match(text, /#SBATCH --array=0-1\n/);
  assert.match(text, /#SBATCH --cpus-per-task=4\n/);
  for (const absent of ['--partition', '--account', '--qos', '--time', '--mem', '--gpus', '--gres', '--constraint']) assert.ok(!text.includes(absent), absent);
});

test('the script is valid bash and picks the run folder of its array index, quotes intact', () => {
  const text = sbatchScript(input);
  const dir = mkdtempSync(path.join(os.tmpdir(), 'aem-sbatch-'));
  const file = path.join(dir, 'job.sbatch');
  // Run the part before exec, with exec replaced by an echo of its arguments: the real bash parses it.
  writeFileSync(file, text.replace(/^(module|source) .*$/gm, '').replace(/^exec /m, 'printf "%s\\n" '));
  const r = spawnSync('bash', [file], { encoding: 'utf8', env: { ...process.env, SLURM_ARRAY_TASK_ID: '1', SLURM_ARRAY_JOB_ID: '77' } });
  assert.equal(r.status, 0, r.stderr);
  const lines = r.stdout.trim().split('\n');
  assert.deepEqual(lines.slice(-4), ['/opt/node/bin/node', '/opt/aem/dist/engine.mjs', '--run', "/shared/runs/grid/it's-s1-x"]);
  assert.match(lines[0] ?? '', /task 1 of job 77/);
});

test('shell quoting leaves plain words alone and quotes the rest', () => {
  assert.equal(shellQuote('/a/b-c_d.e'), '/a/b-c_d.e');
  assert.equal(shellQuote('a b'), "'a b'");
  assert.equal(shellQuote("it's"), "'it'\\''s'");
});

test('the schema refuses a malformed time, memory or extra argument', () => {
  for (const bad of [{ time: '12h' }, { mem: '16 GB' }, { extraArgs: ['exclusive'] }, { scheduler: 'pbs' }, { cpus: 0 }]) {
    assert.equal(ClusterSchema.safeParse({ scheduler: 'slurm', ...bad }).success, false, JSON.stringify(bad));
  }
});
