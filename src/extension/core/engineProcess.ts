// Which Node runs the engine and with what environment. Inside VS Code the extension host is Electron;
// with ELECTRON_RUN_AS_NODE it is a plain Node, so no separate Node install is needed.
import path from 'node:path';

export interface EngineProcess {
  execPath: string;
  env: NodeJS.ProcessEnv;
  /** "VS Code's Node 20.18.0" or the configured path. */
  description: string;
}

export function engineProcess(configuredNode: string, baseEnv: NodeJS.ProcessEnv = process.env, extraEnv: NodeJS.ProcessEnv = {}): EngineProcess {
  const env: NodeJS.ProcessEnv = { ...baseEnv, ...extraEnv };
  if (configuredNode.trim()) {
    delete env.ELECTRON_RUN_AS_NODE;
    return { execPath: configuredNode.trim(), env, description: path.resolve(configuredNode.trim()) };
  }
  if (process.versions.electron) env.ELECTRON_RUN_AS_NODE = '1';
  return { execPath: process.execPath, env, description: `the Node of this editor (${process.version})` };
}
