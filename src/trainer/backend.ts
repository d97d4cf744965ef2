// Picks the TensorFlow.js backend. `auto` tries each in order of preference and says why each one it
// skipped was skipped; an explicit choice that cannot run fails with a message saying how to get it.
// The engine never falls back silently: the chosen backend is printed and recorded in every run.
import * as tf from '@tensorflow/tfjs-core';
import { createRequire } from 'node:module';
import type { BackendChoice } from '../config/schema.js';

export type ConcreteBackend = Exclude<BackendChoice, 'auto'>;
export const BACKEND_ORDER: readonly ConcreteBackend[] = ['tensorflow-gpu', 'webgpu', 'tensorflow', 'wasm', 'cpu'];

export interface BackendInfo {
  name: ConcreteBackend;
  /** tfjs's own name for it ('tensorflow', 'webgpu', 'wasm', 'cpu'). */
  tfName: string;
  version: string;
  adapter?: string;
  /** Why each backend tried before this one was not used. */
  skipped: { name: ConcreteBackend; reason: string }[];
}

export class BackendUnavailableError extends Error {
  constructor(
    readonly backend: ConcreteBackend,
    reason: string,
  ) {
    super(`backend "${backend}" is not available: ${reason}`);
    this.name = 'BackendUnavailableError';
  }
}

const require = createRequire(import.meta.url);

const HOW_TO_INSTALL: Record<ConcreteBackend, string> = {
  'tensorflow-gpu':
    'install it with `npm install @tensorflow/tfjs-node-gpu` (its install downloads libtensorflow, and it needs CUDA 11.2 and cuDNN 8.1: libcudart.so.11.0)',
  webgpu: 'install it with `npm install webgpu @tensorflow/tfjs-backend-webgpu` (Dawn for Node); it also needs a GPU with a Vulkan, Metal or D3D12 driver',
  tensorflow: 'install it with `npm install @tensorflow/tfjs-node` (its install downloads libtensorflow from the internet)',
  wasm: 'reinstall the project dependencies (`npm ci`): @tensorflow/tfjs-backend-wasm is one of them',
  cpu: 'reinstall the project dependencies (`npm ci`)',
};

function packageVersion(name: string): string | undefined {
  try {
    return (require(`${name}/package.json`) as { version: string }).version;
  } catch {
    return undefined;
  }
}

async function loadOptional(name: string): Promise<boolean> {
  try {
    await import(name);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ERR_MODULE_NOT_FOUND' || (err as NodeJS.ErrnoException).code === 'MODULE_NOT_FOUND') return false;
    throw err;
  }
}

async function activate(tfName: string): Promise<void> {
  const ok = await tf.setBackend(tfName);
  await tf.ready();
  if (!ok || tf.getBackend() !== tfName) throw new Error(`tfjs could not start its "${tfName}" backend (it is running "${tf.getBackend()}")`);
}

interface WebGpuAdapterInfo {
  vendor?: string;
  architecture?: string;
  device?: string;
  description?: string;
}
interface WebGpuModule {
  create: (flags: string[]) => { requestAdapter: () => Promise<{ info?: WebGpuAdapterInfo } | null> };
  globals: Record<string, unknown>;
}

/** Tries one backend; returns its info, or throws BackendUnavailableError saying why not. */
async function tryBackend(name: ConcreteBackend): Promise<Omit<BackendInfo, 'skipped'>> {
  const fail = (why: string) => new BackendUnavailableError(name, `${why}; ${HOW_TO_INSTALL[name]}`);
  switch (name) {
    case 'tensorflow-gpu':
    case 'tensorflow': {
      const pkg = name === 'tensorflow' ? '@tensorflow/tfjs-node' : '@tensorflow/tfjs-node-gpu';
      const version = packageVersion(pkg);
      if (!version) throw fail(`${pkg} is not installed`);
      try {
        await import(pkg);
      } catch (err) {
        throw fail(`${pkg} ${version} is installed but failed to load (${(err as Error).message.split('\n')[0]})`);
      }
      await activate('tensorflow');
      return { name, tfName: 'tensorflow', version };
    }
    case 'webgpu': {
      const version = packageVersion('@tensorflow/tfjs-backend-webgpu');
      if (!packageVersion('webgpu') || !version) throw fail('the packages webgpu and @tensorflow/tfjs-backend-webgpu are not both installed');
      const dawnModule: string = 'webgpu'; // optional: not a dependency, so not resolved at compile time
      const dawn = (await import(dawnModule)) as WebGpuModule;
      Object.assign(globalThis, dawn.globals);
      const gpu = dawn.create([]);
      const adapter = await gpu.requestAdapter();
      if (!adapter) throw fail('Dawn found no WebGPU adapter on this machine');
      (globalThis as { navigator?: unknown }).navigator = { gpu };
      await loadOptional('@tensorflow/tfjs-backend-webgpu');
      await activate('webgpu');
      const info = adapter.info ?? {};
      const adapterName = [info.vendor, info.architecture, info.device, info.description].filter(Boolean).join(' ') || 'unknown adapter';
      return { name, tfName: 'webgpu', version, adapter: adapterName };
    }
    case 'wasm': {
      const version = packageVersion('@tensorflow/tfjs-backend-wasm');
      if (!version) throw fail('@tensorflow/tfjs-backend-wasm is not installed');
      await import('@tensorflow/tfjs-backend-wasm');
      await activate('wasm');
      const simd = tf.env().getBool('WASM_HAS_SIMD_SUPPORT');
      return { name, tfName: 'wasm', version, adapter: simd ? 'SIMD, 1 thread' : 'no SIMD, 1 thread' };
    }
    case 'cpu': {
      const version = packageVersion('@tensorflow/tfjs-backend-cpu');
      if (!version) throw fail('@tensorflow/tfjs-backend-cpu is not installed');
      await import('@tensorflow/tfjs-backend-cpu');
      await activate('cpu');
      return { name, tfName: 'cpu', version };
    }
  }
}

export async function selectBackend(choice: BackendChoice): Promise<BackendInfo> {
  if (choice !== 'auto') return { ...(await tryBackend(choice)), skipped: [] };
  const skipped: BackendInfo['skipped'] = [];
  for (const name of BACKEND_ORDER) {
    try {
      return { ...(await tryBackend(name)), skipped };
    } catch (err) {
      if (!(err instanceof BackendUnavailableError)) throw err;
      skipped.push({ name, reason: err.message });
    }
  }
  throw new Error(`no TensorFlow.js backend could start:\n${skipped.map((s) => `  ${s.reason}`).join('\n')}`);
}

export function describeBackend(info: BackendInfo): string {
  const main = `${info.name} (tfjs ${info.tfName} ${info.version}${info.adapter ? `, ${info.adapter}` : ''})`;
  return info.skipped.length === 0 ? main : `${main}; skipped: ${info.skipped.map((s) => `${s.name} (${s.reason.replace(/^backend "[^"]+" is not available: /, '').split(';')[0]})`).join(', ')}`;
}
