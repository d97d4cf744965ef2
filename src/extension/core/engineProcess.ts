// Which Node runs the engine and with what environment. Inside VS Code the extension host is Electron;
// with ELECTRON_RUN_AS_NODE it is a plain Node, so no separate Node install is needed. A Node set in
// aemStudio.nodePath is checked first: missing or older than the engine needs, it is refused with the
// reason, and the editor's own Node trains instead.
import { spawnSync } from 'node:child_process';
import path from 'node:path';

/** The oldest Node the engine runs on (package.json engines.node; the bundles target node20). */
export const MIN_NODE_MAJOR = 20;

export interface EngineProcess {
  execPath: string;
  env: NodeJS.ProcessEnv;
  /** "the Node of this editor (v20.18.0)" or "/usr/bin/node (v22.1.0)". */
  description: string;
}

export type NodeCheck = { ok: true; version: string } | { ok: false; problem: string };

/** Runs `node -p process.versions.node` with the configured binary and says whether the engine can use it. */
export function checkNode(execPath: string): NodeCheck {
  const r = spawnSync(execPath, ['-p', 'process.versions.node'], { encoding: 'utf8', timeout: 15_000, env: { ...process.env, ELECTRON_RUN_AS_NODE: '1' } });
  if (r.error) {
    const code = (r.error as NodeJS.ErrnoException).code;
    return { ok: false, problem: code === 'ENOENT' ? `${execPath} does not exist` : `${execPath} could not be run (${r.error.message})` };
  }
  const version = r.stdout.trim();
  const m = /^(\d+)\.\d+\.\d+/.exec(version);
  if (r.status !== 0 || !m?.[1]) return { ok: false, problem: `${execPath} is not a Node.js binary (\`${path.basename(execPath)} -p process.versions.node\` ${r.status !== 0 ? `exited with ${String(r.status ?? r.signal)}` : `printed "${version.slice(0, 80)}"`})` };
  if (Number(m[1]) < MIN_NODE_MAJOR) return { ok: false, problem: `${execPath} is Node v${version}; the engine needs Node ${MIN_NODE_MAJOR} or later` };
  return { ok: true, version: `v${version}` };
}

/** The editor's own Node. */
function editorNode(env: NodeJS.ProcessEnv): EngineProcess {
  if (process.versions.electron) env.ELECTRON_RUN_AS_NODE = '1';
  return { execPath: process.execPath, env, description: `the Node of this editor (${process.version})` };
}

/**
 * The configured Node when it is set and usable, else the editor's own; `problem` says why a configured
 * one was not used (the caller shows it).
 */
export function engineProcess(configuredNode: string, baseEnv: NodeJS.ProcessEnv = process.env, extraEnv: NodeJS.ProcessEnv = {}): EngineProcess & { problem?: string } {
  const env: NodeJS.ProcessEnv = { ...baseEnv, ...extraEnv };
  const configured = configuredNode.trim();
  if (!configured) return editorNode(env);
  const check = checkNode(configured);
  if (!check.ok) return { ...editorNode(env), problem: `aemStudio.nodePath: ${check.problem}` };
  delete env.ELECTRON_RUN_AS_NODE;
  return { execPath: configured, env, description: `${path.resolve(configured)} (${check.version}, from aemStudio.nodePath)` };
}
