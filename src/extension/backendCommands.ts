// Select Training Backend and Set Up GPU Backend.
import path from 'node:path';
import * as vscode from 'vscode';
import { BACKEND_CATALOG, backendStatus, engineTfjsCoreVersion } from './core/backendCatalog.js';
import { probeEngineBackends, type EngineCommand } from './core/backendProbe.js';
import { checkCuda, GPU_SETUPS, npmInstall, type GpuSetup } from './core/gpuSetup.js';
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
    ...(pick.entry.name === 'tensorflow-gpu' || pick.entry.name === 'webgpu' ? [setUp] : []),
  );
  if (choice === setUp) await vscode.commands.executeCommand('aemStudio.setUpGpuBackend', pick.entry.name);
}

export async function setUpGpuBackend(context: vscode.ExtensionContext, log: vscode.LogOutputChannel, engine: EngineCommand, preset?: GpuSetup['backend']): Promise<void> {
  if (!(await requireTrust('Installing a GPU backend'))) return;
  const setup =
    GPU_SETUPS.find((x) => x.backend === preset) ??
    (await vscode.window.showQuickPick(
      GPU_SETUPS.map((x) => ({ label: x.label, detail: `needs ${x.detail}`, setup: x })),
      { title: 'GPU backend to install into the extension\'s storage', matchOnDetail: true },
    ))?.setup;
  if (!setup) return;
  const prefix = backendPrefix(context);
  const core = engineTfjsCoreVersion();
  const specs = setup.specs(core);
  log.info(`installing ${specs.join(' ')} into ${prefix}`);
  const result = await vscode.window.withProgress(
    { location: vscode.ProgressLocation.Notification, title: `AEM: installing ${specs.join(', ')}`, cancellable: false },
    async (progress) => {
      progress.report({ message: 'npm install' });
      const installed = await npmInstall(prefix, specs, (line) => {
        log.info(`npm: ${line}`);
        progress.report({ message: line.slice(0, 120) });
      });
      if (!installed.ok) return { installed, probe: undefined, probeError: undefined };
      // The only real check: the engine, with the Node and environment training uses, tries to start it.
      progress.report({ message: `checking that the engine starts ${setup.backend}` });
      try {
        const probes = await probeEngineBackends(engine);
        return { installed, probe: probes.find((p) => p.name === setup.backend), probeError: undefined };
      } catch (err) {
        return { installed, probe: undefined, probeError: (err as Error).message };
      }
    },
  );
  const cuda = setup.backend === 'tensorflow-gpu' ? checkCuda() : undefined;
  const have = [
    result.installed.ok ? `${specs.join(', ')} installed in ${prefix}` : undefined,
    result.probe?.available ? `the engine starts ${setup.backend}${result.probe.adapter ? ` on ${result.probe.adapter}` : ''}` : undefined,
    cuda?.gpus.length ? `GPU: ${cuda.gpus.join(', ')} (driver ${cuda.driver ?? '?'})` : undefined,
    cuda?.cudart11 ? `CUDA runtime: ${cuda.cudart11}` : undefined,
    cuda?.cudnn8 ? `cuDNN: ${cuda.cudnn8}` : undefined,
  ].filter((x): x is string => x !== undefined);
  const missing = [
    ...(result.installed.ok ? [] : [`${specs.join(', ')}: ${result.installed.reason ?? 'the install failed'}`]),
    ...(result.probeError ? [result.probeError] : []),
    ...(result.probe && !result.probe.available ? [`the engine cannot start ${setup.backend}: ${result.probe.reason ?? 'no reason given'}`] : []),
    ...(cuda?.missing ?? []),
  ];
  log.info(`GPU backend check: found ${have.join('; ') || 'nothing'}; missing ${missing.join('; ') || 'nothing'}`);
  if (!result.installed.ok) for (const line of result.installed.tail.slice(-10)) log.warn(`npm: ${line}`);
  const showLog = 'Show Log';
  const pick =
    missing.length === 0
      ? await vscode.window.showInformationMessage(`AEM: ${setup.backend} is ready (${have.join('; ')}). Select it with "AEM: Select Training Backend", or keep "auto", which tries it first.`, showLog)
      : await vscode.window.showWarningMessage(`AEM: ${setup.backend} cannot run yet. Missing: ${missing.join('; ')}.${have.length ? ` Found: ${have.join('; ')}.` : ''}`, { modal: false }, showLog);
  if (pick === showLog) log.show(true);
}
