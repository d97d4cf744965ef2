/// <reference types="mocha" />
// Run Experiment on Cluster in a real extension host against a real SLURM (npm run test:cluster starts a
// one-node cluster and runs this file; in npm run test:vscode, without a cluster, it is skipped and says
// why). The job is submitted held, so the tree is seen queued with SLURM's reason, then running on the
// node, then done.
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as vscode from 'vscode';
import { api, until, writeTinyExperiment } from './support.js';

function clusterUnavailable(): string | undefined {
  const r = spawnSync('sinfo', ['-h', '-o', '%t'], { encoding: 'utf8' });
  if (r.error) return 'sinfo is not on PATH (npm run test:cluster starts a one-node cluster and runs this test)';
  if (r.status !== 0) return `sinfo says ${r.stderr.trim()}`;
  return undefined;
}

describe('AEM Studio on a SLURM cluster (real VS Code extension host)', function () {
  this.timeout(300_000);

  it('Run Experiment on Cluster: the tree shows the run queued with SLURM\'s reason, then running on the node, then done', async function () {
    const why = clusterUnavailable();
    if (why) {
      console.log(`cluster test not run: ${why}`);
      this.skip();
    }
    const a = await api();
    const uri = writeTinyExperiment('cluster-tree', 20, {
      seeds: [0],
      compute: { backend: 'cpu', cluster: { scheduler: 'slurm', cpus: 1, time: '00:15:00', extraArgs: ['--hold'] } },
    });
    const jobId = await vscode.commands.executeCommand<string | undefined>('aemStudio.runOnCluster', uri);
    assert.match(jobId ?? '', /^\d+$/, 'Run Experiment on Cluster gave no job id');
    const runOf = async () => {
      await a.refresh();
      return (await a.treeSnapshot()).find((e) => e.name === 'cluster-tree')?.runs[0];
    };
    const queued = await until('the run queued in the tree', async () => {
      const run = await runOf();
      return run && /^queued · SLURM pending \(JobHeldUser\)$/.test(run.description) ? run : undefined;
    }, 60_000, 500);
    assert.equal(queued.state, 'pending');
    const release = spawnSync('scontrol', ['release', jobId as string], { encoding: 'utf8' });
    assert.equal(release.status, 0, release.stderr);
    const running = await until('the run running in the tree', async () => {
      const run = await runOf();
      return run?.state === 'running' && / · on \S+$/.test(run.description) ? run : undefined;
    }, 120_000, 300);
    assert.match(running.description, /^(running|epoch) /);
    const done = await until('the run done in the tree', async () => {
      const run = await runOf();
      return run?.state === 'done' ? run : undefined;
    }, 240_000, 1000);
    assert.match(done.description, /^done · test AUROC \d\.\d{3}$/);
  });
});
