// The engine's own validation of *.aem.json files, in the Problems panel on open and save: the same
// parseExperiment the engine runs, so what it would reject is marked where it is wrong.
import * as vscode from 'vscode';
import { ConfigError, parseExperiment, type ConfigProblem } from '../config/load.js';

export function isExperimentDocument(doc: vscode.TextDocument): boolean {
  return doc.uri.scheme === 'file' && doc.uri.fsPath.endsWith('.aem.json');
}

function rangeOf(doc: vscode.TextDocument, p: ConfigProblem): vscode.Range {
  if (p.offset !== undefined) {
    const start = doc.positionAt(p.offset);
    return new vscode.Range(start, doc.positionAt(p.offset + Math.max(1, p.length ?? 1)));
  }
  if (p.line !== undefined) {
    const start = new vscode.Position(p.line - 1, Math.max(0, (p.column ?? 1) - 1));
    return new vscode.Range(start, start.translate(0, 1));
  }
  return new vscode.Range(0, 0, 0, 1);
}

export function problemsOf(doc: vscode.TextDocument): vscode.Diagnostic[] {
  try {
    parseExperiment(doc.getText(), doc.uri.fsPath);
    return [];
  } catch (err) {
    const problems: ConfigProblem[] = err instanceof ConfigError ? err.problems : [{ path: '', message: err instanceof Error ? err.message : String(err) }];
    return problems.map((p) => {
      const d = new vscode.Diagnostic(rangeOf(doc, p), p.path ? `${p.path}: ${p.message}` : p.message, vscode.DiagnosticSeverity.Error);
      d.source = 'aem';
      return d;
    });
  }
}

export function registerDiagnostics(context: vscode.ExtensionContext): vscode.DiagnosticCollection {
  const collection = vscode.languages.createDiagnosticCollection('aem');
  const check = (doc: vscode.TextDocument) => {
    if (isExperimentDocument(doc)) collection.set(doc.uri, problemsOf(doc));
  };
  context.subscriptions.push(
    collection,
    vscode.workspace.onDidOpenTextDocument(check),
    vscode.workspace.onDidSaveTextDocument(check),
    vscode.workspace.onDidCloseTextDocument((doc) => collection.delete(doc.uri)),
  );
  vscode.workspace.textDocuments.forEach(check);
  return collection;
}
