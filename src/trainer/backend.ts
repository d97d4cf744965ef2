// Picks the TensorFlow.js backend. `auto` tries each in order of preference and says why each one it
// skipped was skipped; an explicit choice that cannot run fails with a message saying how to get it.
// The engine never falls back silently: the chosen backend is printed and recorded in every run.
import * as tf from '@tensorflow/tfjs-core';
import type { BackendChoice, GpuPathChoice } from '../config/schema.js';
import type { BackendProbe } from '../protocol/backends.js';
import { backendLabel } from '../protocol/backendLabel.js';
import { fileURLToPath } from 'node:url';
import { bundledVersion } from './bundle.js';
import { NoAdapterError, openDawnAdapter } from './gpu/dawn.js';
import { BACKEND_MODULES_ENV, describeFound, findOptionalModule, loadModule, OptionalModuleNotFoundError, requireOptionalModule, type FoundModule } from './optionalModules.js';
import type { ExecutionPath } from './runner.js';
import { activeWasmThreads, registerThreadedWasm, WasmThreadsError } from './wasmThreads.js';
import { useWasmSliceKernel } from './wasmSlice.js';

export type ConcreteBackend = Exclude<BackendChoice, 'auto'>;
export const BACKEND_ORDER: readonly ConcreteBackend[] = ['tensorflow-gpu', 'webgpu', 'tensorflow', 'wasm', 'cpu'];

export interface BackendInfo {
  name: ConcreteBackend;
  /** tfjs's own name for it ('tensorflow', 'webgpu', 'wasm', 'cpu'). */
  tfName: string;
  version: string;
  adapter?: string;
  /** Where its optional packages were loaded from ("webgpu 0.6.2 from /x/node_modules (AEM_BACKEND_MODULES); …"). */
  from?: string;
  /** How the model runs: the fused WebGPU kernels, or tfjs operations on `tfName`. */
  path: ExecutionPath;
  /** Why auto did not take the fused path on a WebGPU adapter. */
  pathReason?: string;
  /** Why each backend tried before this one was not used. */
  skipped: { name: ConcreteBackend; reason: string }[];
}

/** Which execution path to take on webgpu, and why the fused path cannot run this model (if it cannot). */
export interface GpuPlan {
  path: GpuPathChoice;
  fusedUnsupported?: string;
}
const DEFAULT_PLAN: GpuPlan = { path: 'auto' };

export class BackendUnavailableError extends Error {
  constructor(
    readonly backend: ConcreteBackend,
    reason: string,
  ) {
    super(`backend "${backend}" is not available: ${reason}`);
    this.name = 'BackendUnavailableError';
  }
}

const HOW_TO_INSTALL: Record<ConcreteBackend, string> = {
  'tensorflow-gpu':
    'install it with "AEM: Set Up Backend" or `npm install @tensorflow/tfjs-node-gpu` (its install downloads libtensorflow, and it needs CUDA 11.2 and cuDNN 8.1: libcudart.so.11.0)',
  webgpu: `install it with \`npm install webgpu @tensorflow/tfjs-backend-webgpu\` (Dawn for Node) in the project, or with \`npm install --prefix DIR\` and ${BACKEND_MODULES_ENV}=DIR/node_modules; it also needs a GPU with a Vulkan, Metal or D3D12 driver`,
  tensorflow: 'install it with "AEM: Set Up Backend" or `npm install @tensorflow/tfjs-node` (its install downloads libtensorflow from storage.googleapis.com)',
  wasm: 'it is part of the engine: reinstall the extension, or in a checkout the project dependencies (`npm ci`)',
  cpu: 'it is part of the engine: reinstall the extension, or in a checkout the project dependencies (`npm ci`)',
};

/** Finds an optional package in the project or in AEM_BACKEND_MODULES, or says where it looked. */
function findOrFail(name: string, fail: (why: string, where?: string) => BackendUnavailableError): FoundModule {
  try {
    return requireOptionalModule(name);
  } catch (err) {
    // "<pkg> is not installed; install it with …; looked in <folders>": the fix first, then where.
    if (err instanceof OptionalModuleNotFoundError) throw fail(`${name} is not installed`, `looked in ${err.searched.join(', ')}`);
    throw err;
  }
}

/** Imports a found package; a package that is there but cannot load is unavailable, with the reason. */
async function loadOrFail<T>(found: FoundModule, fail: (why: string) => BackendUnavailableError): Promise<T> {
  try {
    return await loadModule<T>(found);
  } catch (err) {
    throw fail(`${describeFound(found)} failed to load (${(err as Error).message.split('\n')[0]})`);
  }
}

/** A backend package loaded from another folder registers with the tfjs-core that it resolves itself;
 * tfjs-core keeps its engine in a global, so that is this engine unless the two copies disagree. */
