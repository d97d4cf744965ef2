// Words and numbers the tree, the status bar and the notifications show for a run.
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

export function runDescription(record: RunRecord, live: LiveRun | undefined): string {
  if (live) return liveProgress(live);
  const auroc = record.bestTestAuroc !== null ? ` · test AUROC ${formatAuroc(record.bestTestAuroc)}` : '';
  if (record.state === 'running') {
    const hb = record.heartbeat;
    return `running · epoch ${hb ? Math.min(hb.epoch + 1, record.epochs) : record.epochsDone}/${record.epochs}${auroc}`;
  }
  if (record.state === 'done') return `done${auroc}`;
  return `${STATE_WORDS[record.state]} · ${record.epochsDone}/${record.epochs} epochs${auroc}`;
}

export function runTooltip(record: RunRecord): string {
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
