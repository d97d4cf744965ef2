// "AEM: Open Attention Maps": on a run of the tree (or two selected runs, side by side), or from the
// palette on the runs selected in the tree, else a pick of the runs that have attention files.
import { existsSync } from 'node:fs';
import path from 'node:path';
import * as vscode from 'vscode';
import { runTitle } from '../core/runFormat.js';
import type { AemNode, RunNode } from '../runsTree.js';
import type { Services } from '../services.js';
import { openMapsPanel, type MapsPanel, type MapsPanelSnapshot, type MapsRun } from './mapsPanel.js';

export interface AttentionMapsApi {
  /** Every open map panel, newest last. */
  snapshots(): MapsPanelSnapshot[];
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
    const runs = nodes.slice(0, 2).map(mapsRun);
    const panel = openMapsPanel(s, runs, () => panels.splice(panels.indexOf(panel), 1));
    panels.push(panel);
    return runs.map((r) => r.runId);
  };
  s.context.subscriptions.push(
    vscode.commands.registerCommand('aemStudio.openAttentionMaps', open),
    { dispose: () => panels.splice(0).forEach((p) => p.panel.dispose()) },
  );
  return { snapshots: () => panels.map((p) => p.snapshot()) };
}