function assertRegistered(tfName: string, found: FoundModule, fail: (why: string) => BackendUnavailableError): void {
  if (tf.findBackendFactory(tfName) == null) {
    throw fail(`${describeFound(found)} loaded but did not register a "${tfName}" backend with this engine's tfjs-core ${tf.version_core} (does it resolve another @tensorflow/tfjs-core?)`);
  }
}

/** "webgpu 0.6.2 from /x/node_modules; …", recorded as the backend's `from`. */
function fromOf(found: FoundModule[]): string {
  return found.map(describeFound).join('; ');
}

async function activate(tfName: string): Promise<void> {
  const ok = await tf.setBackend(tfName);
  await tf.ready();
  if (!ok || tf.getBackend() !== tfName) throw new Error(`tfjs could not start its "${tfName}" backend (it is running "${tf.getBackend()}")`);
}

/** Tries one backend; returns its info, or throws BackendUnavailableError saying why not. `threads`: wasm's XNNPACK threads. */
async function tryBackend(name: ConcreteBackend, plan: GpuPlan, threads = 1): Promise<Omit<BackendInfo, 'skipped'>> {
  const fail = (why: string, where?: string) => new BackendUnavailableError(name, `${why}; ${HOW_TO_INSTALL[name]}${where ? `; ${where}` : ''}`);
  switch (name) {
    case 'tensorflow-gpu':
    case 'tensorflow': {
      const pkg = name === 'tensorflow' ? '@tensorflow/tfjs-node' : '@tensorflow/tfjs-node-gpu';
      const found = findOrFail(pkg, fail);
      await loadOrFail(found, fail);
      assertRegistered('tensorflow', found, fail);
      await activate('tensorflow');
      return { name, tfName: 'tensorflow', version: found.version, from: fromOf([found]), path: 'tfjs' };
    }
    case 'webgpu': {
      if (plan.path === 'fused' && plan.fusedUnsupported) throw new BackendUnavailableError(name, `compute.gpuPath is "fused", but ${plan.fusedUnsupported}`);
      const dawnFound = findOrFail('webgpu', fail);
      let dawn;
      try {
        dawn = await openDawnAdapter();
      } catch (err) {
        if (err instanceof NoAdapterError) throw fail(err.message);
        throw fail(`${describeFound(dawnFound)} failed to load (${(err as Error).message.split('\n')[0]})`);
      }
      const fused = plan.path === 'fused' || (plan.path === 'auto' && !plan.fusedUnsupported);
      if (fused) return { name, tfName: 'none', version: dawnFound.version, adapter: dawn.name, from: fromOf([dawnFound]), path: 'fused' };
      const backendFound = findOrFail('@tensorflow/tfjs-backend-webgpu', fail);
      // tfjs-backend-webgpu looks for navigator.gpu; publishing it earlier would make tfjs take Node for a browser.
      (globalThis as { navigator?: unknown }).navigator = { gpu: dawn.gpu };
      await loadOrFail(backendFound, fail);
      assertRegistered('webgpu', backendFound, fail);
      await activate('webgpu');
      return {
        name,
        tfName: 'webgpu',
        version: backendFound.version,
        adapter: dawn.name,
        from: fromOf([dawnFound, backendFound]),
        path: 'tfjs',
        ...(plan.path === 'auto' && plan.fusedUnsupported ? { pathReason: plan.fusedUnsupported } : {}),
      };
    }
    case 'wasm': {
      // A dependency of the engine (bundled into dist/engine.mjs): failing to load means a broken install.
      const wasm = await loadBundled<{ version_wasm: string }>('@tensorflow/tfjs-backend-wasm', () => import('@tensorflow/tfjs-backend-wasm'), fail);
      useWasmSliceKernel('in-place');
      if (threads > 1) return { name, tfName: 'wasm', version: wasm.version_wasm, adapter: await startThreadedWasm(threads), path: 'tfjs' };
      await activate('wasm');
      const simd = tf.env().getBool('WASM_HAS_SIMD_SUPPORT');
      // The threaded build stays registered in a process that started it before (tests): say what runs.
      const running = activeWasmThreads();
      return { name, tfName: 'wasm', version: wasm.version_wasm, adapter: `${simd ? 'SIMD' : 'no SIMD'}, ${running} thread${running === 1 ? '' : 's'}`, path: 'tfjs' };
    }
    case 'cpu': {
      const cpu = await loadBundled<{ version_cpu: string }>('@tensorflow/tfjs-backend-cpu', () => import('@tensorflow/tfjs-backend-cpu'), fail);
      await activate('cpu');
      return { name, tfName: 'cpu', version: cpu.version_cpu, path: 'tfjs' };
    }
  }
}

