// AEM Studio's entry point: wires the run manager (which forks dist/engine.mjs) to the side-bar tree,
// the status bar, the output channel, the diagnostics and the commands.
import path from 'node:path';
import * as vscode from 'vscode';
import { runClusterCli } from './core/clusterCli.js';
import { ClusterWatch } from './core/clusterWatch.js';
import { engineProcess } from './core/engineProcess.js';
import { RunManager, type EngineJob } from './core/runManager.js';
import { runDescription, runTitle } from './core/runFormat.js';
import type { RunState } from './core/runScan.js';
import { registerAttentionMaps, type AttentionMapsApi } from './attentionMaps/register.js';
import { backendPrefix, selectBackend, SET_UP_BACKEND_COMMAND, SET_UP_BACKEND_OLD_COMMAND, setUpBackend, setupPreset } from './backendCommands.js';
import { registerDiagnostics } from './diagnostics.js';
import { registerLiveCharts, type LiveChartsApi } from './liveCharts/register.js';
import { registerNotebookMaps } from './notebook/openMaps.js';
import { registerNotebooks } from './notebook/register.js';
import { newExperiment, openDemo } from './experimentCommands.js';
import { resumeOnCluster, runOnCluster, showSlurmOutput, stopOnCluster } from './clusterCommands.js';
import { compareSeeds, deleteRun, resumeRun, revealRun, runExperiment, runOneSeed, stopRun } from './runCommands.js';
import { EXPERIMENT_GLOB, RunsTreeProvider, type AemNode } from './runsTree.js';
import { RunWatcher } from './runWatcher.js';
import type { Services } from './services.js';
import { readSettings, SECTION } from './settings.js';
import { RunStatusBar } from './statusBar.js';

/** What activate returns: used by the extension-host tests (and by nothing else). */
export interface AemStudioApi {
  manager: RunManager;
  /** The tree as the side bar shows it. */
  treeSnapshot(): Promise<{ name: string; file?: string; runs: { runId: string; dir: string; state: RunState; title: string; description: string }[] }[]>;
  job(id: number): EngineJob | undefined;
  refresh(): Promise<void>;
  liveCharts: LiveChartsApi;
  attentionMaps: AttentionMapsApi;
}

let manager: RunManager | undefined;

