// Starts code-server (VS Code's server with a real Node extension host) on a free local port, in its
// own process group, waits for /healthz with a timeout, prints its log when it does not come up, and
// stops exactly its process tree.
import { spawn, spawnSync } from 'node:child_process';
import { closeSync, cpSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import { onInterrupt, processTree, stopTree } from './processes.js';
import { envNumber, log, type Tools } from './tools.js';

export interface CodeServerOptions {
  tools: Tools;
  /** Scratch folder for this server: user data, extensions, XDG dirs, log. */
  runDir: string;
  /** Folder the workbench opens. */
  workspace: string;
  /** Extra code-server flags. */
  extraArgs?: string[];
  /** Extra environment for the server and, through it, the extension host. */
  env?: Record<string, string>;
  /** User settings on top of the quiet, offline defaults below. */
  settings?: Record<string, unknown>;
}

/** Settings that keep the workbench offline, quiet and the same on every run. */
const defaultSettings: Record<string, unknown> = {
  'workbench.startupEditor': 'none',
  'workbench.tips.enabled': false,
  'workbench.secondarySideBar.defaultVisibility': 'hidden',
  'workbench.enableExperiments': false,
  'extensions.autoCheckUpdates': false,
  'extensions.autoUpdate': false,
  'extensions.ignoreRecommendations': true,
  'update.mode': 'none',
  'telemetry.telemetryLevel': 'off',
  'chat.disableAIFeatures': true,
  'git.enabled': false,
  'git.openRepositoryInParentFolders': 'never',
  'security.workspace.trust.enabled': false,
};

export interface CodeServer {
  port: number;
  /** http://127.0.0.1:PORT */
  origin: string;
  /** Authority used in vscode-remote:// URIs. */
  authority: string;
  pid: number;
  logFile: string;
  workspace: string;
  logTail(lines?: number): string;
  stop(): Promise<void>;
}

function tryListen(port: number): Promise<number | undefined> {
  return new Promise((resolve) => {
    const srv = net.createServer();
    srv.once('error', () => resolve(undefined));
    srv.listen(port, '127.0.0.1', () => {
      const addr = srv.address();
      const got = typeof addr === 'object' && addr !== null ? addr.port : undefined;
      srv.close(() => resolve(got));
    });
  });
}

/** The port in AEM_VSCODE_PORT when it is free (a note when not), else one the OS hands out. */
async function choosePort(): Promise<{ port: number; fixed: boolean }> {
  const wanted = process.env.AEM_VSCODE_PORT;
  if (wanted !== undefined && wanted !== '') {
    const p = Number(wanted);
    if ((await tryListen(p)) === p) return { port: p, fixed: true };
    log(`port ${wanted} (AEM_VSCODE_PORT) is already in use; using a free port instead`);
  }
  const p = await tryListen(0);
  if (p === undefined) throw new Error('could not find a free local port');
  return { port: p, fixed: false };
}

function tail(file: string, lines: number): string {
  if (!existsSync(file)) return '(no log file)';
  const all = readFileSync(file, 'utf8').split('\n');
  return all.slice(-lines).join('\n');
}

async function healthy(origin: string): Promise<boolean> {
  try {
    const r = await fetch(`${origin}/healthz`, { signal: AbortSignal.timeout(2000) });
    return r.ok;
  } catch {
    return false;
  }
}

export async function startCodeServer(opts: CodeServerOptions): Promise<CodeServer> {
  const startTimeoutMs = envNumber('AEM_VSCODE_START_TIMEOUT_S', 60) * 1000;
  const extra = (process.env.AEM_VSCODE_CS_ARGS ?? '').split(' ').filter((a) => a !== '');
  for (let attempt = 1; ; attempt++) {
    const { port, fixed } = await choosePort();
    try {
      return await startOnce(opts, port, startTimeoutMs, extra, attempt);
    } catch (e) {
      const portTaken = e instanceof PortTakenError;
      if (!portTaken || fixed || attempt >= 3) throw e;
      log(`port ${port} was taken before code-server could bind it; trying another`);
    }
  }
}

class PortTakenError extends Error {}

/** The scratch folders of a server in `runDir`: user data, extensions, XDG config/data/cache. */
function serverDirs(runDir: string): { ud: string; ext: string; xdg: string } {
  return { ud: path.join(runDir, 'user-data'), ext: path.join(runDir, 'extensions'), xdg: path.join(runDir, 'xdg') };
}

function xdgEnv(xdg: string): Record<string, string> {
  return { XDG_CONFIG_HOME: `${xdg}/config`, XDG_DATA_HOME: `${xdg}/data`, XDG_CACHE_HOME: `${xdg}/cache` };
}

/**
 * Installs a .vsix into the extensions folder of the server that `startCodeServer` will run in `runDir`,
 * as a user does (`code-server --install-extension`), and returns the folder it was unpacked into.
 */
export function installVsix(tools: Tools, runDir: string, vsix: string, extensionId: string): string {
  const dirs = serverDirs(runDir);
  for (const d of [dirs.ud, dirs.ext, `${dirs.xdg}/config`, `${dirs.xdg}/data`, `${dirs.xdg}/cache`]) mkdirSync(d, { recursive: true });
  const r = spawnSync(tools.node, [tools.codeServerEntry, '--user-data-dir', dirs.ud, '--extensions-dir', dirs.ext, '--install-extension', vsix], {
    encoding: 'utf8',
    timeout: 120_000,
    env: { ...process.env, PATH: `${path.dirname(tools.node)}:${process.env.PATH ?? ''}`, ...xdgEnv(dirs.xdg) },
  });
  const output = `${r.stdout ?? ''}${r.stderr ?? ''}`.trim();
  if (r.status !== 0) throw new Error(`code-server --install-extension ${vsix} exited with ${String(r.status ?? r.signal ?? r.error?.message)}:\n${output}`);
  const prefix = `${extensionId.toLowerCase()}-`;
  const installed = readdirSync(dirs.ext).filter((f) => f.toLowerCase().startsWith(prefix));
  if (installed.length !== 1 || installed[0] === undefined) throw new Error(`after installing ${vsix}, ${dirs.ext} holds ${installed.length} folders for ${extensionId}:\n${output}`);
  log(`installed ${path.basename(vsix)} with code-server --install-extension: ${output.split('\n').pop() ?? ''}`);
  return path.join(dirs.ext, installed[0]);
}

async function startOnce(opts: CodeServerOptions, port: number, timeoutMs: number, extra: string[], attempt: number): Promise<CodeServer> {
  const { tools, runDir, workspace } = opts;
  const dirs = serverDirs(runDir);
  for (const d of [dirs.ud, dirs.ext, workspace, `${dirs.xdg}/config`, `${dirs.xdg}/data`, `${dirs.xdg}/cache`]) mkdirSync(d, { recursive: true });
  mkdirSync(path.join(dirs.ud, 'User'), { recursive: true });
  writeFileSync(path.join(dirs.ud, 'User', 'settings.json'), JSON.stringify({ ...defaultSettings, ...opts.settings }, null, 2));
  const config = path.join(runDir, 'config.yaml');
  writeFileSync(config, `bind-addr: 127.0.0.1:${port}\nauth: none\ncert: false\n`);
  const logFile = path.join(runDir, attempt === 1 ? 'code-server.log' : `code-server-${attempt}.log`);
  const fd = openSync(logFile, 'w');
  const args = [
    tools.codeServerEntry,
    '--config', config,
    '--bind-addr', `127.0.0.1:${port}`,
    '--auth', 'none',
    '--user-data-dir', dirs.ud,
    '--extensions-dir', dirs.ext,
    '--disable-telemetry',
    '--disable-update-check',
    '--disable-workspace-trust',
    '--disable-getting-started-override',
    '--ignore-last-opened',
    ...(opts.extraArgs ?? []),
    ...extra,
    workspace,
  ];
  const nodeBin = path.dirname(tools.node);
  const child = spawn(tools.node, args, {
    detached: true, // own process group: stop() signals exactly this tree
    stdio: ['ignore', fd, fd],
    env: {
      ...process.env,
      PATH: `${nodeBin}:${process.env.PATH ?? ''}`,
      ...xdgEnv(dirs.xdg),
      ...opts.env,
    },
  });
  closeSync(fd);
  const pid = child.pid;
  if (pid === undefined) throw new Error(`code-server did not start: ${tools.node} could not be spawned`);
  let exited: string | undefined;
  child.once('exit', (code, sig) => (exited = `exit code ${String(code)}${sig ? `, signal ${sig}` : ''}`));
  child.unref();

  const stop = async (): Promise<void> => {
    unregister();
    await stopTree(pid, 'code-server');
  };
  const unregister = onInterrupt(stop, pid);
  const origin = `http://127.0.0.1:${port}`;
  const server: CodeServer = {
    port, origin, authority: `127.0.0.1:${port}`, pid, logFile, workspace,
    logTail: (lines = 120) => tail(logFile, lines),
    stop,
  };

  const t0 = Date.now();
  for (;;) {
    if (exited !== undefined) {
      const text = tail(logFile, 200);
      await stop();
      if (/EADDRINUSE/.test(text)) throw new PortTakenError(`code-server could not bind port ${port}`);
      printLog(`code-server log ${logFile}`, text);
      throw new Error(`code-server exited before it came up (${exited}); its log is above`);
    }
    if (await healthy(origin)) break;
    if (Date.now() - t0 > timeoutMs) {
      await stop();
      printLog(`code-server log ${logFile}`, tail(logFile, 200));
      throw new Error(`code-server did not answer ${origin}/healthz within ${timeoutMs / 1000} s; its log is above`);
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  log(`code-server ${tools.codeServerVersion} (pid ${pid}, own process group) up on ${origin} after ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  return server;
}

export function printLog(what: string, text: string): void {
  console.log(`----- ${what} (last lines) -----\n${text}\n----- end of ${what} -----`);
}

/** Copies code-server's log and the workbench/extension-host logs of `runDir` into `dest`. */
export function collectLogs(runDir: string, dest: string): void {
  mkdirSync(dest, { recursive: true });
  for (const f of readdirSync(runDir)) {
    if (/^code-server.*\.log$/.test(f)) cpSync(path.join(runDir, f), path.join(dest, f));
  }
  const logs = path.join(runDir, 'user-data', 'logs');
  if (existsSync(logs)) cpSync(logs, path.join(dest, 'vscode-logs'), { recursive: true });
}

/**
 * Stops the server and everything it started, says whether any process was left, keeps its logs in
 * `logsDir` and removes its scratch folder (kept with AEM_VSCODE_KEEP=1).
 */
export async function shutDownCodeServer(cs: CodeServer | undefined, runDir: string, logsDir: string): Promise<void> {
  if (cs) {
    const pid = cs.pid;
    await cs.stop();
    const left = processTree(pid);
    log(left.length === 0 ? 'code-server and its children stopped' : `processes left: ${left.join(' ')}`);
  }
  collectLogs(runDir, logsDir);
  if (process.env.AEM_VSCODE_KEEP !== '1') rmSync(runDir, { recursive: true, force: true });
}
