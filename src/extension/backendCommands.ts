// Select Training Backend and Set Up GPU Backend.
import path from 'node:path';
import * as vscode from 'vscode';
import { BACKEND_CATALOG, backendStatus, installedVersion } from './core/backendCatalog.js';
import { checkCuda, GPU_PACKAGE, npmInstall } from './core/gpuSetup.js';
import { readSettings, SECTION } from './settings.js';
import { requireTrust } from './trust.js';

/** Where Set Up GPU Backend installs; the engine is told with AEM_BACKEND_MODULES. */
export function backendPrefix(context: vscode.ExtensionContext): string {
  return path.join(context.globalStorageUri.fsPath, 'backends');
}

export function backendRoots(context: vscode.ExtensionContext): string[] {
  return [context.extensionPath, backendPrefix(context)];
}

export async function selectBackend(context: vscode.ExtensionContext, log: vscode.LogOutputChannel): Promise<void> {
  const current = readSettings().defaultBackend;
  const items = BACKEND_CATALOG.map((entry) => {
    const status = backendStatus(entry, backendRoots(context));
    return {
      label: `${entry.name === current ? '$(check) ' : ''}${entry.name}`,
      description: entry.packages.length === 0 ? '' : status.installed ? `installed: ${status.versions.join(', ')}` : 'not installed',
      detail: `needs ${entry.needs}`,
      entry,
      installed: entry.packages.length === 0 || status.installed,
    };
  });
  const pick = await vscode.window.showQuickPick(items, { title: 'Training backend for experiments whose compute.backend is "auto"', matchOnDetail: true });
  if (!pick) return;
  const target = vscode.workspace.workspaceFolders ? vscode.ConfigurationTarget.Workspace : vscode.ConfigurationTarget.Global;
  await vscode.workspace.getConfiguration(SECTION).update('defaultBackend', pick.entry.name, target);
  log.info(`default backend: ${pick.entry.name}`);
  if (pick.installed) {
    void vscode.window.showInformationMessage(`AEM: experiments with backend "auto" now train on ${pick.entry.name}.`);
    return;
  }
  const setUp = 'Set Up GPU Backend';
  const choice = await vscode.window.showWarningMessage(
    `AEM: ${pick.entry.name} is selected but not installed; training will stop with the reason until it is. It needs ${pick.entry.needs}.`,
    ...(pick.entry.name === 'tensorflow-gpu' ? [setUp] : []),
  );
  if (choice === setUp) await vscode.commands.executeCommand('aemStudio.setUpGpuBackend');
}

export async function setUpGpuBackend(context: vscode.ExtensionContext, log: vscode.LogOutputChannel): Promise<void> {
  if (!(await requireTrust('Installing the GPU backend'))) return;
  const prefix = backendPrefix(context);
  // The GPU package must match the engine's tfjs-core, which it registers its kernels with.
  const core = installedVersion('@tensorflow/tfjs-core', [context.extensionPath]) ?? '4.22.0';
  const spec = `${GPU_PACKAGE}@${core}`;
  log.info(`installing ${spec} into ${prefix}`);
  const result = await vscode.window.withProgress(
    { location: vscode.ProgressLocation.Notification, title: `AEM: installing ${spec}`, cancellable: false },
    async (progress) => {
      progress.report({ message: 'npm install (downloads libtensorflow, several hundred MB)' });
      return npmInstall(prefix, spec, (line) => {
        log.info(`npm: ${line}`);
        progress.report({ message: line.slice(0, 120) });
      });
    },
  );
  const cuda = checkCuda();
  const have = [
    result.ok ? `${spec} installed in ${prefix}` : undefined,
    cuda.gpus.length ? `GPU: ${cuda.gpus.join(', ')} (driver ${cuda.driver ?? '?'})` : undefined,
    cuda.cudart11 ? `CUDA runtime: ${cuda.cudart11}` : undefined,
    cuda.cudnn8 ? `cuDNN: ${cuda.cudnn8}` : undefined,
  ].filter((x): x is string => x !== undefined);
  const missing = [...(result.ok ? [] : [`${GPU_PACKAGE}: ${result.reason ?? 'the install failed'}`]), ...cuda.missing];
  log.info(`GPU backend check: found ${have.join('; ') || 'nothing'}; missing ${missing.join('; ') || 'nothing'}`);
  if (!result.ok) for (const line of result.tail.slice(-10)) log.warn(`npm: ${line}`);
  const showLog = 'Show Log';
  const pick =
    missing.length === 0
      ? await vscode.window.showInformationMessage(`AEM: the GPU backend is ready (${have.join('; ')}). Select it with "AEM: Select Training Backend", or keep "auto", which tries it first.`, showLog)
      : await vscode.window.showWarningMessage(`AEM: the GPU backend cannot run yet. Missing: ${missing.join('; ')}.${have.length ? ` Found: ${have.join('; ')}.` : ''}`, { modal: false }, showLog);
  if (pick === showLog) log.show(true);
}
