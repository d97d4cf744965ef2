// run.lock in a run folder: whoever trains (or resumes) a run holds it, so that two windows, two
// `aem-train --resume`s, or a resume while the run still trains never train one run twice. It names the
// engine's pid and host, so the lock stays valid while the engine outlives the window that started it,
// and goes stale when it dies. The VS Code extension and the engine (the CLI) share this module.
import { closeSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { z } from 'zod';
import { heartbeatIsLive, isPidAlive, readHeartbeat, readJsonFile, type PidProbe } from './liveness.js';

export const LOCK_FILE = 'run.lock';
/** Owner of a lock the engine (aem-train) took itself: `aem-train-<pid>`. */
export const ENGINE_LOCK_OWNER_PREFIX = 'aem-train-';
/** A lock taken by a window that has not yet forked its engine is trusted this long. */
const UNFORKED_LOCK_MS = 60_000;

const RunLockSchema = z.object({
  owner: z.string(),
  hostPid: z.number().int(),
  enginePid: z.number().int().optional(),
  /** The machine of the holder: a pid can only be probed on its own machine. */
  host: z.string().optional(),
  at: z.string(),
});
export type RunLock = z.infer<typeof RunLockSchema>;

function describeHolder(holder: RunLock): string {
  const pid = holder.enginePid ?? holder.hostPid;
  const starting = holder.enginePid === undefined ? ' (its engine is starting)' : '';
  return `pid ${pid}${holder.host ? ` on host ${holder.host}` : ''}${starting}, since ${holder.at}`;
}

export class RunLockedError extends Error {
  constructor(
    readonly runDir: string,
    readonly holder: RunLock,
    /** Set when the holder is a training process that writes the run's heartbeat, not a lock. */
    readonly by: 'lock' | 'heartbeat' = 'lock',
  ) {
    super(
      by === 'lock'
        ? `${path.basename(runDir)} is already being trained (run.lock held by ${describeHolder(holder)}); if that process is gone, run again with --break-lock or delete ${path.join(runDir, LOCK_FILE)}`
        : `${path.basename(runDir)} is still being trained by pid ${holder.hostPid} (its heartbeat.json is fresh); wait for it to stop, or stop it first`,
    );
    this.name = 'RunLockedError';
  }
}

export function readRunLock(runDir: string): RunLock | undefined {
  const parsed = RunLockSchema.safeParse(readJsonFile(path.join(runDir, LOCK_FILE)));
  return parsed.success ? parsed.data : undefined;
}

export function lockIsLive(lock: RunLock | undefined, now = Date.now(), alive: PidProbe = isPidAlive): boolean {
  if (!lock) return false;
  // Another machine's pid cannot be probed from here: its lock holds until it is broken by hand.
  if (lock.host !== undefined && lock.host !== os.hostname()) return true;
  if (lock.enginePid !== undefined) return alive(lock.enginePid);
  return alive(lock.hostPid) && now - Date.parse(lock.at) < UNFORKED_LOCK_MS;
}

function createExclusive(file: string, lock: RunLock): boolean {
  let fd: number;
  try {
    fd = openSync(file, 'wx');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw err;
  }
  try {
    writeSync(fd, JSON.stringify(lock));
  } finally {
    closeSync(fd);
  }
  return true;
}

/** Takes the lock, replacing a stale one; throws RunLockedError while a live holder has it. */
export function acquireRunLock(runDir: string, owner: string, alive: PidProbe = isPidAlive, enginePid?: number): RunLock {
  const file = path.join(runDir, LOCK_FILE);
  const lock: RunLock = { owner, hostPid: process.pid, ...(enginePid !== undefined ? { enginePid } : {}), host: os.hostname(), at: new Date().toISOString() };
  for (let attempt = 0; attempt < 2; attempt++) {
    if (createExclusive(file, lock)) return lock;
    const holder = readRunLock(runDir);
    if (holder && holder.owner === owner) {
      updateRunLock(runDir, lock);
      return lock;
    }
    if (holder && lockIsLive(holder, Date.now(), alive)) throw new RunLockedError(runDir, holder);
    rmSync(file, { force: true });
  }
  // Someone else took it between our removal of the stale lock and our retry.
  const holder = readRunLock(runDir);
  throw new RunLockedError(runDir, holder ?? lock);
}

export function updateRunLock(runDir: string, lock: RunLock): void {
  const file = path.join(runDir, LOCK_FILE);
  const tmp = `${file}.${process.pid}.tmp`;
  const fd = openSync(tmp, 'w');
  try {
    writeSync(fd, JSON.stringify({ host: os.hostname(), ...lock }));
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, file);
}

/** Removes the lock if this owner holds it. */
export function releaseRunLock(runDir: string, owner: string): void {
  if (readRunLock(runDir)?.owner === owner) rmSync(path.join(runDir, LOCK_FILE), { force: true });
}

/**
 * The engine's locks: one per run folder it trains, taken before any worker starts and released when
 * the run ends or the process exits (a killed engine leaves a stale lock, which the next taker replaces).
 */
export class EngineLocks {
  private readonly held = new Set<string>();
  private readonly owner = `${ENGINE_LOCK_OWNER_PREFIX}${process.pid}`;
  private exitHook = false;

  /**
   * Takes run.lock for this process. A lock the parent process (the VS Code extension) took for this
   * engine is accepted as is. `breakLock` removes any lock first (for a holder on another machine, or a
   * pid that was reused); a live heartbeat from another process still refuses.
   * Returns the lock it broke, if any.
   */
  take(runDir: string, options: { breakLock?: boolean; alive?: PidProbe } = {}): RunLock | undefined {
    const alive = options.alive ?? isPidAlive;
    const dir = path.resolve(runDir);
    const holder = readRunLock(dir);
    if (holder && (holder.enginePid === process.pid || (holder.hostPid === process.ppid && holder.enginePid === undefined))) return undefined;
    if (holder && !options.breakLock && lockIsLive(holder, Date.now(), alive)) throw new RunLockedError(dir, holder);
    const heartbeat = readHeartbeat(dir);
    if (heartbeat && heartbeat.pid !== process.pid && heartbeat.status === 'running' && heartbeatIsLive(heartbeat, Date.now(), alive)) {
      throw new RunLockedError(dir, { owner: 'heartbeat', hostPid: heartbeat.pid, at: heartbeat.at }, 'heartbeat');
    }
    let broken: RunLock | undefined;
    if (options.breakLock && holder) {
      rmSync(path.join(dir, LOCK_FILE), { force: true });
      broken = holder;
    }
    acquireRunLock(dir, this.owner, alive, process.pid);
    this.held.add(dir);
    if (!this.exitHook) {
      this.exitHook = true;
      process.once('exit', () => this.releaseAll());
    }
    return broken;
  }

  release(runDir: string): void {
    const dir = path.resolve(runDir);
    if (!this.held.delete(dir)) return;
    // The extension may have rewritten the lock with its own owner for this engine: it is still ours.
    const holder = readRunLock(dir);
    if (holder && (holder.owner === this.owner || holder.enginePid === process.pid)) rmSync(path.join(dir, LOCK_FILE), { force: true });
  }

  releaseAll(): void {
    for (const dir of [...this.held]) {
      try {
        this.release(dir);
      } catch {
        // a folder that is gone holds no lock
      }
    }
  }
}
