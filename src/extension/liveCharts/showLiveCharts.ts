// "AEM: Show Live Charts": a run shows that run; an experiment overlays its runs of one seed (one per
// configuration, e.g. ABMIL and AEM); no argument shows the newest running run, else the newest run,
// without asking (the command must never block on a question).
import * as vscode from 'vscode';
import type { AemNode } from '../runsTree.js';
import type { LiveChartsViewProvider } from './viewProvider.js';

function isNode(t: unknown): t is AemNode {
  return typeof t === 'object' && t !== null && 'kind' in t && ((t as AemNode).kind === 'experiment' || (t as AemNode).kind === 'run');
}

export async function showLiveCharts(provider: LiveChartsViewProvider, target?: unknown): Promise<string[]> {
  await provider.refreshRuns();
  const feed = provider.feed;
  const node = isNode(target) ? target : undefined;
  let runIds: string[];
  if (node?.kind === 'run') runIds = feed.record(node.record.runId) ? [node.record.runId] : [];
  else if (node?.kind === 'experiment') runIds = feed.experimentSelection(node.name);
  else runIds = feed.defaultSelection();
  if (runIds.length === 0) void vscode.window.showInformationMessage('AEM: no run to chart yet. Start one with "AEM: Run Experiment".');
  await provider.show(runIds);
  return runIds;
}
