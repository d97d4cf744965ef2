// Parsers of what SLURM's commands print (22.05): squeue with a fixed format, `scontrol show job`, and
// sacct --parsable2. Pure functions of the text, so they are tested on recorded outputs.

/** The squeue format aem-train asks for (with -h -r): array job id, task id, job id, state, reason, nodes, elapsed, limit. */
export const SQUEUE_FORMAT = '%F|%K|%i|%T|%r|%N|%M|%l';

/** What SLURM says about one job or array task. */
export interface SlurmTaskState {
  /** "<array job id>_<index>" for an array task, else the job id. */
  jobId: string;
  arrayJobId: string;
  arrayIndex: number | null;
  /** PENDING, RUNNING, COMPLETED, FAILED, CANCELLED, TIMEOUT, PREEMPTED, REQUEUED, ... */
  state: string;
  /** Why it waits (Priority, Resources, JobArrayTaskLimit, ...), or null. */
  reason: string | null;
  node: string | null;
  /** The exit code of the batch script ("3:0": code 3, signal 0), when SLURM knows it. */
  exitCode: number | null;
  exitSignal: number | null;
  restarts: number | null;
  elapsed: string | null;
  timeLimit: string | null;
  outputFile: string | null;
}

const none = (v: string | undefined): string | null => (v === undefined || v === '' || v === '(null)' || v === 'None' || v === 'N/A' ? null : v);

function index(v: string | undefined): number | null {
  return v !== undefined && /^\d+$/.test(v) ? Number(v) : null;
}

function base(arrayJobId: string, arrayIndex: number | null): Pick<SlurmTaskState, 'jobId' | 'arrayJobId' | 'arrayIndex'> {
  return { jobId: arrayIndex === null ? arrayJobId : `${arrayJobId}_${arrayIndex}`, arrayJobId, arrayIndex };
}

/** Parses `squeue -h -r -o SQUEUE_FORMAT`: one line per job or array task. */
export function parseSqueue(text: string): SlurmTaskState[] {
  const tasks: SlurmTaskState[] = [];
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    const [arrayJobId, taskId, , state, reason, node, elapsed, limit] = line.split('|');
    if (!arrayJobId || !state) continue;
    tasks.push({
      ...base(arrayJobId.trim(), index(taskId)),
      state: state.trim(),
      reason: none(reason),
      node: none(node),
      exitCode: null,
      exitSignal: null,
      restarts: null,
      elapsed: none(elapsed),
      timeLimit: none(limit),
      outputFile: null,
    });
  }
  return tasks;
}

/** Splits one `scontrol show job` record into its Key=Value fields (a value may hold spaces). */
export function scontrolFields(record: string): Map<string, string> {
  const fields = new Map<string, string>();
  let last: string | undefined;
  for (const token of record.split(/\s+/).filter(Boolean)) {
    const m = /^([A-Za-z][A-Za-z0-9/:_]*)=(.*)$/.exec(token);
    if (m) {
      last = m[1] as string;
      fields.set(last, m[2] as string);
    } else if (last !== undefined) {
      fields.set(last, `${fields.get(last) ?? ''} ${token}`);
    }
  }
  return fields;
}

function exitOf(v: string | undefined): { exitCode: number | null; exitSignal: number | null } {
  const m = v ? /^(\d+):(\d+)$/.exec(v) : null;
  return m ? { exitCode: Number(m[1]), exitSignal: Number(m[2]) } : { exitCode: null, exitSignal: null };
}

