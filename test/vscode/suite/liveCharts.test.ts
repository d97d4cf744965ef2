/// <reference types="mocha" />
// Live Charts in a real extension host: "AEM: Show Live Charts" without an argument opens the panel on
// the run that is training, and the webview reports drawing its epochs one after another as the engine
// finishes them; on an experiment it overlays that experiment's runs of one seed, read from disk.
import * as assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { AemStudioApi } from '../../../src/extension/extension.js';
import { api, until as waitUntil, writeTinyExperiment } from './support.js';

function writeExperiment(name: string, epochs: number, lambdas: number[]): vscode.Uri {
  return writeTinyExperiment(name, epochs, {
    aem: { regulariser: 'entropy', lambda: 0.1, schedule: 'cosine' },
    ...(lambdas.length > 1 ? { sweep: { 'aem.lambda': lambdas } } : {}),
    seeds: [0],
    compute: { backend: 'wasm', parallel: 2 },
  });
}

/** Polls fast (50 ms) and long (90 s) unless told otherwise: the panel must be seen drawing each epoch. */
function until<T>(what: string, probe: () => T | undefined | false | Promise<T | undefined | false>, ms = 90_000, everyMs = 50): Promise<T> {
  return waitUntil(what, probe, ms, everyMs);
}

function testEpochsOnDisk(runDir: string): number {
  return readFileSync(path.join(runDir, 'metrics.jsonl'), 'utf8')
    .split('\n')
    .filter((l) => l.includes('"split":"test"')).length;
}

describe('AEM Studio live charts (real VS Code extension host)', function () {
  this.timeout(240_000);

  it('opens on the training run without asking and draws its epochs one by one as they finish', async () => {
    const a = await api();
    const epochs = 12;
    const uri = writeExperiment('charts-live', epochs, [0.1]);
    // The panel is opened once beforehand, so that the tiny run (a fraction of a second an epoch) does
    // not finish while the webview is still loading.
    await vscode.commands.executeCommand('aemStudio.showLiveCharts');
    await until('the webview to be ready', () => a.liveCharts.snapshot().ready);
    const id = await vscode.commands.executeCommand<number | undefined>('aemStudio.runExperiment', uri);
    assert.equal(typeof id, 'number', 'Run Experiment started no engine');
    const live = await until('the run to start', () => a.manager.runs.find((r) => r.jobId === id));

    const shown = await vscode.commands.executeCommand<string[]>('aemStudio.showLiveCharts');
    assert.deepEqual(shown, [live.runId], 'Show Live Charts did not pick the running run');
    await until('the webview to be ready and showing the run', () => {
      const s = a.liveCharts.snapshot();
      return s.ready && s.visible && s.selected.includes(live.runId);
    });

    // Record what the webview reports drawing while the run trains.
    const seen: number[] = [];
    const job = a.job(id as number);
    assert.ok(job);
    let finished = false;
    void job.done.then(() => (finished = true));
    await until(
      `the webview to draw all ${epochs} epochs`,
      () => {
        const drawn = a.liveCharts.snapshot().drawn.find((d) => d.runId === live.runId)?.epochs;
        if (drawn !== undefined && seen[seen.length - 1] !== drawn) seen.push(drawn);
        return drawn === epochs && finished;
      },
      180_000,
      20,
    );
    const done = await job.done;
    assert.equal(done.exitCode, 0, done.tail.join('\n'));
    for (let i = 1; i < seen.length; i++) assert.ok((seen[i] as number) > (seen[i - 1] as number), `the drawn epochs went back: ${seen.join(', ')}`);
    assert.ok(seen.filter((n) => n > 0 && n < epochs).length >= 2, `the charts did not grow epoch by epoch while training (drawn: ${seen.join(', ')})`);
    const sent = a.liveCharts.snapshot().runs.find((r) => r.runId === live.runId);
    assert.equal(sent?.epochs, testEpochsOnDisk(live.runDir));
    await until('the panel to see the run finish', () => a.liveCharts.snapshot().runs.find((r) => r.runId === live.runId)?.state === 'done');
    assert.equal(a.liveCharts.snapshot().rejected, 0, 'the webview sent messages that failed validation');
  });

  it('on an experiment overlays its runs of one seed (λ 0 and λ 0.1), read from the run store', async () => {
    const a = await api();
    const uri = writeExperiment('charts-overlay', 2, [0, 0.1]);
    const id = await vscode.commands.executeCommand<number | undefined>('aemStudio.runExperiment', uri);
    assert.equal(typeof id, 'number');
    const job = await (a.job(id as number) as NonNullable<ReturnType<AemStudioApi['job']>>).done;
    assert.equal(job.exitCode, 0, job.tail.join('\n'));
    await a.refresh();
    const experiment = await until('the experiment in the tree', async () => (await a.treeSnapshot()).find((e) => e.name === 'charts-overlay'));
    assert.equal(experiment.runs.length, 2);

    const shown = await vscode.commands.executeCommand<string[]>('aemStudio.showLiveCharts', { kind: 'experiment', name: 'charts-overlay', key: uri.fsPath, file: uri.fsPath });
    assert.deepEqual([...shown].sort(), experiment.runs.map((r) => path.basename(r.dir)).sort());
    await until('the webview to draw both runs with 2 epochs each', () => {
      const drawn = a.liveCharts.snapshot().drawn;
      return shown.every((runId) => drawn.find((d) => d.runId === runId)?.epochs === 2);
    });
    assert.deepEqual([...a.liveCharts.snapshot().selected].sort(), [...shown].sort());
    assert.equal(a.liveCharts.snapshot().rejected, 0);
  });
});
