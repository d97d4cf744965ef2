// One Attention Maps editor panel: its page (strict CSP, bundle from media/dist), every message from it
// validated, the slide list of each run sent on `ready`, and each slide read from its run's pack on
// request. Nothing is kept alive while hidden: the webview restores its own state when shown again.
import * as vscode from 'vscode';
import { attentionMapsHtml } from '../../attentionMaps/html.js';
import { mapRunMessage, slideMapMessage } from '../../attentionMaps/messages.js';
import { RunMaps } from '../../attentionMaps/runMaps.js';
import { ATTENTION_MAPS_PROTOCOL_VERSION, ATTENTION_MAPS_VIEW_TYPE, parseWebviewMessage, type HostMessage, type WebviewMessage } from '../../protocol/attentionMaps.js';
import { saveExport } from '../liveCharts/exportSave.js';
import type { Services } from '../services.js';
import { loadWebviewPage, receiveValidated } from '../webviewHost.js';

export { ATTENTION_MAPS_VIEW_TYPE };
const DEFAULT_TOP_K = 20;

export interface MapsRun {
  runId: string;
  title: string;
  dir: string;
}

export interface MapsPanelSnapshot {
  runIds: string[];
  ready: boolean;
  /** What the webview last reported drawing. */
  drawn: { slideId: string; kind: string; runs: { runId: string; patches: number }[] } | null;
  slidesSent: number;
  rejected: number;
}

export class MapsPanel implements vscode.Disposable {
  private ready = false;
  private drawn: MapsPanelSnapshot['drawn'] = null;
  private slidesSent = 0;
  private rejected = 0;
  private maps = new Map<string, RunMaps>();
  private readonly disposables: vscode.Disposable[] = [];

  constructor(
    readonly panel: vscode.WebviewPanel,
    private readonly s: Services,
    readonly runs: MapsRun[],
    onDispose: () => void,
  ) {
    loadWebviewPage(panel.webview, s.context.extensionUri, 'attentionMaps', attentionMapsHtml);
    this.disposables.push(
      panel.webview.onDidReceiveMessage((raw: unknown) => void this.receive(raw)),
      panel.onDidDispose(() => {
        this.dispose();
        onDispose();
      }),
    );
  }

  snapshot(): MapsPanelSnapshot {
    return { runIds: this.runs.map((r) => r.runId), ready: this.ready, drawn: this.drawn, slidesSent: this.slidesSent, rejected: this.rejected };
  }

  dispose(): void {
    this.disposables.forEach((d) => d.dispose());
    this.disposables.length = 0;
  }

  private post(message: HostMessage): void {
    void this.panel.webview.postMessage(message);
  }

  private receive(raw: unknown): Promise<void> {
    return receiveValidated(raw, {
      view: 'attention maps',
      parse: parseWebviewMessage,
      log: this.s.log,
      handle: (m) => this.handle(m),
      rejected: () => this.rejected++,
      notifyError: (text) => this.post({ type: 'notice', level: 'error', text }),
    });
  }

  private runMaps(run: MapsRun): RunMaps {
    let m = this.maps.get(run.runId);
    if (!m) {
      m = new RunMaps(run.dir);
      this.maps.set(run.runId, m);
    }
    return m;
  }

  private async handle(message: WebviewMessage): Promise<void> {
    switch (message.type) {
      case 'ready': {
        // Files may have changed since the panel opened (a run that still trains writes new epochs).
        this.maps = new Map();
        const runs = this.runs.map((r) => {
          try {
            return mapRunMessage(r.runId, r.title, this.runMaps(r));
          } catch (err) {
            return { runId: r.runId, title: r.title, kinds: [], problems: [err instanceof Error ? err.message : String(err)], truthNote: null };
          }
        });
        this.ready = true;
        this.post({ type: 'init', v: ATTENTION_MAPS_PROTOCOL_VERSION, runs, topK: DEFAULT_TOP_K });
        return;
      }
      case 'requestSlide': {
        const run = this.runs.find((r) => r.runId === message.runId);
        if (!run) return;
        try {
          const map = await this.runMaps(run).slide(message.kind, message.slideId);
          this.post({ type: 'slide', map: slideMapMessage(run.runId, message.kind, map) });
          this.slidesSent++;
        } catch (err) {
          this.post({ type: 'slideError', runId: run.runId, kind: message.kind, slideId: message.slideId, text: err instanceof Error ? err.message : String(err) });
        }
        return;
      }
      case 'drawn':
        this.drawn = { slideId: message.slideId, kind: message.kind, runs: message.runs };
        return;
      case 'saveCsv':
      case 'savePng': {
        const where = await saveExport(message);
        if (where) this.post({ type: 'notice', level: 'info', text: `Saved ${where}` });
        return;
      }
    }
  }
}

function webviewOptions(s: Services): vscode.WebviewOptions {
  return { enableScripts: true, localResourceRoots: [vscode.Uri.joinPath(s.context.extensionUri, 'media')] };
}

export function mapsTitle(runs: MapsRun[]): string {
  return runs.length === 2 ? `Attention: ${runs[0]?.title} | ${runs[1]?.title}` : `Attention: ${runs[0]?.title ?? ''}`;
}

export function openMapsPanel(s: Services, runs: MapsRun[], onDispose: () => void): MapsPanel {
  const panel = vscode.window.createWebviewPanel(ATTENTION_MAPS_VIEW_TYPE, mapsTitle(runs), vscode.ViewColumn.Active, webviewOptions(s));
  panel.iconPath = vscode.Uri.joinPath(s.context.extensionUri, 'media', 'aem.svg');
  return new MapsPanel(panel, s, runs, onDispose);
}

/** A panel VS Code brings back after a reload (registerWebviewPanelSerializer), bound to its runs again. */
export function restoreMapsPanel(s: Services, panel: vscode.WebviewPanel, runs: MapsRun[], onDispose: () => void): MapsPanel {
  panel.webview.options = webviewOptions(s);
  panel.iconPath = vscode.Uri.joinPath(s.context.extensionUri, 'media', 'aem.svg');
  panel.title = mapsTitle(runs);
  return new MapsPanel(panel, s, runs, onDispose);
}
