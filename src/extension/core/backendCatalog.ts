// What each training backend needs and whether it is installed where the engine looks for it: the
// extension's own node_modules, and the folder Set Up Backend installs into. wasm and cpu list no
// packages: they are bundled into the engine (dist/engine.mjs), so they are always there.
import { createRequire } from 'node:module';
import path from 'node:path';
import type { BackendChoice } from '../../config/schema.js';

export interface BackendEntry {
  name: BackendChoice;
  packages: string[];
  needs: string;
}

export const BACKEND_CATALOG: BackendEntry[] = [
  { name: 'auto', packages: [], needs: 'tries tensorflow-gpu, webgpu, tensorflow, wasm, cpu in that order, each only when installed, and says why it skipped each' },
  { name: 'tensorflow-gpu', packages: ['@tensorflow/tfjs-node-gpu'], needs: 'an NVIDIA GPU with CUDA 11.2 and cuDNN 8.1 (libcudart.so.11.0); install with "AEM: Set Up Backend"' },
  { name: 'webgpu', packages: ['webgpu', '@tensorflow/tfjs-backend-webgpu'], needs: 'a GPU with a Vulkan, Metal or D3D12 driver and the webgpu (Dawn) + @tensorflow/tfjs-backend-webgpu packages; install with "AEM: Set Up Backend"' },
  { name: 'tensorflow', packages: ['@tensorflow/tfjs-node'], needs: 'an x86-64 CPU and @tensorflow/tfjs-node (libtensorflow with oneDNN, every core), whose install downloads libtensorflow from storage.googleapis.com; install with "AEM: Set Up Backend"' },
  { name: 'wasm', packages: [], needs: 'nothing: bundled with AEM Studio (fast on CPU with SIMD)' },
  { name: 'cpu', packages: [], needs: 'nothing: bundled with AEM Studio (the slowest, always there)' },
];

/** The installed version of a package resolved from any of the roots (folders holding node_modules). */
export function installedVersion(pkg: string, roots: string[]): string | undefined {
  for (const root of roots) {
    try {
      const require = createRequire(path.join(root, 'package.json'));
      return (require(`${pkg}/package.json`) as { version?: string }).version;
    } catch {
      // not under this root
    }
  }
  return undefined;
}

export function backendStatus(entry: BackendEntry, roots: string[]): { installed: boolean; versions: string[] } {
  const versions = entry.packages.map((p) => installedVersion(p, roots));
  return { installed: versions.every((v) => v !== undefined), versions: entry.packages.map((p, i) => `${p} ${versions[i] ?? 'not installed'}`) };
}

// build.mjs defines it as the version of the tfjs-core bundled into the engine; the tsc output
// (unit tests) reads it from node_modules.
declare const AEM_TFJS_CORE_VERSION: string | undefined;

/** The tfjs-core inside the engine: optional tfjs backends must be installed at this very version. */
export function engineTfjsCoreVersion(): string {
  if (typeof AEM_TFJS_CORE_VERSION !== 'undefined') return AEM_TFJS_CORE_VERSION;
  const version = installedVersion('@tensorflow/tfjs-core', [process.cwd()]);
  if (!version) throw new Error('cannot tell the tfjs-core version of the engine: not built with build.mjs and @tensorflow/tfjs-core is not installed');
  return version;
}
