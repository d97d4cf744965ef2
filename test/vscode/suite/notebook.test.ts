/// <reference types="mocha" />
// Seed-comparison notebooks in a real extension host: the tiny experiment (lambda 0 and 0.1, two seeds)
// trains through the command; "AEM: Compare Seeds" on it writes <name>.compare.aemnb next to the
// experiment, opens it with the "AEM Runs" controller and runs every cell: each output carries the
// comparison payload (table, curves, scatter, topk) plus a Markdown fallback. A bad query gets an error
// output listing the experiments that exist; a re-run picks up a run that finished since; saving keeps
// the outputs in the file; running Compare Seeds again reopens the notebook instead of overwriting it.
import * as assert from 'node:assert/strict';
import { cpSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { AemStudioApi } from '../../../src/extension/extension.js';
import { api, until, workspaceDir, writeTinyExperiment } from './support.js';
import type { ComparisonOutput } from '../../../src/protocol/notebook.js';

const MIME = 'application/vnd.aem-studio.comparison+json';
const ERROR_MIME = 'application/vnd.code.notebook.error';
const NAME = 'nb-seeds';

function writeExperiment(): vscode.Uri {
  return writeTinyExperiment(NAME, 2, {
    aem: { regulariser: 'entropy', lambda: 0.1, schedule: 'cosine' },
    sweep: { 'aem.lambda': [0, 0.1] },
    seeds: [0, 1],
    compute: { backend: 'wasm', parallel: 2 },
  });
}

const codeCells = (doc: vscode.NotebookDocument) => doc.getCells().filter((c) => c.kind === vscode.NotebookCellKind.Code);

function payloadOf(cell: vscode.NotebookCell): ComparisonOutput {
  const item = cell.outputs[0]?.items.find((i) => i.mime === MIME);
  assert.ok(item, `cell ${cell.index} has no ${MIME} output: ${cell.outputs.flatMap((o) => o.items.map((i) => `${i.mime}: ${new TextDecoder().decode(i.data).slice(0, 300)}`)).join('; ')}`);
  return JSON.parse(new TextDecoder().decode(item.data)) as ComparisonOutput;
}

/** Waits until every given cell has finished an execution that started after `since`. */
function executed(cells: vscode.NotebookCell[], since: number, what: string): Promise<true> {
  return until(what, () => cells.every((c) => (c.executionSummary?.timing?.endTime ?? 0) >= since && c.outputs.length > 0) || undefined);
}

describe('AEM Studio seed-comparison notebooks (real VS Code extension host)', function () {
  this.timeout(240_000);

  it('Compare Seeds writes, opens and runs a notebook over the experiment’s runs; errors, re-runs and saving work', async () => {
    const a = await api();
    const experimentUri = writeExperiment();
    const id = await vscode.commands.executeCommand<number | undefined>('aemStudio.runExperiment', experimentUri);
    assert.equal(typeof id, 'number', 'Run Experiment started no engine');
    const job = await (a.job(id as number) as NonNullable<ReturnType<AemStudioApi['job']>>).done;
    assert.equal(job.exitCode, 0, `the engine failed:\n${job.tail.join('\n')}`);
    await a.refresh();
    const experiment = await until('the runs in the tree', async () => (await a.treeSnapshot()).find((e) => e.name === NAME && e.runs.length === 4));
    assert.ok(experiment.runs.every((r) => r.state === 'done'));

    const started = Date.now();
    const doc = await vscode.commands.executeCommand<vscode.NotebookDocument | undefined>('aemStudio.compareSeeds', experimentUri);
    assert.ok(doc, 'Compare Seeds opened no notebook');
    const file = path.join(workspaceDir(), `${NAME}.compare.aemnb`);
    assert.equal(doc.uri.fsPath, file);
    assert.ok(existsSync(file));
    assert.equal(doc.notebookType, 'aem-notebook');
    assert.equal(vscode.window.activeNotebookEditor?.notebook.uri.toString(), doc.uri.toString(), 'the notebook is not the active editor');
    assert.equal(doc.cellAt(0).kind, vscode.NotebookCellKind.Markup);
    const cells = codeCells(doc);
    assert.equal(cells.length, 4);
    await executed(cells, started, 'every cell to run');
    for (const cell of cells) {
      assert.equal(cell.executionSummary?.success, true, `cell ${cell.index} failed`);
      assert.deepEqual(
        cell.outputs[0]?.items.map((i) => i.mime),
        [MIME, 'text/markdown'],
      );
    }

    const [table, curves, scatter, topk] = cells.map(payloadOf);
    assert.equal(table?.kind, 'table');
    if (table?.kind !== 'table') return;
    assert.deepEqual(table.rows.map((r) => [r.group, r.seeds]), [['aem.lambda=0', 2], ['aem.lambda=0.1', 2]]);
    assert.deepEqual(table.metrics, ['test.auroc', 'test.f1', 'test.accuracy', 'test.entropy']);
    assert.equal(table.baseline, 'aem.lambda=0');
    assert.equal(table.rows[1]?.cells[0]?.pairs, 2, 'seeds pair up for the Wilcoxon test');
    const [baseAuroc, aemAuroc] = [table.rows[0]?.cells[0], table.rows[1]?.cells[0]];
    // no p-value only when every paired difference is zero (the tiny runs can tie at their best epoch)
    if (aemAuroc?.p === null) assert.deepEqual(aemAuroc.values, baseAuroc?.values);
    else assert.ok(typeof aemAuroc?.p === 'number' && aemAuroc.p > 0 && aemAuroc.p <= 1);
    const markdown = new TextDecoder().decode(cells[0]?.outputs[0]?.items[1]?.data);
    assert.match(markdown, /\| aem\.lambda=0 \(baseline\) \| 2 \| /);
    assert.equal(curves?.kind, 'curves');
    if (curves?.kind === 'curves') assert.deepEqual(curves.charts[0]?.series.map((s) => [s.label, s.x, s.n]), [['aem.lambda=0', [1, 2], [2, 2]], ['aem.lambda=0.1', [1, 2], [2, 2]]]);
    assert.equal(scatter?.kind, 'scatter');
    if (scatter?.kind === 'scatter') {
      assert.equal(scatter.points.length, 4);
      assert.equal(scatter.x, 'test.entropy');
      assert.equal(scatter.y, 'test.auroc');
    }
    assert.equal(topk?.kind, 'topk');
    if (topk?.kind === 'topk') assert.deepEqual(topk.series.map((s) => s.x.length), [20, 20], 'train.topK is 20');

    // a query that matches nothing: an error output that says which experiments exist
    const edit = new vscode.WorkspaceEdit();
    edit.set(doc.uri, [vscode.NotebookEdit.insertCells(doc.cellCount, [new vscode.NotebookCellData(vscode.NotebookCellKind.Code, 'runs: no-such-experiment/*\nshow: table', 'yaml')])]);
    assert.ok(await vscode.workspace.applyEdit(edit));
    const bad = doc.cellAt(doc.cellCount - 1);
    const badStarted = Date.now();
    await vscode.commands.executeCommand('notebook.cell.execute', { ranges: [{ start: bad.index, end: bad.index + 1 }], document: doc.uri });
    await executed([bad], badStarted, 'the bad query to run');
    assert.equal(bad.executionSummary?.success, false);
    const error = bad.outputs[0]?.items.find((i) => i.mime === ERROR_MIME);
    assert.ok(error, 'no error output');
    const message = (JSON.parse(new TextDecoder().decode(error.data)) as { message: string }).message;
    assert.match(message, /line 1: "no-such-experiment\/\*" matches no run; experiments with runs: .*nb-seeds\/\* \(4 runs\)/);

    // a run that finished since: re-running the table cell counts it
    const lambda0 = (await a.treeSnapshot()).find((e) => e.name === NAME)?.runs.find((r) => r.runId.startsWith('lambda0-s0'));
    assert.ok(lambda0);
    const copy = path.join(path.dirname(lambda0.dir), 'lambda0-s7-copied');
    cpSync(lambda0.dir, copy, { recursive: true });
    for (const name of ['config.json', 'summary.json']) {
      const json = JSON.parse(readFileSync(path.join(copy, name), 'utf8')) as Record<string, unknown>;
      writeFileSync(path.join(copy, name), JSON.stringify({ ...json, runId: 'lambda0-s7-copied', seed: 7 }));
    }
    const tableCell = cells[0] as vscode.NotebookCell;
    const rerun = Date.now();
    await vscode.commands.executeCommand('notebook.cell.execute', { ranges: [{ start: tableCell.index, end: tableCell.index + 1 }], document: doc.uri });
    await executed([tableCell], rerun, 'the table cell to run again');
    const again = payloadOf(tableCell);
    assert.ok(again.kind === 'table');
    assert.deepEqual(again.rows.map((r) => [r.group, r.seeds]), [['aem.lambda=0', 3], ['aem.lambda=0.1', 2]]);

    // saved outputs are in the file, as JSON
    assert.ok(await doc.save());
    const saved = JSON.parse(readFileSync(file, 'utf8')) as { cells: { kind: string; outputs: { items: { mime: string; json?: { kind?: string } }[] }[] }[] };
    assert.deepEqual(
      saved.cells.filter((c) => c.kind === 'code').map((c) => c.outputs[0]?.items.map((i) => i.json?.kind ?? i.mime)),
      [['table', 'text/markdown'], ['curves', 'text/markdown'], ['scatter', 'text/markdown'], ['topk', 'text/markdown'], [ERROR_MIME]],
    );

    // Compare Seeds again: the same notebook (with the user's extra cell), not a fresh one
    const reopened = await vscode.commands.executeCommand<vscode.NotebookDocument | undefined>('aemStudio.compareSeeds', experimentUri);
    assert.equal(reopened?.uri.toString(), doc.uri.toString());
    assert.equal(reopened?.cellCount, 7);
    assert.match(readFileSync(file, 'utf8'), /no-such-experiment/);
    await vscode.commands.executeCommand('workbench.action.closeActiveEditor');
  });
});