/** Parses `scontrol show job <id>`: one record per job or array task (records are separated by blank lines). */
export function parseScontrolShowJob(text: string): SlurmTaskState[] {
  const tasks: SlurmTaskState[] = [];
  for (const record of text.split(/\n\s*\n/)) {
    const f = scontrolFields(record);
    const jobId = f.get('JobId');
    if (!jobId) continue;
    const arrayJobId = f.get('ArrayJobId') ?? jobId;
    // A pending array remainder reads ArrayTaskId=2-3%2: it stands for several tasks, none by itself.
    const taskText = f.get('ArrayTaskId');
    const taskIds = taskText ? expandTaskIds(taskText) : [null];
    const state = f.get('JobState') ?? 'UNKNOWN';
    for (const arrayIndex of taskIds) {
      const output = none(f.get('StdOut'));
      tasks.push({
        ...base(arrayJobId, arrayIndex),
        state,
        reason: none(f.get('Reason')),
        node: state === 'PENDING' ? null : none(f.get('NodeList')),
        ...exitOf(f.get('ExitCode')),
        restarts: index(f.get('Restarts')),
        elapsed: none(f.get('RunTime')),
        timeLimit: none(f.get('TimeLimit')),
        // SLURM fills in %a of a pending remainder with 4294967294 (NO_VAL): no file for it yet.
        outputFile: taskIds.length === 1 ? output : null,
      });
    }
  }
  return tasks;
}

/** "2-3%2" or "1,4-5" to [2, 3] or [1, 4, 5]. */
export function expandTaskIds(text: string): number[] {
  const ids: number[] = [];
  for (const part of text.replace(/%\d+$/, '').split(',')) {
    const m = /^(\d+)(?:-(\d+))?(?::(\d+))?$/.exec(part.trim());
    if (!m) continue;
    const from = Number(m[1]);
    const to = m[2] !== undefined ? Number(m[2]) : from;
    const step = m[3] !== undefined ? Number(m[3]) : 1;
    for (let i = from; i <= to; i += step) ids.push(i);
  }
  return ids;
}

/** The sacct fields aem-train asks for, with -n -P (parsable2, no header). */
export const SACCT_FORMAT = 'JobID,State,ExitCode,NodeList,Reason,Elapsed,Timelimit';

export type SacctResult = { available: true; tasks: SlurmTaskState[] } | { available: false; message: string };

/** Parses sacct's output, or recognises that the cluster keeps no accounting (or hides it). */
export function parseSacct(text: string, exitStatus = 0): SacctResult {
  if (exitStatus !== 0 || /accounting storage is disabled/i.test(text)) return { available: false, message: text.trim() || `sacct exited with ${exitStatus}` };
  const tasks: SlurmTaskState[] = [];
  for (const line of text.split('\n')) {
    const [id, state, exit, node, reason, elapsed, limit] = line.split('|');
    // Steps (12_3.batch, 12_3.extern) repeat their task: the allocation line is the one to read.
    if (!id || !state || id.includes('.')) continue;
    const m = /^(\d+)(?:_(\d+))?$/.exec(id.trim());
    if (!m) continue;
    tasks.push({
      ...base(m[1] as string, index(m[2])),
      // "CANCELLED by 0" is CANCELLED.
      state: state.split(' ')[0] as string,
      reason: none(reason),
      node: none(node === 'None assigned' ? undefined : node),
      ...exitOf(exit),
      restarts: null,
      elapsed: none(elapsed),
      timeLimit: none(limit),
      outputFile: null,
    });
  }
  return { available: true, tasks };
}

/** Joins what each source says, the later sources filling what the earlier ones do not know. */
export function mergeTaskStates(...sources: SlurmTaskState[][]): Map<string, SlurmTaskState> {
  const merged = new Map<string, SlurmTaskState>();
  for (const source of sources) {
    for (const task of source) {
      const before = merged.get(task.jobId);
      if (!before) {
        merged.set(task.jobId, task);
        continue;
      }
      const next = { ...before };
      for (const [k, v] of Object.entries(task) as [keyof SlurmTaskState, unknown][]) if ((next[k] === null || next[k] === undefined) && v !== null) (next as Record<string, unknown>)[k] = v;
      merged.set(task.jobId, next);
    }
  }
  return merged;
}
