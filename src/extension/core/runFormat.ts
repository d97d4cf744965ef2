// Words and numbers the tree, the status bar and the notifications show for a run.
import type { SlurmView } from './clusterWatch.js';
import type { LiveRun } from './runManager.js';
import type { RunRecord, RunState } from './runScan.js';

export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '?';
  const s = Math.round(seconds);
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m ${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(m / 60)}h ${String(m % 60).padStart(2, '0')}m`;
}

const SHORT_KEYS: Record<string, string> = { 'aem.lambda': 'λ' };

/** "λ=0.1 · seed 2 · fold 0" */
export function runTitle(run: Pick<RunRecord, 'sweepValues' | 'seed' | 'fold'>): string {
  const sweep = Object.entries(run.sweepValues).map(([k, v]) => `${SHORT_KEYS[k] ?? k.split('.')[1] ?? k}=${v}`);
  return [...sweep, `seed ${run.seed}`, ...(run.fold !== undefined ? [`fold ${run.fold}`] : [])].join(' · ');
}

export function formatAuroc(v: number | null | undefined): string {
  return v === null || v === undefined ? 'n/a' : v.toFixed(3);
}

export function liveProgress(live: LiveRun): string {
  const done = live.epoch * live.itersPerEpoch + live.iter;
  const total = Math.max(1, live.epochs * live.itersPerEpoch);
  const percent = Math.min(100, Math.floor((100 * done) / total));
  const epoch = Math.min(live.epoch + 1, live.epochs);
  const eta = live.etaSeconds !== undefined ? ` · ETA ${formatDuration(live.etaSeconds)}` : '';
  return `${live.stopping ? 'stopping · ' : ''}epoch ${epoch}/${live.epochs} · ${percent}%${eta}`;
}

export const STATE_WORDS: Record<RunState, string> = {
  pending: 'not started',
  running: 'running',
  done: 'done',
  stopped: 'stopped',
  failed: 'failed',
  interrupted: 'interrupted',
};

/** What SLURM adds to a cluster run's line: "SLURM pending (Priority)", "on node1", "SLURM FAILED exit 1". */
export function slurmWords(view: SlurmView): string {
  if (view.state === null) return 'no longer in the SLURM queue';
  if (view.state === 'COMPLETED') return '';
  if (view.state === 'PENDING') return `SLURM pending${view.reason && view.reason !== 'None' ? ` (${view.reason})` : ''}`;
  if (view.state === 'RUNNING') return `on ${view.node ?? 'a node'}`;
  const exit = view.exitCode !== null ? ` exit ${view.exitCode}${view.exitSignal ? `:${view.exitSignal}` : ''}` : '';
  return `SLURM ${view.state}${exit}`;
}

export function runDescription(record: RunRecord, live: LiveRun | undefined, slurm?: SlurmView): string {
  const base = localDescription(record, live, slurm);
  // The engine writes its summary before its SLURM task exits: a finished run whose task is still RUNNING
  // is only exiting, and "on <node>" would outlive the run by a poll or more.
  const exiting = slurm?.state === 'RUNNING' && (record.state === 'done' || record.state === 'failed');
  const words = slurm && !exiting ? slurmWords(slurm) : '';
  return words ? `${base} · ${words}` : base;
}

function localDescription(record: RunRecord, live: LiveRun | undefined, slurm: SlurmView | undefined): string {
  if (live) return liveProgress(live);
  // A submitted run has no summary until its task starts: SLURM has it queued, or is starting it.
  if (record.state === 'pending' && slurm) return slurm.state === 'RUNNING' ? 'starting' : 'queued';
  const auroc = record.bestTestAuroc !== null ? ` · test AUROC ${formatAuroc(record.bestTestAuroc)}` : '';
  if (record.state === 'running') {
    const hb = record.heartbeat;
    return `running · epoch ${hb ? Math.min(hb.epoch + 1, record.epochs) : record.epochsDone}/${record.epochs}${auroc}`;
  }
  if (record.state === 'done') return `done${auroc}`;
  return `${STATE_WORDS[record.state]} · ${record.epochsDone}/${record.epochs} epochs${auroc}`;
}

export function runTooltip(record: RunRecord, slurm?: SlurmView): string {
  const lines = [
    `${record.runId}`,
    `state: ${STATE_WORDS[record.state]}`,
    `configuration: ${record.configLabel}, seed ${record.seed}${record.fold !== undefined ? `, fold ${record.fold}` : ''}`,
    `epochs: ${record.epochsDone}/${record.epochs}`,
    `best test AUROC: ${formatAuroc(record.bestTestAuroc)}${record.bestEpoch !== null ? ` (epoch ${record.bestEpoch + 1})` : ''}`,
    `folder: ${record.dir}`,
  ];
  if (record.state === 'interrupted') lines.push('its process is gone: Resume Run continues from the last checkpoint');
  if (record.error) lines.push('', record.error);
  if (slurm) lines.push('', ...slurmTooltip(slurm));
  return lines.join('\n');
}

/** For the status bar: "2 running · epoch 3/15 · ETA 4m 10s". */
export function statusText(runs: LiveRun[], queued: number, attached: number): string | undefined {
  const parts: string[] = [];
  const running = runs.length + attached;
  if (running > 0) parts.push(`${running} running`);
  if (runs.length === 1 && runs[0]) parts.push(`epoch ${Math.min(runs[0].epoch + 1, runs[0].epochs)}/${runs[0].epochs}`);
  const etas = runs.map((r) => r.etaSeconds).filter((e): e is number => e !== undefined);
  if (etas.length > 0) parts.push(`ETA ${formatDuration(Math.max(...etas))}`);
  if (queued > 0) parts.push(`${queued} queued`);
  return parts.length > 0 ? parts.join(' · ') : undefined;
}

function slurmTooltip(view: SlurmView): string[] {
  const lines = [`SLURM task ${view.task || '?'}: ${view.state ?? 'no longer known to SLURM (the run store tells what happened)'}${view.reason && view.reason !== 'None' ? ` (${view.reason})` : ''}`];
  if (view.node) lines.push(`node: ${view.node}`);
  if (view.restarts) lines.push(`restarts: ${view.restarts}`);
  if (view.exitCode !== null && view.state !== 'RUNNING' && view.state !== 'PENDING') lines.push(`exit code: ${view.exitCode}${view.exitSignal ? `, signal ${view.exitSignal}` : ''}`);
  if (view.outputTail.length > 0) lines.push('SLURM output, last lines (Show SLURM Output for all):', ...view.outputTail.slice(-8).map((l) => `  ${l}`));
  return lines;
}