export function activate(context: vscode.ExtensionContext): AemStudioApi {
  const log = vscode.window.createOutputChannel('AEM Studio', { log: true });
  const settings = readSettings();
  const engine = engineProcess(settings.nodePath, process.env, { AEM_BACKEND_MODULES: path.join(backendPrefix(context), 'node_modules') });
  manager = new RunManager({
    enginePath: path.join(context.extensionPath, 'dist', 'engine.mjs'),
    execPath: engine.execPath,
    env: engine.env,
    concurrency: settings.concurrency,
    owner: `${vscode.env.sessionId}:${process.pid}`,
  });
  const m = manager;
  const clusterEngine = { execPath: engine.execPath, enginePath: path.join(context.extensionPath, 'dist', 'engine.mjs'), env: engine.env };
  const clusterWatch = new ClusterWatch((file) => runClusterCli({ ...clusterEngine, cwd: path.dirname(file) }, ['queue', file]));
  const tree = new RunsTreeProvider(m, clusterWatch);
  const view = vscode.window.createTreeView<AemNode>('aemStudio.runs', { treeDataProvider: tree, showCollapseAll: true, canSelectMany: true });
  const watcher = new RunWatcher(tree, m, log, () => view.visible);
  const statusBar = new RunStatusBar(m, watcher);
  const diagnostics = registerDiagnostics(context);
  const s: Services = { context, manager: m, tree, watcher, log, diagnostics };
  log.info(`engine: ${path.join(context.extensionPath, 'dist', 'engine.mjs')} on ${engine.description}`);
  if (engine.problem) {
    log.error(`${engine.problem}; training uses ${engine.description} instead`);
    const open = 'Open Settings';
    void vscode.window.showErrorMessage(`AEM: ${engine.problem}. Training uses ${engine.description} until it is fixed (then reload the window).`, open).then((choice) => {
      if (choice === open) void vscode.commands.executeCommand('workbench.action.openSettings', `${SECTION}.nodePath`);
    });
  }

  m.onEvent((e) => {
    switch (e.type) {
      case 'garbage':
        log.warn(`[${e.job.label}] ignored a malformed message from the engine (${e.error}): ${e.raw}`);
        return;
      case 'output':
        if (e.stream === 'stderr') log.error(`[${e.job.label}] ${e.line}`);
        else log.info(`[${e.job.label}] ${e.line}`);
        return;
      case 'job':
        if (e.job.status === 'exited') log.info(`${e.job.label}: engine ${e.job.note ?? (e.job.signal ? `killed by ${e.job.signal}` : `exited with code ${e.job.exitCode}`)}`);
        if (e.job.status === 'exited' && e.job.table) log.info(`${e.job.label}:\n${e.job.table}`);
        break;
      case 'engine': {
        const ev = e.event;
        const prefix = 'runId' in ev && ev.runId ? `[${ev.runId}] ` : `[${e.job.label}] `;
        if (ev.type === 'log') log[ev.level === 'error' ? 'error' : ev.level === 'warn' ? 'warn' : 'info'](`${prefix}${ev.message}`);
        else if (ev.type === 'run-started') log.info(`${prefix}started${ev.resumedAt ? ` (resumed at epoch ${ev.resumedAt.epoch + 1}, step ${ev.resumedAt.iter})` : ''} in ${ev.runDir} on ${ev.backend.name}`);
        else if (ev.type === 'epoch') log.info(`${prefix}epoch ${ev.epoch + 1}/${ev.epochs}: train loss ${ev.train.loss.toFixed(4)}, val AUROC ${ev.val.auroc?.toFixed(3) ?? 'n/a'}, test AUROC ${ev.test.auroc?.toFixed(3) ?? 'n/a'}${ev.isBest ? ' (best)' : ''}`);
        else if (ev.type === 'checkpoint') log.info(`${prefix}checkpoint (${ev.kind}) at epoch ${ev.epoch + 1}, step ${ev.iter}`);
        else if (ev.type === 'run-finished') log.info(`${prefix}${ev.status}${ev.summary.error ? `: ${ev.summary.error}` : ''}`);
        if (ev.type === 'progress') {
          statusBar.update();
          tree.refreshSoon();
          return;
        }
        break;
      }
    }
    statusBar.update();
    tree.refreshSoon();
  });
  watcher.onDidChange(() => statusBar.update());

  const files = vscode.workspace.createFileSystemWatcher(EXPERIMENT_GLOB);
  files.onDidCreate(() => tree.refresh(true));
  files.onDidDelete(() => tree.refresh(true));
  files.onDidChange(() => tree.refresh());

  const command = (id: string, handler: (...args: never[]) => unknown) => context.subscriptions.push(vscode.commands.registerCommand(id, handler));
  command('aemStudio.runExperiment', (target?: vscode.Uri | AemNode) => runExperiment(s, target));
  command('aemStudio.runSeed', (target?: vscode.Uri | AemNode) => runOneSeed(s, target));
  command('aemStudio.stopRun', (target?: vscode.Uri | AemNode) => stopRun(s, target));
  command('aemStudio.resumeRun', (target?: vscode.Uri | AemNode) => resumeRun(s, target));
  command('aemStudio.compareSeeds', (target?: vscode.Uri | AemNode) => compareSeeds(s, target));
  command('aemStudio.revealRun', (target?: AemNode) => revealRun(target));
  command('aemStudio.deleteRun', (target?: AemNode) => deleteRun(s, target));
  command('aemStudio.newExperiment', () => newExperiment());
  command('aemStudio.openDemo', () => openDemo(context));
  command('aemStudio.selectBackend', () => selectBackend(context, log));
  const setUp = (preset?: unknown) =>
    setUpBackend(context, log, { execPath: engine.execPath, enginePath: path.join(context.extensionPath, 'dist', 'engine.mjs'), env: engine.env }, setupPreset(preset));
  command(SET_UP_BACKEND_COMMAND, setUp);
  command(SET_UP_BACKEND_OLD_COMMAND, setUp);
  command('aemStudio.runOnCluster', (target?: vscode.Uri | AemNode) => runOnCluster(s, clusterEngine, target));
  command('aemStudio.stopOnCluster', (target?: vscode.Uri | AemNode) => stopOnCluster(s, clusterEngine, target));
  command('aemStudio.resumeOnCluster', (target?: vscode.Uri | AemNode) => resumeOnCluster(s, clusterEngine, target));
  command('aemStudio.showSlurmOutput', (target?: AemNode) => showSlurmOutput(s, target));
  command('aemStudio.refresh', () => tree.refresh(true));
  command('aemStudio.showLog', () => log.show());
  // Live charts (webview view + aemStudio.showLiveCharts) and seed-comparison notebooks register here.
  const liveCharts = registerLiveCharts(s);
  registerNotebooks(s);
  const attentionMaps = registerAttentionMaps(s, view);
  registerNotebookMaps(s, attentionMaps);

  context.subscriptions.push(
    log,
    view,
    tree,
    watcher,
    statusBar,
    files,
    vscode.workspace.onDidChangeConfiguration((e) => {
      if (e.affectsConfiguration(`${SECTION}.concurrency`)) m.setConcurrency(readSettings().concurrency);
      if (e.affectsConfiguration(`${SECTION}.outputFolder`)) tree.refresh();
      if (e.affectsConfiguration(`${SECTION}.nodePath`)) void vscode.window.showInformationMessage('AEM: the engine Node path applies after a window reload.');
    }),
    vscode.workspace.onDidGrantWorkspaceTrust(() => tree.refresh()),
  );
  watcher.start();

  return {
    manager: m,
    job: (id) => m.allJobs.find((j) => j.id === id),
    refresh: () => watcher.poll(),
    liveCharts,
    attentionMaps,
    treeSnapshot: async () => {
      const out = [];
      for (const experiment of await tree.experiments()) {
        const runs = tree.runsOf(experiment).map(({ record }) => {
          const live = m.liveRun(record.runId);
          return { runId: record.runId, dir: record.dir, state: record.state, title: runTitle(record), description: runDescription(record, live, tree.slurmOf(record)) };
        });
        out.push({ name: experiment.name, ...(experiment.file ? { file: experiment.file } : {}), runs });
      }
      return out;
    },
  };
}

/** The window goes away, training does not: engines are let go of, and re-attached on the next activation. */
export function deactivate(): void {
  manager?.dispose();
  manager = undefined;
}
