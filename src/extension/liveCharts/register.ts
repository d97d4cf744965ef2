// Registers the Live Charts view and the "AEM: Show Live Charts" command.
import * as vscode from 'vscode';
import type { Services } from '../services.js';
import { showLiveCharts } from './showLiveCharts.js';
import { LIVE_CHARTS_VIEW, LiveChartsViewProvider, type LiveChartsSnapshot } from './viewProvider.js';

export interface LiveChartsApi {
  /** What the panel was sent and what it reported drawing. */
  snapshot(): LiveChartsSnapshot;
}

export function registerLiveCharts(s: Services): LiveChartsApi {
  const provider = new LiveChartsViewProvider(s);
  s.context.subscriptions.push(
    provider,
    vscode.window.registerWebviewViewProvider(LIVE_CHARTS_VIEW, provider),
    vscode.commands.registerCommand('aemStudio.showLiveCharts', (target?: unknown) => showLiveCharts(provider, target)),
  );
  return { snapshot: () => provider.snapshot() };
}
