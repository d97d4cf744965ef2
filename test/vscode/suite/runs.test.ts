/// <reference types="mocha" />
// AEM Studio in a real extension host: the tiny synthetic experiment run through the command appears in
// the tree as done with its summary on disk; a long run stopped and resumed ends with the same metrics
// as one never stopped; an invalid file gets diagnostics where it is wrong and never starts the engine;
// a run whose process died shows as interrupted.
import * as assert from 'node:assert/strict';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { AemStudioApi } from '../../../src/extension/extension.js';
import type { MetricsLine, RunSummary } from '../../../src/protocol/events.js';
import { api, until, workspaceDir, writeTinyExperiment } from './support.js';

function writeExperiment(name: string, epochs: number, seeds: number[]): vscode.Uri {
  return writeTinyExperiment(name, epochs, { seeds });
}

async function runThroughCommand(a: AemStudioApi, uri: vscode.Uri): Promise<number> {
  const id = await vscode.commands.executeCommand<number | undefined>('aemStudio.runExperiment', uri);
  assert.equal(typeof id, 'number', 'Run Experiment started no engine');
  const job = a.job(id as number);
  assert.ok(job);
  return id as number;
}

function summaryOf(dir: string): RunSummary {
  return JSON.parse(readFileSync(path.join(dir, 'summary.json'), 'utf8')) as RunSummary;
}

function testMetrics(dir: string): unknown[] {
  return readFileSync(path.join(dir, 'metrics.jsonl'), 'utf8')
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l) as MetricsLine)
    .filter((m) => m.split !== 'train')
    .map((m) => {
      const { seconds: _seconds, ...rest } = m;
      return rest;
    });
}

