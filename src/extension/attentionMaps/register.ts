// "AEM: Open Attention Maps": on a run of the tree (or two selected runs, side by side), or from the
// palette on the runs selected in the tree, else a pick of the runs that have attention files; from a
// notebook output on its runs. Panels open at a reload come back on the runs their webview state names.
import { existsSync } from 'node:fs';
import path from 'node:path';
import * as vscode from 'vscode';
import { ATTENTION_MAPS_VIEW_TYPE, parseRestoredState } from '../../protocol/attentionMaps.js';
import { runTitle } from '../core/runFormat.js';
import type { AemNode, RunNode } from '../runsTree.js';
import type { Services } from '../services.js';
import { openMapsPanel, restoreMapsPanel, type MapsPanel, type MapsPanelSnapshot, type MapsRun } from './mapsPanel.js';

export interface AttentionMapsApi {
  /** Every open map panel, newest last. */
  snapshots(): MapsPanelSnapshot[];
  /** Opens the maps of these runs (one, or two side by side); returns the run ids shown. */
  open(runs: MapsRun[]): string[];
}

/** The runs of the workspace with these ids, in the order given; ids no run has are left out. */
async function findRuns(s: Services, runIds: readonly string[]): Promise<RunNode[]> {
  const byId = new Map<string, RunNode>();
  for (const experiment of await s.tree.experiments()) for (const node of s.tree.runsOf(experiment)) byId.set(node.record.runId, node);
  return runIds.flatMap((id) => byId.get(id) ?? []);
}

function isRunNode(t: unknown): t is RunNode {
  return typeof t === 'object' && t !== null && (t as AemNode).kind === 'run';
}

function mapsRun(node: RunNode): MapsRun {
  return { runId: node.record.runId, title: `${node.record.experiment} · ${runTitle(node.record)}`, dir: node.record.dir };
}

function hasAttention(dir: string): boolean {
  return existsSync(path.join(dir, 'attention-best.pack')) || existsSync(path.join(dir, 'attention-last.pack'));
}

async function pickRuns(s: Services): Promise<RunNode[]> {
  const nodes: RunNode[] = [];
  for (const experiment of await s.tree.experiments()) for (const node of s.tree.runsOf(experiment)) if (hasAttention(node.record.dir)) nodes.push(node);
  if (nodes.length === 0) return [];
  const picked = await vscode.window.showQuickPick(
    nodes.map((node) => ({ label: mapsRun(node).title, description: node.record.state, node })),
    { canPickMany: true, title: 'Attention maps of which run(s)? (two: side by side)' },
  );
  return (picked ?? []).map((p) => p.node);
}

export function registerAttentionMaps(s: Services, view: vscode.TreeView<AemNode>): AttentionMapsApi {
  const panels: MapsPanel[] = [];
  const open = async (target?: unknown, selected?: unknown): Promise<string[]> => {
    let nodes: RunNode[] = Array.isArray(selected) ? selected.filter(isRunNode) : [];
    if (nodes.length < 2) nodes = isRunNode(target) ? [target] : view.selection.filter(isRunNode);
    if (nodes.length === 0) nodes = await pickRuns(s);
    if (nodes.length === 0) {
      void vscode.window.showInformationMessage('AEM: no run with attention maps yet. A run writes them when it finishes its first epoch.');
      return [];
    }
    if (nodes.length > 2) void vscode.window.showInformationMessage(`AEM: attention maps compare two runs at most; showing the first two of ${nodes.length}.`);
    return show(nodes.slice(0, 2).map(mapsRun));
  };
  const show = (runs: MapsRun[]): string[] => {
    const panel = openMapsPanel(s, runs, () => panels.splice(panels.indexOf(panel), 1));
    panels.push(panel);
    return runs.map((r) => r.runId);
  };
  const restore = async (webviewPanel: vscode.WebviewPanel, state: unknown): Promise<void> => {
    const saved = parseRestoredState(state);
    const nodes = saved.ok ? await findRuns(s, saved.value.runIds) : [];
    if (nodes.length === 0) {
      // Nothing to show: the runs were deleted, or the state predates the panel's first message.
      s.log.warn(`attention maps: not restoring a panel after the reload (${saved.ok ? `no run ${saved.value.runIds.join(', ')} in the workspace any more` : `its saved state: ${saved.error}`})`);
      webviewPanel.dispose();
      return;
    }
    if (saved.ok && nodes.length < saved.value.runIds.length) {
      void vscode.window.showInformationMessage(`AEM: attention maps restored without ${saved.value.runIds.filter((id) => !nodes.some((n) => n.record.runId === id)).join(', ')}: no such run in the workspace any more.`);
    }
    const panel = restoreMapsPanel(s, webviewPanel, nodes.map(mapsRun), () => panels.splice(panels.indexOf(panel), 1));
    panels.push(panel);
  };
  s.context.subscriptions.push(
    vscode.commands.registerCommand('aemStudio.openAttentionMaps', open),
    vscode.window.registerWebviewPanelSerializer(ATTENTION_MAPS_VIEW_TYPE, { deserializeWebviewPanel: restore }),
    { dispose: () => panels.splice(0).forEach((p) => p.panel.dispose()) },
  );
  return { snapshots: () => panels.map((p) => p.snapshot()), open: (runs) => show(runs.slice(0, 2)) };
}
