// "AEM: Compare Seeds": writes <experiment folder>/<experiment>.compare.aemnb the first time (never
// over a notebook that exists: it holds the user's notes), opens it with the "AEM Runs" controller and
// runs every cell.
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import * as vscode from 'vscode';
import { serializeNotebook } from '../../notebook/serializer.js';
import { compareSeedsNotebook } from '../../notebook/template.js';
import type { SweepValue } from '../../protocol/events.js';
import type { ExperimentNode, RunsTreeProvider } from '../runsTree.js';
import { CONTROLLER_ID } from './runsController.js';

/** Next to the experiment file; in the run store when the file is gone. */
export function comparisonNotebookPath(experiment: ExperimentNode): string | undefined {
  const folder = experiment.file ? path.dirname(experiment.file) : experiment.outputRoot ? path.join(experiment.outputRoot, experiment.name) : undefined;
  return folder ? path.join(folder, `${experiment.name}.compare.aemnb`) : undefined;
}

/** Sweep keys of the experiment (from its file, else from its runs) and their values. */
function sweepOf(tree: RunsTreeProvider, experiment: ExperimentNode): Record<string, SweepValue[]> {
  const sweep: Record<string, SweepValue[]> = { ...(experiment.info?.experiment?.sweep ?? {}) };
  if (Object.keys(sweep).length === 0) {
    for (const run of tree.runsOf(experiment)) for (const [k, v] of Object.entries(run.record.sweepValues)) sweep[k] = [...(sweep[k] ?? []), v];
  }
  return sweep;
}

export async function openComparisonNotebook(context: vscode.ExtensionContext, tree: RunsTreeProvider, experiment: ExperimentNode): Promise<vscode.NotebookDocument | undefined> {
  const file = comparisonNotebookPath(experiment);
  if (!file) {
    void vscode.window.showInformationMessage(`AEM: ${experiment.name} has no folder to put a comparison notebook in.`);
    return undefined;
  }
  if (!existsSync(file)) {
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, serializeNotebook(compareSeedsNotebook(experiment.name, sweepOf(tree, experiment))));
  }
  const doc = await vscode.workspace.openNotebookDocument(vscode.Uri.file(file));
  await vscode.window.showNotebookDocument(doc);
  await vscode.commands.executeCommand('notebook.selectKernel', { id: CONTROLLER_ID, extension: context.extension.id });
  await vscode.commands.executeCommand('notebook.execute', doc.uri);
  return doc;
}
