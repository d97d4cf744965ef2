// The cluster suite (npm run test:cluster): aem-train against a real SLURM (test/cluster/run.sh starts a
// one-node cluster). A tiny experiment as a 4-task array; a requeued task and a cancelled run resume from
// their checkpoints; every run ends with the metrics of the same run trained locally. Without a cluster
// every test is skipped, saying why.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { projectRoot } from '../helpers/paths.js';

const engine = path.join(projectRoot, 'dist', 'engine.mjs');

function unavailable(): string | undefined {
  if (process.env.AEM_CLUSTER_UNAVAILABLE) return process.env.AEM_CLUSTER_UNAVAILABLE;
  const r = spawnSync('sinfo', ['-h', '-o', '%t'], { encoding: 'utf8' });
  if (r.error) return 'no SLURM cluster: sinfo is not on PATH (run npm run test:cluster, which starts one)';
  if (r.status !== 0) return `no SLURM cluster: sinfo says ${r.stderr.trim()}`;
  return undefined;
}
const skip = unavailable();
if (skip) process.stdout.write(`cluster suite not run: ${skip}\n`);

// The run store must be where the compute node sees it: on this one-node cluster, any local folder.
const work = mkdtempSync(path.join(os.tmpdir(), 'aem-cluster-test-'));

function run(command: string, args: string[]) {
  const r = spawnSync(command, args, { cwd: work, encoding: 'utf8', timeout: 300_000 });
  return { code: r.status, stdout: r.stdout ?? '', stderr: r.stderr ?? '' };
}
const aemTrain = (args: string[]) => run(process.execPath, [engine, ...args]);

interface Options {
  name: string;
  seeds: number[];
  lambdas: number[];
  epochs: number;
  output: string;
  cluster?: Record<string, unknown>;
}

function experiment(o: Options): string {
  const file = path.join(work, `${o.name}-${o.output}.aem.json`);
  writeFileSync(
    file,
    JSON.stringify({
      name: o.name,
      data: { format: 'synthetic', synthetic: { preset: 'tiny', seed: 3, dir: 'datasets/tiny' } },
      model: { attention: 16 },
      train: { epochs: o.epochs, lr: 1e-3 },
      seeds: o.seeds,
      sweep: { 'aem.lambda': o.lambdas },
      compute: { backend: 'cpu', parallel: 2, cluster: { scheduler: 'slurm', cpus: 1, maxConcurrent: 4, time: '00:15:00', ...o.cluster } },
      output: o.output,
    }),
  );
  return file;
}

function runDirs(output: string, name: string): string[] {
  const dir = path.join(work, output, name);
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((e) => existsSync(path.join(dir, e, 'config.json')))
    .map((e) => path.join(dir, e))
    .sort();
}

const json = (file: string): Record<string, unknown> => JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
const summaryOf = (dir: string) => (existsSync(path.join(dir, 'summary.json')) ? json(path.join(dir, 'summary.json')) : undefined);
const clusterOf = (dir: string) => json(path.join(dir, 'config.json')).cluster as { jobId: string; arrayIndex: number; output: string };
const taskId = (dir: string) => `${clusterOf(dir).jobId}_${clusterOf(dir).arrayIndex}`;

/** metrics.jsonl without its timings: what two trainings of the same run must agree on. */
function metricsOf(dir: string): unknown[] {
  return readFileSync(path.join(dir, 'metrics.jsonl'), 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => {
      const { seconds: _s, bagsPerSecond: _b, ...rest } = JSON.parse(l) as Record<string, unknown>;
      return rest;
    });
}

function keyOf(dir: string): string {
  const c = json(path.join(dir, 'config.json'));
  return `${String(c.configLabel)}-s${String(c.seed)}`;
}

async function until(what: string, check: () => boolean, timeoutMs = 240_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}; queue:\n${run('squeue', ['-r']).stdout}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

const inQueue = (id: string) => run('squeue', ['-h', '-r', '-o', '%F_%K|%i']).stdout.split('\n').some((l) => l.split('|').includes(id));
const epochsLogged = (dir: string) => (existsSync(path.join(dir, 'metrics.jsonl')) ? metricsOf(dir).filter((m) => (m as { split: string }).split === 'val').length : 0);

// The local reference: the same runs trained on this machine by a plain launch.
const reference = new Map<string, unknown[]>();
function trainLocally(o: Options): void {
  const r = aemTrain([experiment(o)]);
  assert.equal(r.code, 0, r.stderr);
  for (const dir of runDirs(o.output, o.name)) reference.set(keyOf(dir), metricsOf(dir));
}

const EPOCHS = 12;
const grid = { name: 'grid', seeds: [0, 1], lambdas: [0, 0.1], epochs: EPOCHS };

