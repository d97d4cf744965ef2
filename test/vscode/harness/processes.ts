// Stops exactly the processes a test started: the process group of each child the harness spawned
// with `detached: true` (its own group, pgid = its pid), plus any descendant that left that group.
import { readdirSync, readFileSync } from 'node:fs';
import { log } from './tools.js';

interface ProcInfo {
  pid: number;
  ppid: number;
  pgid: number;
}

function readProcs(): ProcInfo[] {
  const out: ProcInfo[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      // "pid (comm) state ppid pgrp ...": comm may hold spaces and parentheses, so split after the last ')'.
      const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      out.push({ pid: Number(name), ppid: Number(rest[1]), pgid: Number(rest[2]) });
    } catch {
      // the process ended while we listed /proc
    }
  }
  return out;
}

/** `root`, its process group and every descendant of either, as live pids. */
export function processTree(root: number): number[] {
  const procs = readProcs();
  const found = new Set<number>();
  for (const p of procs) if (p.pid === root || p.pgid === root) found.add(p.pid);
  let grew = true;
  while (grew) {
    grew = false;
    for (const p of procs) {
      if (!found.has(p.pid) && found.has(p.ppid)) {
        found.add(p.pid);
        grew = true;
      }
    }
  }
  return [...found];
}

function signal(pids: number[], sig: NodeJS.Signals): void {
  for (const pid of pids) {
    try {
      process.kill(pid, sig);
    } catch {
      // already gone
    }
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** SIGTERM to the tree rooted at `root` (group leader), SIGKILL to whatever is left after `graceMs`. */
export async function stopTree(root: number, what: string, graceMs = 5000): Promise<void> {
  const pids = processTree(root);
  if (pids.length === 0) return;
  signal(pids, 'SIGTERM');
  const deadline = Date.now() + graceMs;
  while (Date.now() < deadline && pids.some(alive)) await new Promise((r) => setTimeout(r, 100));
  const left = pids.filter(alive).concat(processTree(root).filter((p) => !pids.includes(p)));
  if (left.length > 0) {
    log(`${what}: ${left.length} process(es) still alive after SIGTERM, sending SIGKILL: ${left.join(' ')}`);
    signal(left, 'SIGKILL');
  }
}

/** Synchronous last-resort kill, for process 'exit' handlers. */
export function killTreeNow(root: number): void {
  signal(processTree(root), 'SIGKILL');
}

type Cleanup = () => Promise<void>;
const cleanups = new Set<Cleanup>();
const exitKills = new Set<number>();
let installed = false;

/**
 * Registers `cleanup` to run on SIGINT/SIGTERM, and `pid`'s tree to be SIGKILLed if the harness exits
 * without having cleaned up. Returns a function that unregisters both.
 */
export function onInterrupt(cleanup: Cleanup, pid?: number): () => void {
  if (!installed) {
    installed = true;
    const handler = (sig: NodeJS.Signals): void => {
      log(`${sig}: stopping the processes this test started`);
      void Promise.allSettled([...cleanups].map((c) => c())).then(() => process.exit(130));
    };
    process.once('SIGINT', handler);
    process.once('SIGTERM', handler);
    process.once('exit', () => {
      for (const p of exitKills) killTreeNow(p);
    });
  }
  cleanups.add(cleanup);
  if (pid !== undefined) exitKills.add(pid);
  return () => {
    cleanups.delete(cleanup);
    if (pid !== undefined) exitKills.delete(pid);
  };
}
