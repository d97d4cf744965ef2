// Re-attachment: every few seconds the run store is read again, runs that a live engine of another
// window (or of a previous session of this one) trains are followed through their metrics.jsonl, and a
// run whose process died turns "interrupted" in the tree.
import path from 'node:path';
import * as vscode from 'vscode';
import { MetricsFollower } from './core/metricsFollower.js';
import type { RunManager } from './core/runManager.js';
import { formatAuroc } from './core/runFormat.js';
import type { RunsTreeProvider } from './runsTree.js';

const POLL_MS = 4000;

export class RunWatcher implements vscode.Disposable {
  private readonly followers = new Map<string, MetricsFollower>();
  private lastSeen = new Map<string, string>();
  private timer: NodeJS.Timeout | undefined;
  private readonly changed = new vscode.EventEmitter<void>();
  readonly onDidChange = this.changed.event;

  constructor(
    private readonly tree: RunsTreeProvider,
    private readonly manager: RunManager,
    private readonly log: vscode.LogOutputChannel,
  ) {}

  /** Runs trained by engines this window did not start. */
  get attachedCount(): number {
    return this.followers.size;
  }

  attachedRunDirs(): string[] {
    return [...this.followers.keys()];
  }

  start(): void {
    void this.poll();
    this.timer = setInterval(() => void this.poll(), POLL_MS);
  }

  async poll(): Promise<void> {
    const seen = new Map<string, string>();
    const attached = new Set<string>();
    try {
      for (const experiment of await this.tree.experiments()) {
        for (const { record } of this.tree.runsOf(experiment)) {
          seen.set(record.dir, `${record.state}:${record.epochsDone}:${record.heartbeat?.epoch ?? ''}`);
          if (record.state !== 'running' || this.manager.ownsRunDir(record.dir)) continue;
          attached.add(record.dir);
          let follower = this.followers.get(record.dir);
          if (!follower) {
            follower = new MetricsFollower(record.dir);
            this.followers.set(record.dir, follower);
            const already = follower.poll().filter((l) => l.split === 'test').length;
            this.log.info(`[${record.runId}] re-attached to a run trained by another process (pid ${record.heartbeat?.pid ?? '?'}): ${already} epoch${already === 1 ? '' : 's'} done`);
            continue;
          }
          for (const line of follower.poll()) {
            if (line.split === 'val') this.log.info(`[${record.runId}] epoch ${line.epoch + 1}: val AUROC ${formatAuroc(line.auroc)}, F1 ${line.f1.toFixed(3)}`);
          }
        }
      }
    } catch (err) {
      this.log.warn(`reading the run store failed: ${err instanceof Error ? err.message : String(err)}`);
    }
    for (const dir of [...this.followers.keys()]) {
      if (attached.has(dir)) continue;
      this.followers.delete(dir);
      this.log.info(`[${path.basename(dir)}] no longer trained by another process: ${seen.get(dir)?.split(':')[0] ?? 'gone'}`);
    }
    const differs = seen.size !== this.lastSeen.size || [...seen].some(([k, v]) => this.lastSeen.get(k) !== v);
    this.lastSeen = seen;
    if (differs) {
      this.tree.refresh();
      this.changed.fire();
    }
  }

  dispose(): void {
    clearInterval(this.timer);
    this.changed.dispose();
  }
}