test('a 4-task array: every run queued, then done with the metrics of the same run trained locally', { skip }, async () => {
  trainLocally({ ...grid, output: 'local' });
  assert.equal(reference.size, 4);
  const file = experiment({ ...grid, output: 'cluster' });
  const r = aemTrain(['submit', file]);
  assert.equal(r.code, 0, r.stderr);
  const dirs = runDirs('cluster', 'grid');
  assert.equal(dirs.length, 4);
  const jobIds = new Set(dirs.map((d) => clusterOf(d).jobId));
  assert.equal(jobIds.size, 1, 'one job array');
  assert.deepEqual(dirs.map((d) => clusterOf(d).arrayIndex).sort(), [0, 1, 2, 3]);
  const scripts = readdirSync(path.join(work, 'cluster', 'grid', 'slurm')).filter((f) => f.endsWith('.sbatch'));
  assert.equal(scripts.length, 1, 'one readable script kept');
  await until('4 runs done', () => dirs.every((d) => summaryOf(d)?.status === 'done'));
  for (const dir of dirs) assert.deepEqual(metricsOf(dir), reference.get(keyOf(dir)), keyOf(dir));
  const queue = aemTrain(['queue', file]);
  assert.equal(queue.code, 0, queue.stderr);
  assert.match(queue.stdout, /run store: done/);
});

// SLURM's TERM often arrives while an epoch is being evaluated, so the engine stops at the next epoch's
// first step: this case once diverged from the resumed epoch on, when that checkpoint held the random state
// after the next epoch's order was drawn (fixed in train.ts; test/trainer/training.test.ts has the local case).
test('scontrol requeue mid-run: the task resumes from checkpoint-last and ends with identical metrics', { skip }, async () => {
  const o = { ...grid, name: 'requeue', seeds: [0], lambdas: [0], epochs: EPOCHS, output: 'cluster' };
  assert.equal(aemTrain(['submit', experiment(o)]).code, 0);
  const [dir] = runDirs('cluster', 'requeue');
  assert.ok(dir);
  await until('two epochs', () => epochsLogged(dir) >= 2, 120_000);
  assert.ok(summaryOf(dir)?.status !== 'done', 'still training when requeued');
  const id = taskId(dir);
  const rq = run('scontrol', ['requeue', id]);
  assert.equal(rq.code, 0, rq.stderr);
  // A requeued job waits 120 s (BeginTime) before it is eligible again. Release it sooner, but only once
  // the first instance has checkpointed and exited, and a few seconds after the requeue: slurmd refuses a
  // relaunch within the second its credential was revoked ("Job credential revoked").
  await until('the requeue', () => /JobState=PENDING .*\n.*Restarts=1/.test(run('scontrol', ['show', 'job', id]).stdout), 60_000);
  await until('the first instance stopped with a checkpoint', () => summaryOf(dir)?.status === 'stopped', 60_000);
  await new Promise((r) => setTimeout(r, 3000));
  const release = run('scontrol', ['update', `JobId=${id}`, 'StartTime=now']);
  assert.equal(release.code, 0, release.stderr);
  await until('the requeued run done', () => summaryOf(dir)?.status === 'done' && !inQueue(id));
  const out = readFileSync(clusterOf(dir).output, 'utf8');
  assert.match(out, /restart 1\)/, 'the task ran a second time');
  assert.match(out, /resuming .* from its checkpoint-last/);
  assert.deepEqual(metricsOf(dir), reference.get('lambda0-s0'));
});

test('aem-train cancel stops a run with a checkpoint; resubmit resumes it to identical metrics', { skip }, async () => {
  const o = { ...grid, name: 'cancel', seeds: [0], lambdas: [0], epochs: EPOCHS, output: 'cluster' };
  const file = experiment(o);
  assert.equal(aemTrain(['submit', file]).code, 0);
  const [dir] = runDirs('cluster', 'cancel');
  assert.ok(dir);
  await until('two epochs', () => epochsLogged(dir) >= 2, 120_000);
  const first = taskId(dir);
  const c = aemTrain(['cancel', file]);
  assert.equal(c.code, 0, c.stderr);
  await until('the cancelled task gone', () => !inQueue(first), 90_000);
  assert.equal(summaryOf(dir)?.status, 'stopped');
  assert.ok(existsSync(path.join(dir, 'checkpoint-last.pack')));
  const stoppedAt = epochsLogged(dir);
  assert.ok(stoppedAt < EPOCHS, `stopped before the end (${stoppedAt} epochs)`);
  const re = aemTrain(['resubmit', dir]);
  assert.equal(re.code, 0, re.stderr);
  assert.notEqual(taskId(dir), first, 'a new job array');
  await until('the resubmitted run done', () => summaryOf(dir)?.status === 'done' && !inQueue(taskId(dir)));
  assert.deepEqual(metricsOf(dir), reference.get('lambda0-s0'));
  assert.match(readFileSync(clusterOf(dir).output, 'utf8'), /resuming/);
});

test('an unknown partition: exit 2 with SLURM\'s own message, and no run folder left', { skip }, () => {
  const file = experiment({ ...grid, name: 'badpart', output: 'cluster', cluster: { partition: 'no-such-partition' } });
  const r = aemTrain(['submit', file]);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /SLURM refused the job: invalid partition specified: no-such-partition/);
  assert.deepEqual(runDirs('cluster', 'badpart'), []);
});

test('a dry run submits nothing', { skip }, () => {
  const before = run('squeue', ['-h', '-r', '-o', '%i']).stdout;
  const r = aemTrain(['submit', experiment({ ...grid, name: 'dry', output: 'cluster' }), '--dry-run']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /#SBATCH --array=0-3%4/);
  assert.equal(run('squeue', ['-h', '-r', '-o', '%i']).stdout, before);
  assert.deepEqual(runDirs('cluster', 'dry'), []);
});