describe('AEM Studio runs (real VS Code extension host)', function () {
  this.timeout(180_000);

  it('runs the tiny experiment through the command; the tree shows it done and its summary is on disk', async () => {
    const a = await api();
    const uri = writeExperiment('tiny-e2e', 2, [0]);
    const id = await runThroughCommand(a, uri);
    const job = await (a.job(id) as NonNullable<ReturnType<AemStudioApi['job']>>).done;
    assert.equal(job.exitCode, 0, `the engine failed:\n${job.tail.join('\n')}`);
    await a.refresh();
    const tree = await until('the experiment in the tree', async () => (await a.treeSnapshot()).find((e) => e.name === 'tiny-e2e'));
    assert.equal(tree.file, uri.fsPath);
    assert.equal(tree.runs.length, 1);
    const run = tree.runs[0];
    assert.ok(run);
    assert.equal(run.state, 'done');
    assert.match(run.title, /seed 0/);
    assert.match(run.description, /^done · test AUROC \d\.\d{3}$/);
    const summary = summaryOf(run.dir);
    assert.equal(summary.status, 'done');
    assert.equal(summary.epochsDone, 2);
    assert.equal(run.dir, path.join(workspaceDir(), '.aem', 'runs', 'tiny-e2e', summary.runId));
  });

  it('stops a long run (checkpoint first) and resumes it to the same final metrics as an uninterrupted run', async () => {
    const a = await api();
    const reference = writeExperiment('long-reference', 6, [1]);
    const refJob = await (a.job(await runThroughCommand(a, reference)) as NonNullable<ReturnType<AemStudioApi['job']>>).done;
    assert.equal(refJob.exitCode, 0, refJob.tail.join('\n'));
    const refDir = (await a.treeSnapshot()).find((e) => e.name === 'long-reference')?.runs[0]?.dir;
    assert.ok(refDir);

    const uri = writeExperiment('long-stopped', 6, [1]);
    const id = await runThroughCommand(a, uri);
    const live = await until('the run to finish an epoch', () => a.manager.runs.find((r) => r.jobId === id && r.epoch >= 1));
    const node = { kind: 'run', record: { dir: live.runDir, runId: live.runId, state: 'running' }, parent: {} };
    await vscode.commands.executeCommand('aemStudio.stopRun', node);
    const stopped = await (a.job(id) as NonNullable<ReturnType<AemStudioApi['job']>>).done;
    assert.equal(stopped.exitCode, 130, stopped.tail.join('\n'));
    assert.equal(summaryOf(live.runDir).status, 'stopped');
    await a.refresh();
    const shown = (await a.treeSnapshot()).find((e) => e.name === 'long-stopped')?.runs[0];
    assert.equal(shown?.state, 'stopped');

    const resumedId = await vscode.commands.executeCommand<number | undefined>('aemStudio.resumeRun', { ...node, record: { ...node.record, state: 'stopped' } });
    assert.equal(typeof resumedId, 'number', 'Resume Run started no engine');
    const resumed = await (a.job(resumedId as number) as NonNullable<ReturnType<AemStudioApi['job']>>).done;
    assert.equal(resumed.exitCode, 0, resumed.tail.join('\n'));
    assert.equal(summaryOf(live.runDir).status, 'done');
    assert.deepEqual(testMetrics(live.runDir), testMetrics(refDir));
    assert.deepEqual(summaryOf(live.runDir).best?.auroc, summaryOf(refDir).best?.auroc);
  });

  it('puts the engine validation of an invalid experiment in the Problems panel at the right places, and never starts it', async () => {
    const a = await api();
    const text = '{\n  "name": "bad name",\n  "data": { "format": "synthetic" },\n  "seeds": [0, -1],\n  "aem": { "lambda": 0.1, "shedule": "cosine" }\n}\n';
    const file = path.join(workspaceDir(), 'broken.aem.json');
    writeFileSync(file, text);
    const doc = await vscode.workspace.openTextDocument(file);
    await vscode.window.showTextDocument(doc);
    const diagnostics = await until('diagnostics from aem', () => {
      const d = vscode.languages.getDiagnostics(doc.uri).filter((x) => x.source === 'aem');
      return d.length >= 3 ? d : undefined;
    });
    const at = (needle: string) => doc.positionAt(text.indexOf(needle));
    const find = (pathPrefix: string) => diagnostics.find((d) => d.message.startsWith(pathPrefix));
    assert.deepEqual(find('name:')?.range.start, at('"name"'));
    assert.deepEqual(find('seeds[1]:')?.range.start, at('-1'));
    assert.deepEqual(find('aem:')?.range.start, at('"shedule"'));
    assert.match(find('aem:')?.message ?? '', /unknown key "shedule"/);
    assert.equal(diagnostics.length, 3);

    const before = a.manager.allJobs.length;
    const id = await vscode.commands.executeCommand<number | undefined>('aemStudio.runExperiment', doc.uri);
    assert.equal(id, undefined);
    assert.equal(a.manager.allJobs.length, before, 'an engine was started for an invalid file');
    await vscode.commands.executeCommand('workbench.action.closeActiveEditor');
  });

  it('shows a run whose process died as interrupted, and one with a live heartbeat as running', async () => {
    const a = await api();
    writeExperiment('ghosts', 2, [0]);
    const root = path.join(workspaceDir(), '.aem', 'runs', 'ghosts');
    const make = (runId: string, pid: number, at: Date) => {
      const dir = path.join(root, runId);
      mkdirSync(dir, { recursive: true });
      writeFileSync(path.join(dir, 'config.json'), JSON.stringify({ runId, seed: 0, configLabel: 'base', sweepValues: {}, createdAt: at.toISOString(), experiment: { name: 'ghosts', train: { epochs: 2 } } }));
      const summary: RunSummary = { runId, experiment: 'ghosts', configLabel: 'base', seed: 0, sweepValues: {}, status: 'running', epochsDone: 1, epochs: 2, bestEpoch: 0, best: null, last: null, wallSeconds: 1, backend: null, updatedAt: at.toISOString() };
      writeFileSync(path.join(dir, 'summary.json'), JSON.stringify(summary));
      writeFileSync(path.join(dir, 'heartbeat.json'), JSON.stringify({ pid, at: at.toISOString(), epoch: 1, iter: 3, status: 'running' }));
    };
    make('base-s0-dead', 999_999, new Date(Date.now() - 120_000));
    make('base-s0-alive', process.pid, new Date());
    await vscode.commands.executeCommand('aemStudio.refresh');
    await a.refresh();
    const runs = (await a.treeSnapshot()).find((e) => e.name === 'ghosts')?.runs ?? [];
    assert.equal(runs.find((r) => r.runId === 'base-s0-dead')?.state, 'interrupted');
    assert.equal(runs.find((r) => r.runId === 'base-s0-alive')?.state, 'running');
  });
});
