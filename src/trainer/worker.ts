// A training worker: one child process per run, driven over IPC by the experiment runner (or by the
// VS Code extension). It sends typed engine events back and stops cleanly (checkpoint first) on request,
// on SIGINT, SIGTERM or SIGHUP, and when its parent goes away (the IPC channel closes).
import { z } from 'zod';
import { WorkerCommandSchema, type EngineEvent } from '../protocol/events.js';
import { isInvalidInput, WORKER_INVALID_EXIT } from './invalidInput.js';
import type { ResolvedRunConfig } from './runStore.js';
import { trainRun } from './train.js';

export const WorkerJobSchema = z.object({
  type: z.literal('start'),
  runDir: z.string(),
  resume: z.boolean(),
  // The wasm threads of this run, resolved by the parent from compute.threads and the runs at once.
  threads: z.number().int().min(1).optional(),
  // The resolved config was written and validated by the parent; it travels as is.
  config: z.custom<ResolvedRunConfig>((v) => typeof v === 'object' && v !== null && 'runId' in v && 'experiment' in v),
});
export type WorkerJob = z.infer<typeof WorkerJobSchema>;

/** After its work, a worker that something still holds open exits anyway after this long. */
const EXIT_GRACE_MS = 2000;

/** Sends over IPC while the parent is there; a closed channel is not an error (the parent went away). */
function sendWhileConnected(event: EngineEvent): Promise<void> {
  return new Promise((resolve) => {
    if (typeof process.send !== 'function' || !process.connected) return resolve();
    try {
      process.send(event, undefined, {}, () => resolve());
    } catch {
      resolve();
    }
  });
}

export async function workerMain(): Promise<void> {
  // With the parent gone, its end of the pipes is closed: a late write must not kill the run.
  process.stdout.on('error', () => undefined);
  process.stderr.on('error', () => undefined);
  const send = (event: EngineEvent) => void sendWhileConnected(event);
  let stopRequested = false;
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.on(signal, () => {
      stopRequested = true;
    });
  }
  let started = false;
  const job = await new Promise<WorkerJob>((resolve, reject) => {
    process.on('disconnect', () => {
      // The parent vanished: save a checkpoint after the current step and stop.
      stopRequested = true;
      if (!started) reject(new Error('worker: the parent went away before sending a job'));
    });
    process.on('message', (raw: unknown) => {
      const cmd = WorkerCommandSchema.safeParse(raw);
      if (cmd.success && cmd.data.type === 'stop') {
        stopRequested = true;
        return;
      }
      const start = WorkerJobSchema.safeParse(raw);
      if (start.success) {
        started = true;
        resolve(start.data);
      } else reject(new Error(`worker: unexpected message ${JSON.stringify(raw).slice(0, 200)}`));
    });
  });
  try {
    const summary = await trainRun(
      { config: job.config, runDir: job.runDir, resume: job.resume, ...(job.threads !== undefined ? { threads: job.threads } : {}) },
      { emit: send, shouldStop: () => stopRequested },
    );
    await sendWhileConnected({ type: 'run-finished', runId: job.config.runId, status: summary.status, summary });
    process.exitCode = 0;
  } catch (err) {
    await sendWhileConnected({ type: 'log', runId: job.config.runId, level: 'error', message: err instanceof Error ? err.message : String(err) });
    process.exitCode = isInvalidInput(err) ? WORKER_INVALID_EXIT : 1;
  } finally {
    if (process.connected) process.disconnect?.();
    setTimeout(() => process.exit(), EXIT_GRACE_MS).unref();
  }
}
