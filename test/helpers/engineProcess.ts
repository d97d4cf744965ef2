// The bundled engine (dist/engine.mjs) as a user runs it, for the fault tests: a run to the end with a
// deadline, or a started process to signal, whose --json events can be waited on.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseEngineEventLine, type EngineEvent } from '../../src/protocol/events.js';
import { projectRoot } from './paths.js';

export const engine = path.join(projectRoot, 'dist', 'engine.mjs');

export interface EngineResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** Wall time until the process exited. */
  ms: number;
  /** True when it was still running at the deadline (and was killed). */
  timedOut: boolean;
}

export interface StartedEngine {
  child: ChildProcess;
  events: EngineEvent[];
  /** Resolves with the first event that matches (rejects when the process exits first). */
  waitForEvent(match: (e: EngineEvent) => boolean, timeoutMs?: number): Promise<EngineEvent>;
  exited: Promise<EngineResult>;
}

export function startEngine(args: string[], cwd: string, deadlineMs = 60_000): StartedEngine {
  const started = Date.now();
  const child = spawn(process.execPath, [engine, ...args], { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  const events: EngineEvent[] = [];
  const waiters: { match: (e: EngineEvent) => boolean; resolve: (e: EngineEvent) => void }[] = [];
  let stdout = '';
  let stderr = '';
  let partial = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    stdout += chunk.toString('utf8');
    const lines = (partial + chunk.toString('utf8')).split('\n');
    partial = lines.pop() ?? '';
    for (const line of lines) {
      const parsed = parseEngineEventLine(line);
      if (!parsed.ok) continue;
      events.push(parsed.value);
      for (const w of [...waiters]) {
        if (!w.match(parsed.value)) continue;
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve(parsed.value);
      }
    }
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString('utf8');
  });
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    child.kill('SIGKILL');
  }, deadlineMs);
  const exited = new Promise<EngineResult>((resolve) => {
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr, ms: Date.now() - started, timedOut });
    });
  });
  const waitForEvent = (match: (e: EngineEvent) => boolean, timeoutMs = 60_000) =>
    new Promise<EngineEvent>((resolve, reject) => {
      const seen = events.find(match);
      if (seen) return resolve(seen);
      const t = setTimeout(() => reject(new Error(`no such event within ${timeoutMs} ms; stderr:\n${stderr}`)), timeoutMs);
      waiters.push({ match, resolve: (e) => (clearTimeout(t), resolve(e)) });
      void exited.then((r) => (clearTimeout(t), reject(new Error(`the engine exited (${r.code ?? r.signal}) first; stderr:\n${r.stderr}`))));
    });
  return { child, events, waitForEvent, exited };
}

/** Runs the engine to its end, killed at the deadline. */
export function runEngine(args: string[], cwd: string, deadlineMs = 60_000): Promise<EngineResult> {
  return startEngine(args, cwd, deadlineMs).exited;
}

/** A tiny synthetic experiment (cpu, cached dataset under `dir`/.aem/datasets); returns its file. */
export function tinyExperiment(dir: string, name: string, extra: { epochs?: number; seeds?: number[]; hidden?: number; output?: string; lr?: number; sweep?: Record<string, number[]>; cluster?: unknown } = {}): string {
  mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `${name}.aem.json`);
  writeFileSync(
    file,
    JSON.stringify({
      name,
      data: { format: 'synthetic', synthetic: { preset: 'tiny', seed: 3 } },
      model: { attention: 16, ...(extra.hidden ? { hidden: extra.hidden } : {}) },
      train: { epochs: extra.epochs ?? 2, lr: extra.lr ?? 1e-3 },
      seeds: extra.seeds ?? [0],
      ...(extra.sweep ? { sweep: extra.sweep } : {}),
      compute: { backend: 'cpu', ...(extra.cluster ? { cluster: extra.cluster } : {}) },
      output: extra.output ?? 'runs',
    }),
  );
  return file;
}

export function readJson<T>(file: string): T {
  return JSON.parse(readFileSync(file, 'utf8')) as T;
}

/** Polls until `check` holds (or throws after the timeout). */
export async function waitUntil(check: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
