// The "AEM Runs" notebook controller: executes comparison cells (YAML queries) in the extension host,
// reading the run stores from disk on every execution, so a re-run picks up runs finished since; a
// `live: true` cell runs again every 5 s while its runs train.
import * as vscode from 'vscode';
import { loadRuns } from '../../notebook/collect.js';
import { runComparison } from '../../notebook/compare.js';
import { LiveReruns, wantsRerun } from '../../notebook/liveReruns.js';
import { fallbackMarkdown } from '../../notebook/outputs.js';
import { parseQuery, QueryError } from '../../notebook/query.js';
import { COMPARISON_MIME, NOTEBOOK_TYPE } from '../../protocol/notebook.js';
import type { Services } from '../services.js';
import { runStoreRoots } from './runStores.js';

export const CONTROLLER_ID = 'aem-studio.runs';

/** A query mistake shows as its message alone; a stack trace would only hide what to fix. */
function errorItem(err: unknown): vscode.NotebookCellOutputItem {
  if (err instanceof QueryError) {
    const shown = new Error(err.message);
    shown.name = 'AEM query';
    shown.stack = `AEM query: ${err.message}`;
    return vscode.NotebookCellOutputItem.error(shown);
  }
  return vscode.NotebookCellOutputItem.error(err instanceof Error ? err : new Error(String(err)));
}

export function createRunsController(s: Services): vscode.NotebookController {
  const controller = vscode.notebooks.createNotebookController(CONTROLLER_ID, NOTEBOOK_TYPE, 'AEM Runs');
  controller.supportedLanguages = ['yaml'];
  controller.supportsExecutionOrder = true;
  controller.description = 'Seed comparisons over the run store (no Python kernel)';
  let order = 0;
  const reruns = new LiveReruns();

  const execute = async (cells: readonly vscode.NotebookCell[], notebook: vscode.NotebookDocument): Promise<void> => {
    const roots = await runStoreRoots(s, notebook.uri);
    for (const cell of cells) {
      const key = cell.document.uri.toString();
      reruns.cancel(key);
      const execution = controller.createNotebookCellExecution(cell);
      execution.executionOrder = ++order;
      execution.start(Date.now());
      try {
        const parsed = parseQuery(cell.document.getText());
        const output = runComparison(parsed, loadRuns(roots));
        await execution.replaceOutput(
          new vscode.NotebookCellOutput([vscode.NotebookCellOutputItem.json(output, COMPARISON_MIME), vscode.NotebookCellOutputItem.text(fallbackMarkdown(output), 'text/markdown')]),
        );
        execution.end(true, Date.now());
        if (wantsRerun(parsed.query, output)) {
          reruns.schedule(key, () => {
            // A closed notebook or a deleted cell (index -1) is not run again.
            if (!cell.notebook.isClosed && cell.index >= 0) void execute([cell], cell.notebook);
          });
        }
      } catch (err) {
        if (!(err instanceof QueryError)) s.log.error(`notebook cell ${cell.index + 1}: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
        await execution.replaceOutput(new vscode.NotebookCellOutput([errorItem(err)]));
        execution.end(false, Date.now());
      }
    }
  };
  controller.executeHandler = execute;
  s.context.subscriptions.push(reruns);
  return controller;
}
