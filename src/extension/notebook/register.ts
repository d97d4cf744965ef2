// Seed-comparison notebooks: the .aemnb serializer and the "AEM Runs" controller, preferred for every
// AEM notebook so that opening one needs no kernel pick.
import * as vscode from 'vscode';
import { NOTEBOOK_TYPE } from '../../protocol/notebook.js';
import type { Services } from '../services.js';
import { AemNotebookSerializer } from './notebookSerializer.js';
import { createRunsController } from './runsController.js';

export function registerNotebooks(s: Services): void {
  const controller = createRunsController(s);
  const prefer = (doc: vscode.NotebookDocument) => {
    if (doc.notebookType === NOTEBOOK_TYPE) controller.updateNotebookAffinity(doc, vscode.NotebookControllerAffinity.Preferred);
  };
  vscode.workspace.notebookDocuments.forEach(prefer);
  s.context.subscriptions.push(
    vscode.workspace.registerNotebookSerializer(NOTEBOOK_TYPE, new AemNotebookSerializer(), { transientOutputs: false }),
    controller,
    vscode.workspace.onDidOpenNotebookDocument(prefer),
  );
}
