// A training worker: one child process per run, driven over IPC by the experiment runner (or by the
// VS Code extension). It sends typed engine events back and stops cleanly on request or on SIGINT.
import { z } from 'zod';
import { WorkerCommandSchema, type EngineEvent } from '../protocol/events.js';
import type { ResolvedRunConfig } from './runStore.js';
import { trainRun } from './train.js';

export const WorkerJobSchema = z.object({
  type: z.literal('start'),
  runDir: z.string(),
  resume: z.boolean(),
  // The resolved config was written and validated by the parent; it travels as is.
  config: z.custom<ResolvedRunConfig>((v) => typeof v === 'object' && v !== null && 'runId' in v && 'experiment' in v),
});
export type WorkerJob = z.infer<typeof WorkerJobSchema>;

export async function workerMain(): Promise<void> {
  const send = (event: EngineEvent) => process.send?.(event);
  let stopRequested = false;
  process.on('SIGINT', () => {
    stopRequested = true;
  });
  process.on('SIGTERM', () => {
    stopRequested = true;
  });
  const job = await new Promise<WorkerJob>((resolve, reject) => {
    process.on('message', (raw: unknown) => {
      const cmd = WorkerCommandSchema.safeParse(raw);
      if (cmd.success && cmd.data.type === 'stop') {
        stopRequested = true;
        return;
      }
      const start = WorkerJobSchema.safeParse(raw);
      if (start.success) resolve(start.data);
      else reject(new Error(`worker: unexpected message ${JSON.stringify(raw).slice(0, 200)}`));
    });
  });
  try {
    const summary = await trainRun(
      { config: job.config, runDir: job.runDir, resume: job.resume },
      { emit: send, shouldStop: () => stopRequested },
    );
    send({ type: 'run-finished', runId: job.config.runId, status: summary.status, summary });
    process.exitCode = 0;
  } catch (err) {
    send({ type: 'log', runId: job.config.runId, level: 'error', message: err instanceof Error ? err.message : String(err) });
    process.exitCode = 1;
  } finally {
    process.disconnect?.();
  }
}
