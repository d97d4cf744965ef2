// Set Up GPU Backend, without vscode: install a GPU backend (CUDA through @tensorflow/tfjs-node-gpu, or
// WebGPU through Dawn) into a folder of its own with npm, and, for CUDA, look for what it needs at run
// time (an NVIDIA driver, CUDA 11.2's runtime, cuDNN 8.1).
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';

export interface GpuSetup {
  backend: 'tensorflow-gpu' | 'webgpu';
  label: string;
  detail: string;
  /** npm specs; tfjs packages must match the engine's tfjs-core version, which they register with. */
  specs(tfjsCoreVersion: string): string[];
}

export const GPU_SETUPS: readonly GpuSetup[] = [
  {
    backend: 'webgpu',
    label: 'WebGPU (Dawn): webgpu + @tensorflow/tfjs-backend-webgpu',
    detail: 'any GPU with a Vulkan (Linux), Metal (macOS) or D3D12 (Windows) driver; prebuilt, about 25 MB, no CUDA needed',
    specs: (core) => ['webgpu@^0.6.2', `@tensorflow/tfjs-backend-webgpu@${core}`],
  },
  {
    backend: 'tensorflow-gpu',
    label: 'CUDA: @tensorflow/tfjs-node-gpu',
    detail: 'an NVIDIA GPU with CUDA 11.2 and cuDNN 8.1 (libcudart.so.11.0); its install downloads libtensorflow (~400 MB) from the internet',
    specs: (core) => [`@tensorflow/tfjs-node-gpu@${core}`],
  },
];

export interface InstallResult {
  ok: boolean;
  code: number | null;
  tail: string[];
  /** A plain reason when it failed. */
  reason?: string;
}

/** npm install --prefix <prefix> <pkg>@<version>...; each output line goes to onLine. */
export function npmInstall(prefix: string, specs: string[], onLine: (line: string) => void, npm = process.platform === 'win32' ? 'npm.cmd' : 'npm'): Promise<InstallResult> {
  mkdirSync(prefix, { recursive: true });
  const manifest = path.join(prefix, 'package.json');
  if (!existsSync(manifest)) writeFileSync(manifest, `${JSON.stringify({ name: 'aem-studio-backends', private: true }, null, 2)}\n`);
  return new Promise((resolve) => {
    const tail: string[] = [];
    const keep = (chunk: Buffer) => {
      for (const line of chunk.toString('utf8').split('\n')) {
        if (!line.trim()) continue;
        tail.push(line);
        if (tail.length > 30) tail.shift();
        onLine(line);
      }
    };
    const child = spawn(npm, ['install', '--prefix', prefix, '--no-audit', '--no-fund', ...specs], { stdio: ['ignore', 'pipe', 'pipe'], shell: process.platform === 'win32' });
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);
    child.on('error', (err) => resolve({ ok: false, code: null, tail, reason: `npm could not be started (${err.message}): install Node.js with npm, or put npm on the PATH of VS Code` }));
    child.on('close', (code) => {
      if (code === 0) return resolve({ ok: true, code, tail });
      const text = tail.join('\n');
      const reason = /ENOTFOUND|EAI_AGAIN|ECONNREFUSED|ETIMEDOUT|network|offline/i.test(text)
        ? `npm cannot reach the registry${specs.some((x) => x.includes('tfjs-node')) ? ' or the libtensorflow download' : ''} (this machine is offline or behind a proxy): ${specs.join(' and ')} must come from the npm registry`
        : /node-pre-gyp|libtensorflow|download/i.test(text)
          ? 'the install script of @tensorflow/tfjs-node-gpu could not download or build libtensorflow'
          : `npm exited with code ${code}`;
      resolve({ ok: false, code, tail, reason });
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