/** The threaded SIMD build on `threads` threads (src/trainer/wasmThreads.ts); says why when it cannot start. */
async function startThreadedWasm(threads: number): Promise<string> {
  const fail = (why: string) => new BackendUnavailableError('wasm', `${why}; set compute.threads to 1 to run the single-threaded build`);
  try {
    await registerThreadedWasm(threads);
    await activate('wasm');
  } catch (err) {
    throw fail(`its threaded SIMD build did not start on ${threads} threads (${err instanceof WasmThreadsError ? err.message : (err as Error).message.split('\n')[0]})`);
  }
  const running = activeWasmThreads();
  if (running !== threads) throw fail(`its threaded SIMD build runs ${running} thread${running === 1 ? '' : 's'}, not the ${threads} asked for`);
  return `SIMD, ${threads} threads`;
}

async function loadBundled<T>(pkg: string, load: () => Promise<T>, fail: (why: string) => BackendUnavailableError): Promise<T> {
  try {
    return await load();
  } catch (err) {
    throw fail(`${pkg} failed to load (${(err as Error).message.split('\n')[0]})`);
  }
}

/** Where a backend's package comes from: inside the engine bundle (wasm, cpu), or a node_modules folder. */
function packageLocation(pkg: string): string | undefined {
  const bundled = bundledVersion(pkg);
  if (bundled !== undefined) return `${pkg} ${bundled} bundled in ${fileURLToPath(import.meta.url)}`;
  const found = findOptionalModule(pkg);
  return found ? describeFound(found) : undefined;
}

/** `threads`: the XNNPACK threads of the wasm backend (compute.threads, resolved by resolveComputeThreads). */
export async function selectBackend(choice: BackendChoice, plan: GpuPlan = DEFAULT_PLAN, threads = 1): Promise<BackendInfo> {
  if (choice !== 'auto') return { ...(await tryBackend(choice, plan, threads)), skipped: [] };
  const skipped: BackendInfo['skipped'] = [];
  for (const name of BACKEND_ORDER) {
    try {
      return { ...(await tryBackend(name, plan, threads)), skipped };
    } catch (err) {
      if (!(err instanceof BackendUnavailableError)) throw err;
      skipped.push({ name, reason: err.message });
    }
  }
  throw new Error(`no TensorFlow.js backend could start:\n${skipped.map((s) => `  ${s.reason}`).join('\n')}`);
}

export function describeBackend(info: BackendInfo): string {
  const main = `${backendLabel(info)}${info.from ? `; ${info.from}` : ''}${info.pathReason ? `; tfjs path because ${info.pathReason}` : ''}`;
  return info.skipped.length === 0 ? main : `${main}; skipped: ${info.skipped.map((s) => `${s.name} (${s.reason.replace(/^backend "[^"]+" is not available: /, '').split(';')[0]})`).join(', ')}`;
}

/** The packages each backend needs. */
export const BACKEND_PACKAGES: Record<ConcreteBackend, string[]> = {
  'tensorflow-gpu': ['@tensorflow/tfjs-node-gpu'],
  webgpu: ['webgpu', '@tensorflow/tfjs-backend-webgpu'],
  tensorflow: ['@tensorflow/tfjs-node'],
  wasm: ['@tensorflow/tfjs-backend-wasm'],
  cpu: ['@tensorflow/tfjs-backend-cpu'],
};

/** `aem-train backends`: what each backend needs, where it is installed, and whether it starts here. */
export async function probeBackends(): Promise<BackendProbe[]> {
  const probes: BackendProbe[] = [];
  for (const name of BACKEND_ORDER) {
    const packages = BACKEND_PACKAGES[name].map((pkg) => {
      const found = packageLocation(pkg);
      return { name: pkg, ...(found ? { found } : {}) };
    });
    try {
      const info = await tryBackend(name, DEFAULT_PLAN);
      probes.push({ name, packages, available: true, ...(info.adapter ? { adapter: info.adapter } : {}), ...(name === 'webgpu' ? { path: info.path } : {}) });
    } catch (err) {
      if (!(err instanceof BackendUnavailableError)) throw err;
      probes.push({ name, packages, available: false, reason: err.message.replace(/^backend "[^"]+" is not available: /, '') });
    }
  }
  return probes;
}

export function formatBackendProbes(probes: BackendProbe[]): string {
  const lines: string[] = [];
  for (const p of probes) {
    lines.push(`${p.name}: ${p.available ? `available${p.adapter ? ` (${p.adapter})` : ''}${p.path === 'fused' ? ', fused path' : ''}` : 'not available'}`);
    for (const pkg of p.packages) lines.push(`  ${pkg.found ?? `${pkg.name}: not installed`}`);
    if (p.reason) lines.push(`  why not: ${p.reason}`);
  }
  return lines.join('\n');
}
