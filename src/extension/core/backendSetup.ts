// Set Up Backend, without vscode: install an optional training backend into a folder of its own with npm
// (a GPU one: CUDA through @tensorflow/tfjs-node-gpu or WebGPU through Dawn; or the native CPU one,
// @tensorflow/tfjs-node), tell why an install failed in words, and, for CUDA, look for what it needs at
// run time (an NVIDIA driver, CUDA 11.2's runtime, cuDNN 8.1).
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { BackendChoice } from '../../config/schema.js';

export type SetupBackend = Extract<BackendChoice, 'tensorflow-gpu' | 'webgpu' | 'tensorflow'>;

export interface BackendSetup {
  backend: SetupBackend;
  device: 'GPU' | 'CPU';
  label: string;
  detail: string;
  /** npm specs; tfjs packages must match the engine's tfjs-core version, which they register with. */
  specs(tfjsCoreVersion: string): string[];
}

export const BACKEND_SETUPS: readonly BackendSetup[] = [
  {
    backend: 'webgpu',
    device: 'GPU',
    label: 'GPU, WebGPU (Dawn): webgpu + @tensorflow/tfjs-backend-webgpu',
    detail: 'any GPU with a Vulkan (Linux), Metal (macOS) or D3D12 (Windows) driver; prebuilt, about 25 MB, no CUDA needed',
    specs: (core) => ['webgpu@^0.6.2', `@tensorflow/tfjs-backend-webgpu@${core}`],
  },
  {
    backend: 'tensorflow-gpu',
    device: 'GPU',
    label: 'GPU, CUDA: @tensorflow/tfjs-node-gpu',
    detail: 'an NVIDIA GPU with CUDA 11.2 and cuDNN 8.1 (libcudart.so.11.0); its install downloads libtensorflow (~400 MB) from storage.googleapis.com',
    specs: (core) => [`@tensorflow/tfjs-node-gpu@${core}`],
  },
  {
    backend: 'tensorflow',
    device: 'CPU',
    label: 'CPU, native: @tensorflow/tfjs-node (libtensorflow 2.9 with oneDNN)',
    detail:
      'an x86-64 CPU (Linux, Windows, Intel macOS) and, at install time, access to storage.googleapis.com: its install downloads libtensorflow 2.9.1 (CPU). ' +
      'Native matMuls on every core: expect large bags several times faster than the bundled wasm (one thread), small bags less (each tfjs op is a call into libtensorflow)',
    specs: (core) => [`@tensorflow/tfjs-node@${core}`],
  },
];

export function isSetupBackend(value: unknown): value is SetupBackend {
  return BACKEND_SETUPS.some((x) => x.backend === value);
}

export interface InstallResult {
  ok: boolean;
  code: number | null;
  /** The last lines npm printed (for the log). */
  tail: string[];
  /** A plain reason when it failed: the cause and what to do. */
  reason?: string;
}

const NETWORK_ERROR = /ENOTFOUND|EAI_AGAIN|ECONNREFUSED|ECONNRESET|ETIMEDOUT|EHOSTUNREACH|ENETUNREACH|self[- ]signed certificate|unable to get local issuer certificate/;

/** The network error in the output, as printed ("getaddrinfo ENOTFOUND storage.googleapis.com"): the
 * message of the thrown error when there is one, else the first line naming a network error code. */
function networkError(lines: readonly string[]): string | undefined {
  const texts = lines.map((line) => line.replace(/^npm (error|ERR!)\s*/, '').trim()).filter((t) => NETWORK_ERROR.test(t));
  const thrown = texts.map((t) => /^\w*Error: (.+)$/.exec(t)?.[1]).find((m) => m !== undefined);
  return thrown ?? texts[0];
}

/**
 * Why `npm install` of these specs failed, from what it printed, naming the cause and what to do. tfjs-node and
 * tfjs-node-gpu come from the npm registry, but their install script then downloads libtensorflow (and a
 * prebuilt binding) from storage.googleapis.com: a machine can reach the one and not the other.
 */
export function installFailureReason(specs: readonly string[], lines: readonly string[], code: number | null, prefix: string): string {
  const text = lines.join('\n');
  const what = specs.join(' and ');
  const tfjsNode = specs.find((x) => /^@tensorflow\/tfjs-node(-gpu)?@/.test(x))?.replace(/@[^@]*$/, '');
  const net = networkError(lines);
  if (tfjsNode && /Downloading libtensorflow|libtensorflow-\S+\.(tar\.gz|zip)|node-pre-gyp/.test(text)) {
    const url = /https?:\/\/\S+?libtensorflow\S+\.(?:tar\.gz|zip)/.exec(text)?.[0];
    const host = url ? new URL(url).host : 'storage.googleapis.com';
    if (net || /Downloading libtensorflow/.test(text)) {
      return (
        `${tfjsNode} came from the npm registry, but its install script could not download libtensorflow` +
        `${url ? ` from ${url}` : ''}${net ? ` (${net})` : ''}: this machine cannot reach ${host}. ` +
        `Allow that host (behind a proxy, set HTTPS_PROXY for VS Code) and run Set Up Backend again, or run ` +
        `\`npm install --prefix DIR ${specs.join(' ')}\` on a machine of the same system that can reach it and copy DIR/node_modules to ${path.join(prefix, 'node_modules')}; ` +
        `until then the bundled wasm backend trains without it`
      );
    }
    return `the install script of ${tfjsNode} downloaded libtensorflow but could not download or build its Node.js binding (node-pre-gyp; building it needs python3, make and a C++ compiler): see the npm lines in the log`;
  }
  if (net) return `npm cannot reach the registry (${net}); this machine is offline or behind a proxy (set HTTPS_PROXY, or npm's registry setting): ${what} must come from the npm registry`;
  if (/E404|404 Not Found/.test(text)) return `the npm registry has no ${what} (404): is the engine's tfjs-core version published for it?`;
  if (/EACCES|EPERM/.test(text)) return `npm could not write into the install folder (permission denied)`;
  return `npm exited with code ${code}; its last lines are in the log`;
}

