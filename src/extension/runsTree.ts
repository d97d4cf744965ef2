// The side-bar tree: experiments found in the workspace (**/*.aem.json), each with its runs read from
// the run store, overlaid with the live progress of the runs this window's engines train.
import path from 'node:path';
import * as vscode from 'vscode';
import type { ClusterWatch, SlurmView } from './core/clusterWatch.js';
import { readExperimentInfo, type ExperimentInfo } from './core/experimentIndex.js';
import type { RunManager } from './core/runManager.js';
import { listExperimentDirs, scanExperimentRuns, type RunRecord, type RunState } from './core/runScan.js';
import { runDescription, runTitle, runTooltip } from './core/runFormat.js';
import { readSettings } from './settings.js';

export interface ExperimentNode {
  kind: 'experiment';
  key: string;
  name: string;
  /** Absent for runs whose experiment file is no longer in the workspace. */
  file?: string;
  info?: ExperimentInfo;
  outputRoot?: string;
}

export interface RunNode {
  kind: 'run';
  parent: ExperimentNode;
  record: RunRecord;
}

export type AemNode = ExperimentNode | RunNode;

const STATE_ICONS: Record<RunState, vscode.ThemeIcon> = {
  pending: new vscode.ThemeIcon('circle-outline'),
  running: new vscode.ThemeIcon('sync~spin', new vscode.ThemeColor('charts.blue')),
  done: new vscode.ThemeIcon('pass', new vscode.ThemeColor('testing.iconPassed')),
  stopped: new vscode.ThemeIcon('debug-pause', new vscode.ThemeColor('charts.yellow')),
  failed: new vscode.ThemeIcon('error', new vscode.ThemeColor('testing.iconFailed')),
  interrupted: new vscode.ThemeIcon('warning', new vscode.ThemeColor('charts.orange')),
};

export const EXPERIMENT_GLOB = '**/*.aem.json';

export class RunsTreeProvider implements vscode.TreeDataProvider<AemNode> {
  private readonly changed = new vscode.EventEmitter<AemNode | undefined>();
  readonly onDidChangeTreeData = this.changed.event;
  private files: string[] | undefined;
  private refreshTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly manager: RunManager,
    /** What SLURM says of cluster runs (polled by the RunWatcher). */
    readonly cluster?: ClusterWatch,
  ) {}

  /** SLURM's view of a run submitted to a cluster, once it has been asked. */
  slurmOf(record: RunRecord): SlurmView | undefined {
    return record.cluster ? this.cluster?.viewOf(path.resolve(record.dir)) : undefined;
  }

  dispose(): void {
    clearTimeout(this.refreshTimer);
    this.changed.dispose();
  }

  /** Re-reads the run store; `rescan` also looks for experiment files again. */
  refresh(rescan = false): void {
    if (rescan) this.files = undefined;
    this.changed.fire(undefined);
  }

  /** Coalesces bursts of engine events into one refresh. */
  refreshSoon(): void {
    if (this.refreshTimer) return;
    this.refreshTimer = setTimeout(() => {
      this.refreshTimer = undefined;
      this.refresh();
    }, 250);
  }

  async experimentFiles(): Promise<string[]> {
    if (!this.files) {
      const uris = await vscode.workspace.findFiles(EXPERIMENT_GLOB, '**/node_modules/**');
      this.files = uris.map((u) => u.fsPath).sort();
    }
    return this.files;
  }

  async experiments(): Promise<ExperimentNode[]> {
    const nodes: ExperimentNode[] = [];
    const covered = new Set<string>();
    for (const file of await this.experimentFiles()) {
      const open = vscode.workspace.textDocuments.find((d) => d.uri.fsPath === file);
      const info = readExperimentInfo(file, open?.getText());
      const name = info.name ?? path.basename(file, '.aem.json');
      if (info.outputRoot) covered.add(path.join(info.outputRoot, name));
      nodes.push({ kind: 'experiment', key: file, name, file, info, ...(info.outputRoot ? { outputRoot: info.outputRoot } : {}) });
    }
    // Runs in the default output folder whose experiment file is gone are still shown.
    const outputFolder = readSettings().outputFolder;
    for (const folder of vscode.workspace.workspaceFolders ?? []) {
      const root = path.resolve(folder.uri.fsPath, outputFolder);
      for (const name of listExperimentDirs(root)) {
        if (covered.has(path.join(root, name))) continue;
        covered.add(path.join(root, name));
        nodes.push({ kind: 'experiment', key: path.join(root, name), name, outputRoot: root });
      }
    }
    return nodes;
  }

  runsOf(node: ExperimentNode): RunNode[] {
    if (!node.outputRoot) return [];
    return scanExperimentRuns(node.outputRoot, node.name).map((record) => ({ kind: 'run', parent: node, record }));
  }

  async getChildren(element?: AemNode): Promise<AemNode[]> {
    if (!element) return this.experiments();
    if (element.kind === 'experiment') return this.runsOf(element);
    return [];
  }

  getParent(element: AemNode): AemNode | undefined {
    return element.kind === 'run' ? element.parent : undefined;
  }

  getTreeItem(node: AemNode): vscode.TreeItem {
    if (node.kind === 'experiment') {
      const runs = this.runsOf(node);
      const item = new vscode.TreeItem(node.name, runs.length > 0 ? vscode.TreeItemCollapsibleState.Expanded : vscode.TreeItemCollapsibleState.Collapsed);
      item.id = `experiment:${node.key}`;
      const running = runs.filter((r) => r.record.state === 'running').length;
      const where = node.file ? vscode.workspace.asRelativePath(node.file) : 'no experiment file';
      item.description = node.info?.problem ? `invalid · ${where}` : `${runs.length} run${runs.length === 1 ? '' : 's'}${running ? `, ${running} running` : ''} · ${where}`;
      item.tooltip = [node.file ?? `runs in ${node.outputRoot ?? ''}`, node.info?.problem ?? '', node.outputRoot ? `run store: ${path.join(node.outputRoot, node.name)}` : ''].filter(Boolean).join('\n');
      item.iconPath = new vscode.ThemeIcon(node.info?.problem ? 'warning' : 'beaker');
      item.contextValue = node.file ? (node.info?.problem ? 'aemExperiment:invalid' : 'aemExperiment') : 'aemExperiment:orphan';
      if (node.file) {
        item.resourceUri = vscode.Uri.file(node.file);
        item.command = { title: 'Open', command: 'vscode.open', arguments: [vscode.Uri.file(node.file)] };
      }
      return item;
    }
    const { record } = node;
    const live = this.manager.liveRun(record.runId);
    const item = new vscode.TreeItem(runTitle(record), vscode.TreeItemCollapsibleState.None);
    item.id = `run:${node.parent.key}:${record.dir}`;
    const slurm = this.slurmOf(record);
    item.description = runDescription(record, live && path.resolve(live.runDir) === path.resolve(record.dir) ? live : undefined, slurm);
    item.tooltip = runTooltip(record, slurm);
    item.iconPath = STATE_ICONS[record.state];
    item.contextValue = `aemRun:${record.state}`;
    return item;
  }
}
