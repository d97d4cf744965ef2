// Select Training Backend and Set Up Backend.
import path from 'node:path';
import * as vscode from 'vscode';
import { BACKEND_CATALOG, backendStatus, engineTfjsCoreVersion } from './core/backendCatalog.js';
import { probeEngineBackends, type EngineCommand } from './core/backendProbe.js';
import { BACKEND_SETUPS, checkCuda, isSetupBackend, npmInstall, type SetupBackend } from './core/backendSetup.js';
import { readSettings, SECTION } from './settings.js';
import { requireTrust } from './trust.js';

/** Where Set Up Backend installs; the engine is told with AEM_BACKEND_MODULES. */
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
  const setUp = 'Set Up Backend';
  const choice = await vscode.window.showWarningMessage(
    `AEM: ${pick.entry.name} is selected but not installed; training will stop with the reason until it is. It needs ${pick.entry.needs}.`,
    ...(isSetupBackend(pick.entry.name) ? [setUp] : []),
  );
  if (choice === setUp) await vscode.commands.executeCommand(SET_UP_BACKEND_COMMAND, pick.entry.name);
}

/** The command's id; the id it had while it installed GPU backends only stays registered as an alias. */
export const SET_UP_BACKEND_COMMAND = 'aemStudio.setUpBackend';
export const SET_UP_BACKEND_OLD_COMMAND = 'aemStudio.setUpGpuBackend';

/** The command's argument: a backend to install without asking (Select Training Backend passes one). */
export function setupPreset(arg: unknown): SetupBackend | undefined {
  return isSetupBackend(arg) ? arg : undefined;
}

export async function setUpBackend(context: vscode.ExtensionContext, log: vscode.LogOutputChannel, engine: EngineCommand, preset?: SetupBackend): Promise<void> {
  if (!(await requireTrust('Installing a training backend'))) return;
  const setup =
    BACKEND_SETUPS.find((x) => x.backend === preset) ??
    (await vscode.window.showQuickPick(
      BACKEND_SETUPS.map((x) => ({ label: x.label, description: x.backend, detail: `needs ${x.detail}`, setup: x })),
      { title: 'Training backend to install into the extension\'s storage (wasm and cpu are built in)', matchOnDetail: true },
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
  log.info(`${setup.backend} backend check: found ${have.join('; ') || 'nothing'}; missing ${missing.join('; ') || 'nothing'}`);
  if (!result.installed.ok) for (const line of result.installed.tail.slice(-10)) log.warn(`npm: ${line}`);
  const showLog = 'Show Log';
  const pick =
    missing.length === 0
      ? await vscode.window.showInformationMessage(`AEM: ${setup.backend} is ready (${have.join('; ')}). Select it with "AEM: Select Training Backend", or keep "auto", which tries it first.`, showLog)
      : await vscode.window.showWarningMessage(`AEM: ${setup.backend} cannot run yet. Missing: ${missing.join('; ')}.${have.length ? ` Found: ${have.join('; ')}.` : ''}`, { modal: false }, showLog);
  if (pick === showLog) log.show(true);
}
