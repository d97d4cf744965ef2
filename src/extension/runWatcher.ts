// Re-attachment: every few seconds the run store is read again, runs that a live engine of another
// window (or of a previous session of this one) trains are followed through their metrics.jsonl, and a
// run whose process died turns "interrupted" in the tree.
import path from 'node:path';
import * as vscode from 'vscode';
import { slurmIsLive } from './core/clusterWatch.js';
import { MetricsFollower } from './core/metricsFollower.js';
import type { RunRecord } from './core/runScan.js';
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
    /** Whether the runs view is on screen: SLURM is asked about finished-looking runs only then. */
    private readonly viewVisible: () => boolean = () => true,
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
    const askSlurm: string[] = [];
    try {
      for (const experiment of await this.tree.experiments()) {
        const runs = this.tree.runsOf(experiment);
        if (experiment.file && this.slurmWorthAsking(runs.map((r) => r.record))) askSlurm.push(experiment.file);
        for (const { record } of runs) {
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
    let slurmChanged = false;
    try {
      slurmChanged = (await this.tree.cluster?.poll(askSlurm)) ?? false;
    } catch (err) {
      this.log.warn(`asking SLURM about cluster runs failed: ${err instanceof Error ? err.message : String(err)}`);
    }
    const differs = slurmChanged || seen.size !== this.lastSeen.size || [...seen].some(([k, v]) => this.lastSeen.get(k) !== v);
    this.lastSeen = seen;
    if (differs) {
      this.tree.refresh();
      this.changed.fire();
    }
  }

  /**
   * Cluster runs are asked about while they are live (queued, running, requeued), and, while the view is
   * on screen, until SLURM has said its last word on each.
   */
  private slurmWorthAsking(records: RunRecord[]): boolean {
    const cluster = records.filter((r) => r.cluster);
    if (cluster.some((r) => r.state === 'pending' || r.state === 'running' || slurmIsLive(this.tree.slurmOf(r)))) return true;
    return this.viewVisible() && cluster.some((r) => r.state !== 'done' && this.tree.slurmOf(r) === undefined);
  }

  dispose(): void {
    clearInterval(this.timer);
    this.changed.dispose();
  }
}
