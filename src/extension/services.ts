// What the command handlers share.
import type * as vscode from 'vscode';
import type { RunManager } from './core/runManager.js';
import type { RunsTreeProvider } from './runsTree.js';
import type { RunWatcher } from './runWatcher.js';

export interface Services {
  context: vscode.ExtensionContext;
  manager: RunManager;
  tree: RunsTreeProvider;
  watcher: RunWatcher;
  log: vscode.LogOutputChannel;
  diagnostics: vscode.DiagnosticCollection;
}
