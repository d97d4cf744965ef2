// Asks the engine itself which backends start on this machine (`aem-train backends --json`), with the
// same Node and environment (AEM_BACKEND_MODULES included) that training will use.
import { execFile } from 'node:child_process';
import { parseBackendProbes, type BackendProbe } from '../../protocol/backends.js';

export interface EngineCommand {
  execPath: string;
  enginePath: string;
  env: NodeJS.ProcessEnv;
}

export function probeEngineBackends(engine: EngineCommand, timeoutMs = 120_000): Promise<BackendProbe[]> {
  return new Promise((resolve, reject) => {
    execFile(engine.execPath, [engine.enginePath, 'backends', '--json'], { env: engine.env, timeout: timeoutMs, maxBuffer: 4 << 20 }, (err, stdout, stderr) => {
      if (err) {
        const last = stderr.trim().split('\n').slice(-3).join(' ');
        return reject(new Error(`the engine could not list its backends (${err.killed ? `no answer within ${timeoutMs / 1000} s` : err.message.split('\n')[0]})${last ? `: ${last}` : ''}`));
      }
      try {
        resolve(parseBackendProbes(stdout));
      } catch (e) {
        reject(e as Error);
      }
    });
  });
}
