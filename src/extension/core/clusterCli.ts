// The extension's way to the cluster: it runs the engine's own cluster commands (aem-train submit,
// cancel, resubmit, queue with --json) on the workspace side (a login node over Remote-SSH) and reads
// their answer. No vscode import, so it is tested against the real engine.
import { execFile } from 'node:child_process';

export interface ClusterCliAnswer {
  ok: boolean;
  /** The engine's messages (info and warnings), and on failure its error, as it words them. */
  messages: string[];
  error?: string;
  /** submit / resubmit: the job array and the runs it holds. */
  submitted?: { jobId: string | null; script: string; scriptText: string; runDirs: string[] };
  /** queue: the engine's JSON answer. */
  queue?: unknown;
}

export interface EngineCommand {
  execPath: string;
  enginePath: string;
  env: NodeJS.ProcessEnv;
  cwd?: string;
}

/** Reads the JSON lines of `aem-train <cluster command> --json`. */
export function readClusterAnswer(stdout: string, exitCode: number, stderr = ''): ClusterCliAnswer {
  const answer: ClusterCliAnswer = { ok: exitCode === 0, messages: [] };
  for (const line of stdout.split('\n')) {
    if (!line.trim().startsWith('{')) continue;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch {
      continue;
    }
    if (typeof value !== 'object' || value === null) continue;
    const v = value as Record<string, unknown>;
    if (v.type === 'log' && typeof v.message === 'string') {
      if (v.level === 'error') answer.error = v.message;
      else answer.messages.push(v.message);
    } else if (v.type === 'submitted') {
      answer.submitted = { jobId: typeof v.jobId === 'string' ? v.jobId : null, script: String(v.script), scriptText: String(v.scriptText), runDirs: Array.isArray(v.runDirs) ? v.runDirs.map(String) : [] };
    } else if ('runs' in v && 'accounting' in v) {
      answer.queue = v;
    }
  }
  if (!answer.ok && !answer.error) answer.error = stderr.replace(/^aem-train: /gm, '').trim() || `the engine exited with ${exitCode}`;
  return answer;
}

export function runClusterCli(engine: EngineCommand, args: string[]): Promise<ClusterCliAnswer> {
  return new Promise((resolve) => {
    execFile(engine.execPath, [engine.enginePath, ...args, '--json'], { env: engine.env, cwd: engine.cwd, maxBuffer: 32 * 1024 * 1024, timeout: 600_000 }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? ((err as { code: number }).code) : 1) : 0;
      const answer = readClusterAnswer(stdout, code, stderr);
      if (err && (err as NodeJS.ErrnoException).code === 'ENOENT') answer.error = `could not start the engine (${engine.execPath}): not found`;
      resolve(answer);
    });
  });
}
