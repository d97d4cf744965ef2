// Where a notebook looks for runs: the run store of every experiment in the tree, the default output
// folder of each workspace folder, and the default output folder next to the notebook itself.
import path from 'node:path';
import * as vscode from 'vscode';
import type { Services } from '../services.js';
import { readSettings } from '../settings.js';

export async function runStoreRoots(s: Services, notebook: vscode.Uri): Promise<string[]> {
  const outputFolder = readSettings().outputFolder;
  const roots = new Set<string>();
  for (const experiment of await s.tree.experiments()) if (experiment.outputRoot) roots.add(path.resolve(experiment.outputRoot));
  for (const folder of vscode.workspace.workspaceFolders ?? []) roots.add(path.resolve(folder.uri.fsPath, outputFolder));
  if (notebook.scheme === 'file') roots.add(path.resolve(path.dirname(notebook.fsPath), outputFolder));
  return [...roots];
}
