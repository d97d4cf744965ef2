// The status bar item: active runs, the current epoch and the ETA; hidden when nothing trains.
import * as vscode from 'vscode';
import type { RunManager } from './core/runManager.js';
import { statusText } from './core/runFormat.js';
import type { RunWatcher } from './runWatcher.js';

export class RunStatusBar implements vscode.Disposable {
  private readonly item = vscode.window.createStatusBarItem('aemStudio.status', vscode.StatusBarAlignment.Left, 10);

  constructor(
    private readonly manager: RunManager,
    private readonly watcher: RunWatcher,
  ) {
    this.item.name = 'AEM Studio runs';
    this.item.command = 'workbench.view.extension.aemStudio';
  }

  update(): void {
    const queued = this.manager.activeJobs.filter((j) => j.status === 'queued').length;
    const text = statusText(this.manager.runs, queued, this.watcher.attachedCount);
    const starting = this.manager.activeJobs.filter((j) => j.status !== 'queued' && j.runIds.length === 0).length;
    if (!text && starting === 0) {
      this.item.hide();
      return;
    }
    this.item.text = `$(beaker) AEM: ${text ?? 'preparing data'}`;
    this.item.tooltip = [
      ...this.manager.activeJobs.map((j) => `${j.label}: ${j.status}`),
      ...(this.watcher.attachedCount > 0 ? [`${this.watcher.attachedCount} run(s) trained by engines of another window or session`] : []),
    ].join('\n');
    this.item.show();
  }

  dispose(): void {
    this.item.dispose();
  }
}
