// Saves what the webview exports (a chart as PNG, the data as CSV) where the user chooses.
import * as vscode from 'vscode';
import type { WebviewMessage } from '../../protocol/liveCharts.js';

type SaveMessage = Extract<WebviewMessage, { type: 'saveCsv' | 'savePng' }>;

export function exportBytes(message: SaveMessage): Uint8Array {
  if (message.type === 'saveCsv') return Buffer.from(message.content, 'utf8');
  return Buffer.from(message.content.slice(message.content.indexOf(',') + 1), 'base64');
}

/** Asks where to save; returns the path written, or undefined when the user cancelled. */
export async function saveExport(message: SaveMessage): Promise<string | undefined> {
  const folder = vscode.workspace.workspaceFolders?.[0]?.uri;
  const png = message.type === 'savePng';
  const uri = await vscode.window.showSaveDialog({
    title: png ? 'Save chart as PNG' : 'Save chart data as CSV',
    ...(folder ? { defaultUri: vscode.Uri.joinPath(folder, message.fileName) } : {}),
    filters: png ? { 'PNG image': ['png'] } : { CSV: ['csv'] },
  });
  if (!uri) return undefined;
  await vscode.workspace.fs.writeFile(uri, exportBytes(message));
  return uri.fsPath;
}
