// The notebook renderer's "Attention maps…" button: the renderer posts the output's run names
// (validated here), and the maps open for them: at once for one or two runs, after a pick of one or
// two (side by side) when the output has more.
import * as vscode from 'vscode';
import { loadRuns, type RunData } from '../../notebook/collect.js';
import { mapsCandidates } from '../../notebook/mapsRuns.js';
import { parseRendererMessage, RENDERER_ID } from '../../protocol/notebook.js';
import type { AttentionMapsApi } from '../attentionMaps/register.js';
import type { MapsRun } from '../attentionMaps/mapsPanel.js';
import type { Services } from '../services.js';
import { runStoreRoots } from './runStores.js';

function mapsRun(run: RunData): MapsRun {
  return { runId: run.runId, title: run.name, dir: run.dir };
}

export async function openNotebookMaps(s: Services, maps: AttentionMapsApi, notebook: vscode.Uri, runNames: readonly string[]): Promise<string[]> {
  const { runs } = mapsCandidates(loadRuns(await runStoreRoots(s, notebook)), runNames);
  if (runs.length === 0) {
    void vscode.window.showInformationMessage(`AEM: none of the ${runNames.length} run(s) of this output has attention maps yet. A run writes them when it finishes its first epoch.`);
    return [];
  }
  if (runs.length <= 2) return maps.open(runs.map(mapsRun));
  const picked = await vscode.window.showQuickPick(
    runs.map((run) => ({ label: run.name, description: run.live ? `training, epoch ${run.epochsDone}` : run.status, run })),
    { canPickMany: true, title: `Attention maps of which of these ${runs.length} runs? (two: side by side)` },
  );
  if (!picked || picked.length === 0) return [];
  if (picked.length > 2) void vscode.window.showInformationMessage(`AEM: attention maps compare two runs at most; showing the first two of ${picked.length}.`);
  return maps.open(picked.slice(0, 2).map((p) => mapsRun(p.run)));
}

export function registerNotebookMaps(s: Services, maps: AttentionMapsApi): void {
  const messaging = vscode.notebooks.createRendererMessaging(RENDERER_ID);
  s.context.subscriptions.push(
    messaging.onDidReceiveMessage(({ editor, message }) => {
      const parsed = parseRendererMessage(message);
      if (!parsed.ok) {
        s.log.warn(`notebook renderer: ignored an invalid message: ${parsed.error}`);
        return;
      }
      void openNotebookMaps(s, maps, editor.notebook.uri, parsed.value.runNames).catch((err: unknown) => s.log.error(`attention maps from a notebook: ${err instanceof Error ? err.message : String(err)}`));
    }),
  );
}
