// The Live Charts webview view (aemStudio.liveCharts): its page (strict CSP, bundle from media/dist),
// every message from it validated before use, and the feed of run data it is sent. Nothing runs while
// the view is closed; when it opens again the webview restores its own state and asks for its runs.
import * as vscode from 'vscode';
import { liveChartsHtml } from '../../liveCharts/html.js';
import { LIVE_CHARTS_PROTOCOL_VERSION, parseWebviewMessage, type HostMessage, type WebviewMessage } from '../../protocol/liveCharts.js';
import type { RunRecord } from '../core/runScan.js';
import type { Services } from '../services.js';
import { loadWebviewPage, receiveValidated } from '../webviewHost.js';
import { readSettings } from '../settings.js';
import { saveExport } from './exportSave.js';
import { RunFeed } from './runFeed.js';

export const LIVE_CHARTS_VIEW = 'aemStudio.liveCharts';
const SELECTION_KEY = 'aemStudio.liveCharts.selected';
const POLL_MS = 1000;
/** The run list is re-read every this many polls (and whenever the run watcher sees a change). */
const LIST_EVERY = 3;

export interface LiveChartsSnapshot {
  /** The webview exists and has said it is ready. */
  ready: boolean;
  visible: boolean;
  selected: string[];
  /** What was sent per shown run. */
  runs: { runId: string; state: string; epochs: number; bestEpoch: number | null }[];
  /** What the webview last reported drawing, per run. */
  drawn: { runId: string; epochs: number }[];
  /** Messages from the webview that failed validation. */
  rejected: number;
}

export class LiveChartsViewProvider implements vscode.WebviewViewProvider, vscode.Disposable {
  readonly feed: RunFeed;
  private view: vscode.WebviewView | undefined;
  private ready = false;
  private pendingShow: string[] | undefined;
  private timer: NodeJS.Timeout | undefined;
  private ticks = 0;
  private drawn: LiveChartsSnapshot['drawn'] = [];
  private rejected = 0;
  private readonly disposables: vscode.Disposable[] = [];

  constructor(private readonly s: Services) {
    this.feed = new RunFeed(s.manager, (m) => this.post(m));
    const unsubscribe = s.manager.onEvent((e) => {
      this.feed.onManagerEvent(e);
      if (e.type === 'engine' && (e.event.type === 'run-started' || e.event.type === 'run-finished')) void this.refreshRuns();
    });
    this.disposables.push({ dispose: unsubscribe }, s.watcher.onDidChange(() => void this.refreshRuns()));
  }

  resolveWebviewView(view: vscode.WebviewView): void {
    this.view = view;
    this.ready = false;
    loadWebviewPage(view.webview, this.s.context.extensionUri, 'liveCharts', liveChartsHtml);
    const subscriptions = [
      view.webview.onDidReceiveMessage((raw: unknown) => void this.receive(raw)),
      view.onDidChangeVisibility(() => {
        // Whatever was sent while hidden may be lost: the shown runs are sent whole again.
        if (view.visible && this.ready) this.feed.select(this.feed.selected);
        this.schedule();
      }),
    ];
    view.onDidDispose(() => {
      subscriptions.forEach((d) => d.dispose());
      if (this.view === view) {
        this.view = undefined;
        this.ready = false;
        this.schedule();
      }
    });
  }

  /** Shows these runs, revealing the view (opening it first if needed). */
  async show(runIds: string[]): Promise<void> {
    if (this.view && this.ready) this.post({ type: 'show', runIds });
    else this.pendingShow = runIds;
    await vscode.commands.executeCommand(`${LIVE_CHARTS_VIEW}.focus`);
    this.view?.show?.(true);
  }

  /** Re-reads the runs of the workspace's experiments. */
  async refreshRuns(): Promise<void> {
    const records: RunRecord[] = [];
    for (const experiment of await this.s.tree.experiments()) for (const node of this.s.tree.runsOf(experiment)) records.push(node.record);
    this.feed.setAvailable(records);
  }

  snapshot(): LiveChartsSnapshot {
    return { ready: this.ready, visible: this.view?.visible ?? false, selected: this.feed.selected, runs: this.feed.describe(), drawn: this.drawn, rejected: this.rejected };
  }

  dispose(): void {
    clearInterval(this.timer);
    this.disposables.forEach((d) => d.dispose());
  }

  private post(message: HostMessage): void {
    if (this.view?.visible && this.ready) void this.view.webview.postMessage(message);
  }

  private receive(raw: unknown): Promise<void> {
    return receiveValidated(raw, {
      view: 'live charts',
      parse: parseWebviewMessage,
      log: this.s.log,
      handle: (m) => this.handle(m),
      rejected: () => this.rejected++,
      notifyError: (text) => this.post({ type: 'notice', level: 'error', text }),
    });
  }

  private async handle(message: WebviewMessage): Promise<void> {
    switch (message.type) {
      case 'ready': {
        await this.refreshRuns();
        this.ready = true;
        this.post({ type: 'init', v: LIVE_CHARTS_PROTOCOL_VERSION, smoothing: readSettings().chartSmoothing, runs: this.feed.runInfos() });
        const remembered = this.s.context.workspaceState.get<string[]>(SELECTION_KEY, []);
        const pending = this.pendingShow;
        this.pendingShow = undefined;
        if (pending) this.post({ type: 'show', runIds: pending });
        else if (message.selected.length > 0) this.feed.select(message.selected);
        else {
          const fallback = remembered.filter((id) => this.feed.record(id));
          this.post({ type: 'show', runIds: fallback.length > 0 ? fallback : this.feed.defaultSelection() });
        }
        this.schedule();
        return;
      }
      case 'select':
        this.feed.select(message.runIds);
        await this.s.context.workspaceState.update(SELECTION_KEY, message.runIds);
        this.schedule();
        return;
      case 'drawn':
        this.drawn = message.runs;
        return;
      case 'saveCsv':
      case 'savePng': {
        const where = await saveExport(message);
        if (where) this.post({ type: 'notice', level: 'info', text: `Saved ${where}` });
        return;
      }
    }
  }

  /** Polls the shown runs' files while the view is visible. */
  private schedule(): void {
    const wanted = this.view?.visible === true && this.ready;
    if (wanted && !this.timer) {
      this.timer = setInterval(() => this.tick(), POLL_MS);
    } else if (!wanted && this.timer) {
      clearInterval(this.timer);
      this.timer = undefined;
    }
  }

  private tick(): void {
    try {
      this.feed.poll();
      if (++this.ticks % LIST_EVERY === 0) void this.refreshRuns();
    } catch (err) {
      this.s.log.warn(`live charts: reading runs failed: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
}