/** npm install --prefix <prefix> <pkg>@<version>...; each output line goes to onLine. */
export function npmInstall(prefix: string, specs: string[], onLine: (line: string) => void, npm = process.platform === 'win32' ? 'npm.cmd' : 'npm'): Promise<InstallResult> {
  mkdirSync(prefix, { recursive: true });
  const manifest = path.join(prefix, 'package.json');
  if (!existsSync(manifest)) writeFileSync(manifest, `${JSON.stringify({ name: 'aem-studio-backends', private: true }, null, 2)}\n`);
  return new Promise((resolve) => {
    // Everything for the reason (npm's output on failure is short), the last 30 lines for the log.
    const lines: string[] = [];
    const keep = (chunk: Buffer) => {
      for (const line of chunk.toString('utf8').split('\n')) {
        if (!line.trim()) continue;
        lines.push(line);
        if (lines.length > 2000) lines.shift();
        onLine(line);
      }
    };
    const child = spawn(npm, ['install', '--prefix', prefix, '--no-audit', '--no-fund', ...specs], { stdio: ['ignore', 'pipe', 'pipe'], shell: process.platform === 'win32' });
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);
    child.on('error', (err) => resolve({ ok: false, code: null, tail: lines.slice(-30), reason: `npm could not be started (${err.message}): install Node.js with npm, or put npm on the PATH of VS Code` }));
    child.on('close', (code) => {
      if (code === 0) return resolve({ ok: true, code, tail: lines.slice(-30) });
      resolve({ ok: false, code, tail: lines.slice(-30), reason: installFailureReason(specs, lines, code, prefix) });
    });
  });
}

export interface CudaReport {
  driver?: string;
  gpus: string[];
  cudart11?: string;
  cudnn8?: string;
  missing: string[];
}

function libraryDirs(): string[] {
  const dirs = (process.env.LD_LIBRARY_PATH ?? '').split(':').filter(Boolean);
  dirs.push('/usr/local/cuda/lib64', '/usr/local/cuda-11.2/lib64', '/usr/lib/x86_64-linux-gnu', '/usr/lib64', '/usr/lib/wsl/lib');
  return dirs;
}

function findLibrary(name: RegExp, ldconfig: string): string | undefined {
  const listed = ldconfig.split('\n').find((l) => name.test(l.trim().split(' ')[0] ?? ''));
  if (listed) return listed.split('=>')[1]?.trim();
  for (const dir of libraryDirs()) {
    for (const candidate of ['libcudart.so.11.0', 'libcudnn.so.8']) {
      const file = path.join(dir, candidate);
      if (name.test(candidate) && existsSync(file)) return file;
    }
  }
  return undefined;
}

/** What the GPU backend needs at run time and what of it this machine has (Linux; other systems say so). */
export function checkCuda(): CudaReport {
  const report: CudaReport = { gpus: [], missing: [] };
  if (process.platform === 'darwin') {
    report.missing.push('macOS has no CUDA: @tensorflow/tfjs-node-gpu cannot run here; use the webgpu or wasm backend');
    return report;
  }
  const smi = spawnSync('nvidia-smi', ['--query-gpu=name,driver_version', '--format=csv,noheader'], { encoding: 'utf8' });
  if (smi.status === 0 && smi.stdout.trim()) {
    for (const line of smi.stdout.trim().split('\n')) {
      const [name, driver] = line.split(',').map((s) => s.trim());
      if (name) report.gpus.push(name);
      if (driver) report.driver = driver;
    }
  } else {
    report.missing.push('an NVIDIA GPU with its driver (nvidia-smi was not found or found no GPU)');
  }
  if (process.platform === 'win32') {
    report.missing.push('on Windows, check yourself that CUDA 11.2 and cuDNN 8.1 are installed and on the PATH');
    return report;
  }
  const ld = spawnSync('ldconfig', ['-p'], { encoding: 'utf8' });
  const ldconfig = ld.status === 0 ? ld.stdout : '';
  const cudart = findLibrary(/^libcudart\.so\.11\.0$/, ldconfig);
  const cudnn = findLibrary(/^libcudnn\.so\.8$/, ldconfig);
  if (cudart) report.cudart11 = cudart;
  else report.missing.push('the CUDA 11.2 runtime (libcudart.so.11.0) on the library path: install CUDA 11.2, or add its lib64 folder to LD_LIBRARY_PATH');
  if (cudnn) report.cudnn8 = cudnn;
  else report.missing.push('cuDNN 8.1 (libcudnn.so.8) on the library path');
  return report;
}
