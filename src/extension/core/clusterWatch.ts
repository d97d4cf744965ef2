// What only the scheduler knows about cluster runs, for the tree: pending with its reason, running on
// which node, failed with the exit code and the tail of the task's output. It asks the engine
// (`aem-train queue <file> --json`, which runs squeue / scontrol / sacct on the workspace side) a few
// seconds apart, one experiment at a time, and only while something is worth asking about.
import { z } from 'zod';
import type { ClusterCliAnswer } from './clusterCli.js';

const SlurmTaskSchema = z.object({
  jobId: z.string(),
  state: z.string(),
  reason: z.string().nullable(),
  node: z.string().nullable(),
  exitCode: z.number().nullable(),
  exitSignal: z.number().nullable(),
  restarts: z.number().nullable(),
});

const QueueAnswerSchema = z.object({
  accounting: z.boolean(),
  runs: z.array(z.object({ runDir: z.string(), slurm: SlurmTaskSchema.nullable(), outputTail: z.array(z.string()) })),
});

export interface SlurmView {
  /** "<array job>_<index>". */
  task: string;
  /** SLURM's word (PENDING, RUNNING, FAILED, ...), or null when SLURM no longer remembers the task. */
  state: string | null;
  reason: string | null;
  node: string | null;
  exitCode: number | null;
  exitSignal: number | null;
  restarts: number | null;
  outputTail: string[];
}

/** The engine's `queue --json` answer, by run folder; a malformed answer is an error, not an empty queue. */
export function parseQueueAnswer(value: unknown): Map<string, SlurmView> {
  const parsed = QueueAnswerSchema.safeParse(value);
  if (!parsed.success) throw new Error(`the engine's queue answer is malformed: ${parsed.error.issues[0]?.message ?? 'unknown'}`);
  const views = new Map<string, SlurmView>();
  for (const run of parsed.data.runs) {
    const s = run.slurm;
    views.set(run.runDir, {
      task: s?.jobId ?? '',
      state: s?.state ?? null,
      reason: s?.reason ?? null,
      node: s?.node ?? null,
      exitCode: s?.exitCode ?? null,
      exitSignal: s?.exitSignal ?? null,
      restarts: s?.restarts ?? null,
      outputTail: run.outputTail,
    });
  }
  return views;
}

/** SLURM states after which the task will not run again by itself. */
const FINAL_STATES = new Set(['COMPLETED', 'FAILED', 'CANCELLED', 'TIMEOUT', 'OUT_OF_MEMORY', 'NODE_FAIL', 'BOOT_FAIL', 'DEADLINE']);

/** Is the task still the scheduler's business (queued, running, requeued)? */
export function slurmIsLive(view: SlurmView | undefined): boolean {
  return view !== undefined && view.state !== null && !FINAL_STATES.has(view.state);
}

export type QueueQuery = (experimentFile: string) => Promise<ClusterCliAnswer>;

export class ClusterWatch {
  private readonly views = new Map<string, SlurmView>();
  private readonly problems = new Map<string, string>();
  private polling = false;

  constructor(private readonly query: QueueQuery) {}

  viewOf(runDir: string): SlurmView | undefined {
    return this.views.get(runDir);
  }

  /** Why the last query of an experiment failed (sbatch not on PATH, ...), if it did. */
  problemOf(experimentFile: string): string | undefined {
    return this.problems.get(experimentFile);
  }

  /**
   * Asks about each experiment file; true when anything the tree shows changed. A poll still running
   * when the next is due is not doubled.
   */
  async poll(experimentFiles: string[]): Promise<boolean> {
    if (this.polling || experimentFiles.length === 0) return false;
    this.polling = true;
    let changed = false;
    try {
      for (const file of experimentFiles) {
        const answer = await this.query(file);
        if (!answer.ok || answer.queue === undefined) {
          const problem = answer.error ?? 'the engine gave no queue answer';
          changed ||= this.problems.get(file) !== problem;
          this.problems.set(file, problem);
          continue;
        }
        changed ||= this.problems.delete(file);
        for (const [dir, view] of parseQueueAnswer(answer.queue)) {
          changed ||= JSON.stringify(this.views.get(dir)) !== JSON.stringify(view);
          this.views.set(dir, view);
        }
      }
    } finally {
      this.polling = false;
    }
    return changed;
  }
}
