// The .aemnb file <-> VS Code's notebook model; the format itself lives in src/notebook/serializer.ts.
import * as vscode from 'vscode';
import { deserializeNotebook, serializeNotebook, type NotebookModel } from '../../notebook/serializer.js';

export function toNotebookData(model: NotebookModel): vscode.NotebookData {
  return new vscode.NotebookData(
    model.cells.map((c) => {
      const cell = new vscode.NotebookCellData(c.kind === 'markdown' ? vscode.NotebookCellKind.Markup : vscode.NotebookCellKind.Code, c.source, c.language);
      cell.outputs = c.outputs.map((o) => new vscode.NotebookCellOutput(o.items.map((i) => new vscode.NotebookCellOutputItem(i.data, i.mime))));
      return cell;
    }),
  );
}

export function fromNotebookData(data: vscode.NotebookData): NotebookModel {
  return {
    cells: data.cells.map((c) => ({
      kind: c.kind === vscode.NotebookCellKind.Markup ? 'markdown' : 'code',
      language: c.languageId,
      source: c.value,
      outputs: (c.outputs ?? []).map((o) => ({ items: o.items.map((i) => ({ mime: i.mime, data: i.data })) })),
    })),
  };
}

export class AemNotebookSerializer implements vscode.NotebookSerializer {
  deserializeNotebook(content: Uint8Array): vscode.NotebookData {
    return toNotebookData(deserializeNotebook(content));
  }

  serializeNotebook(data: vscode.NotebookData): Uint8Array {
    return serializeNotebook(fromNotebookData(data));
  }
}
