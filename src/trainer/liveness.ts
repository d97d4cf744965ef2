// Is a run's process still there? The engine refreshes heartbeat.json (pid, time) every 5 s while a run
// trains; a run whose summary says "running" but whose heartbeat is stale or whose pid is gone was
// interrupted (the window, the machine or the process died) and can be resumed.
import { existsSync, readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import path from 'node:path';
import { z } from 'zod';

export const HEARTBEAT_FILE = 'heartbeat.json';
/** Six missed heartbeats: long enough for a slow evaluation pass, short enough to notice a dead run. */
export const HEARTBEAT_STALE_MS = 30_000;

const HeartbeatSchema = z.object({ pid: z.number().int(), host: z.string().optional(), at: z.string(), epoch: z.number().int(), iter: z.number().int(), status: z.string() });
export type Heartbeat = z.infer<typeof HeartbeatSchema>;

export type PidProbe = (pid: number) => boolean;

export function isPidAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: it exists but belongs to someone else.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export function readJsonFile(file: string): unknown {
  if (!existsSync(file)) return undefined;
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as unknown;
  } catch {
    return undefined;
  }
}

export function readHeartbeat(runDir: string): Heartbeat | undefined {
  const parsed = HeartbeatSchema.safeParse(readJsonFile(path.join(runDir, HEARTBEAT_FILE)));
  return parsed.success ? parsed.data : undefined;
}

/** Written on this machine (a heartbeat without a host is from an engine that did not record one: local). */
export function heartbeatIsOnThisHost(heartbeat: Heartbeat, thisHost = hostname()): boolean {
  return heartbeat.host === undefined || heartbeat.host === thisHost;
}

/** Fresh, and its pid alive where that can be probed: a run on a cluster node is judged by freshness alone. */
export function heartbeatIsLive(heartbeat: Heartbeat | undefined, now = Date.now(), alive: PidProbe = isPidAlive, thisHost = hostname()): boolean {
  if (!heartbeat) return false;
  const at = Date.parse(heartbeat.at);
  return Number.isFinite(at) && now - at < HEARTBEAT_STALE_MS && (!heartbeatIsOnThisHost(heartbeat, thisHost) || alive(heartbeat.pid));
}
