// Restricted mode: the run store can be browsed, but nothing that runs code (training, npm) starts.
import * as vscode from 'vscode';

export async function requireTrust(what: string): Promise<boolean> {
  if (vscode.workspace.isTrusted) return true;
  const choice = await vscode.window.showWarningMessage(
    `AEM Studio: ${what} needs a trusted workspace. This workspace is in Restricted Mode, where runs can be viewed but no training starts.`,
    'Manage Workspace Trust',
  );
  if (choice) await vscode.commands.executeCommand('workbench.trust.manage');
  return false;
}
