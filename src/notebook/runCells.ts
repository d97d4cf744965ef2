// Runs every query cell of an AEM notebook outside VS Code, with the outputs the AEM Runs controller
// gives (the comparison JSON and its Markdown text), so that a notebook shipped with its results (such
// as media/auto-lambda/auto-lambda.aemnb) can be refreshed from a run store on the command line.
import { COMPARISON_MIME } from '../protocol/notebook.js';
import { loadRuns } from './collect.js';
import { runComparison } from './compare.js';
import { fallbackMarkdown } from './outputs.js';
import { parseQuery } from './query.js';
import type { NotebookCell, NotebookModel } from './serializer.js';

const encoder = new TextEncoder();

/** A copy of the notebook whose code cells hold fresh outputs; a query error is raised, naming the cell. */
export function runNotebookCells(model: NotebookModel, roots: readonly string[]): NotebookModel {
  const runs = loadRuns(roots);
  const cells = model.cells.map((cell, i): NotebookCell => {
    if (cell.kind !== 'code') return cell;
    let output;
    try {
      output = runComparison(parseQuery(cell.source), runs);
    } catch (err) {
      throw new Error(`cell ${i + 1}: ${err instanceof Error ? err.message : String(err)}`);
    }
    return {
      ...cell,
      outputs: [
        {
          items: [
            { mime: COMPARISON_MIME, data: encoder.encode(JSON.stringify(output)) },
            { mime: 'text/markdown', data: encoder.encode(fallbackMarkdown(output)) },
          ],
        },
      ],
    };
  });
  return { cells };
}
