// run.lock in a run folder: the window that trains (or resumes) a run holds it, so that two windows on
// one workspace never train the same run twice. It names the engine's pid once the engine is forked, so
// the lock stays valid while the engine outlives the window that started it, and goes stale when it dies.
import { closeSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { isPidAlive, readJsonFile, type PidProbe } from './liveness.js';

export const LOCK_FILE = 'run.lock';
/** A lock taken by a window that has not yet forked its engine is trusted this long. */
const UNFORKED_LOCK_MS = 60_000;

const RunLockSchema = z.object({ owner: z.string(), hostPid: z.number().int(), enginePid: z.number().int().optional(), at: z.string() });
export type RunLock = z.infer<typeof RunLockSchema>;

export class RunLockedError extends Error {
  constructor(
    readonly runDir: string,
    readonly holder: RunLock,
  ) {
    super(`${path.basename(runDir)} is already being trained (engine pid ${holder.enginePid ?? 'starting'}, started by process ${holder.hostPid} at ${holder.at})`);
    this.name = 'RunLockedError';
  }
}

export function readRunLock(runDir: string): RunLock | undefined {
  const parsed = RunLockSchema.safeParse(readJsonFile(path.join(runDir, LOCK_FILE)));
  return parsed.success ? parsed.data : undefined;
}

export function lockIsLive(lock: RunLock | undefined, now = Date.now(), alive: PidProbe = isPidAlive): boolean {
  if (!lock) return false;
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
export function acquireRunLock(runDir: string, owner: string, alive: PidProbe = isPidAlive): RunLock {
  const file = path.join(runDir, LOCK_FILE);
  const lock: RunLock = { owner, hostPid: process.pid, at: new Date().toISOString() };
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
    writeSync(fd, JSON.stringify(lock));
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, file);
}

/** Removes the lock if this owner holds it. */
export function releaseRunLock(runDir: string, owner: string): void {
  if (readRunLock(runDir)?.owner === owner) rmSync(path.join(runDir, LOCK_FILE), { force: true });
}
