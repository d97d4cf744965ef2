/// <reference types="mocha" />
// Attention Maps in a real extension host: "AEM: Open Attention Maps" on a run of the tree opens an
// editor panel whose webview asks for the run's first slide and reports drawing it; on two runs it
// draws both side by side; and no message from the webview fails validation.
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import type { AemStudioApi } from '../../../src/extension/extension.js';
import { api, until, writeTinyExperiment } from './support.js';

function runNode(experiment: string, run: { runId: string; dir: string }, lambda: number) {
  return { kind: 'run', record: { runId: run.runId, dir: run.dir, experiment, sweepValues: { 'aem.lambda': lambda }, seed: 0 } };
}

describe('AEM Studio attention maps (real VS Code extension host)', function () {
  this.timeout(240_000);

  it('opens a run of the tree, then two side by side, and the webview draws their slide', async () => {
    const a = await api();
    const uri = writeTinyExperiment('maps', 2, { aem: { regulariser: 'entropy', lambda: 0.1, schedule: 'cosine' }, sweep: { 'aem.lambda': [0, 0.1] }, seeds: [0], compute: { backend: 'wasm', parallel: 2 } });
    const id = await vscode.commands.executeCommand<number | undefined>('aemStudio.runExperiment', uri);
    const job = await (a.job(id as number) as NonNullable<ReturnType<AemStudioApi['job']>>).done;
    assert.equal(job.exitCode, 0, job.tail.join('\n'));
    await a.refresh();
    const experiment = await until('the experiment in the tree', async () => (await a.treeSnapshot()).find((e) => e.name === 'maps'));
    const [first, second] = experiment.runs;
    assert.ok(first && second);

    const one = await vscode.commands.executeCommand<string[]>('aemStudio.openAttentionMaps', runNode('maps', first, 0));
    assert.deepEqual(one, [first.runId]);
    const drawn = await until('the map of one run drawn', () => a.attentionMaps.snapshots().at(-1)?.drawn ?? undefined, 90_000);
    assert.equal(drawn.kind, 'best');
    assert.deepEqual(drawn.runs.map((r) => r.runId), [first.runId]);
    assert.ok((drawn.runs[0]?.patches ?? 0) > 0);

    const two = await vscode.commands.executeCommand<string[]>('aemStudio.openAttentionMaps', runNode('maps', first, 0), [runNode('maps', first, 0), runNode('maps', second, 0.1)]);
    assert.deepEqual(two, [first.runId, second.runId]);
    await until('both maps drawn side by side', () => (a.attentionMaps.snapshots().at(-1)?.drawn?.runs.length === 2 ? true : undefined), 90_000);
    for (const s of a.attentionMaps.snapshots()) assert.equal(s.rejected, 0, 'the webview sent messages that failed validation');
  });
});
