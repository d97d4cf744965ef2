// tfjs-backend-wasm's threaded SIMD build, started inside the engine's Node process.
//
// tfjs never picks that build under Node (WASM_HAS_MULTITHREAD_SUPPORT is false there, tfjs issue 3830)
// and its init() hands Emscripten a Blob and a blob: URL, which Node's worker_threads cannot load. The
// Emscripten module itself runs under Node when given files: its pthread workers load the worker script
// from a file and the module's source from `mainScriptUrlOrBlob`. Measured on a 2-vCPU machine, a
// [8000, 1024] x [1024, 512] matMul takes 481 ms on 2 threads against 1,001 ms on the SIMD build, with the
// same result to the last bit (docs/cpu.md).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { MAX_WASM_THREADS } from '../config/schema.js';
import { BackendWasm, setThreadsCount } from '@tensorflow/tfjs-backend-wasm';
import type { BackendWasmModule, WasmFactoryConfig } from '@tensorflow/tfjs-backend-wasm/wasm-out/tfjs-backend-wasm.js';
import * as threadedImport from '@tensorflow/tfjs-backend-wasm/wasm-out/tfjs-backend-wasm-threaded-simd.js';
import { wasmWorkerContents } from '@tensorflow/tfjs-backend-wasm/wasm-out/tfjs-backend-wasm-threaded-simd.worker.js';

type ModuleFactory = (config: WasmFactoryConfig) => Promise<BackendWasmModule>;
// A CommonJS module: its export is the factory itself (as tfjs-backend-wasm imports it).
const threadedFactory = ((threadedImport as unknown as { default?: ModuleFactory }).default ?? threadedImport) as unknown as ModuleFactory;

interface EmscriptenWorker {
  unref(): void;
}
interface ThreadedModule extends BackendWasmModule {
  PThread: { runningWorkers: EmscriptenWorker[]; unusedWorkers: EmscriptenWorker[] };
}

/** The threads and backend factory this process registered (one threaded module per process). */
let registered: number | undefined;
let registeredFactory: (() => Promise<BackendWasm>) | undefined;

export class WasmThreadsError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'WasmThreadsError';
  }
}

/**
 * Registers tfjs's "wasm" backend on the threaded SIMD build with `threads` XNNPACK threads (2 or more).
 * The caller activates it and checks activeWasmThreads(): the engine never runs on fewer threads than it
 * says.
 */
export async function registerThreadedWasm(threads: number): Promise<void> {
  // Its pthread pool is 8 workers, each instantiating the module: start it once.
  if (registered === threads && tf.findBackendFactory('wasm') === registeredFactory) return;
  if (!Number.isInteger(threads) || threads < 2 || threads > MAX_WASM_THREADS) throw new WasmThreadsError(`wasm threads must be an integer from 2 to ${MAX_WASM_THREADS}, got ${threads}`);
  if (typeof SharedArrayBuffer === 'undefined') throw new WasmThreadsError('this Node has no SharedArrayBuffer, which the threaded wasm build needs');
  const scripts = writeWorkerScripts();
  const module = await instantiateWithCores(2 * threads, () =>
    threadedFactory({
      locateFile: (file: string, prefix: string) => (file.endsWith('.worker.js') ? scripts.worker : prefix + file),
      mainScriptUrlOrBlob: scripts.main,
    }),
  ) as ThreadedModule;
  attachTfjsBindings(module);
  setThreadsCount(threads);
  const factory = async () => {
    const backend = new BackendWasm(module);
    // The pthread pool's workers would keep the process alive after the run; they only compute for it.
    for (const worker of [...module.PThread.runningWorkers, ...module.PThread.unusedWorkers]) worker.unref();
    return backend;
  };
  tf.removeBackend('wasm');
  tf.registerBackend('wasm', factory);
  registered = threads;
  registeredFactory = factory;
}

/** XNNPACK threads of the active "wasm" backend. */
export function activeWasmThreads(): number {
  const backend = tf.backend() as unknown as { wasm?: BackendWasmModule };
  // The single-threaded builds have no thread pool (-1).
  return Math.max(1, backend.wasm?.tfjs.getThreadsCount() ?? 1);
}

/**
 * Worker scripts as files: Emscripten's worker under Node loads the module's source with `fs` + eval.
 * In the engine bundle, esbuild renames `__dirname`, `__filename` (src/tools/build.mjs) and `require`
 * (`__require`), so the module's source gets those names defined first. Removed when the process exits.
 */
function writeWorkerScripts(): { worker: string; main: string } {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'aem-wasm-threads-'));
  process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
  const worker = path.join(dir, 'worker.js');
  const main = path.join(dir, 'main.js');
  // tfjs escapes the newlines inside the worker source's string literals the same way before its Blob.
  writeFileSync(worker, wasmWorkerContents.replace(/\n/g, '\\n'));
  const here = JSON.stringify(path.join(dir, 'main.js'));
  const names = `var __aemFilename = ${here}, __aemDirname = ${JSON.stringify(dir)}, __require = require;`;
  writeFileSync(main, `${names}\nvar WasmBackendModuleThreadedSimd = ${threadedFactory.toString()};\n`);
  return { worker, main };
}

/**
 * tfjs's C++ caps the thread pool at half the logical cores Emscripten reports (it assumes two hardware
 * threads per core), and Emscripten reads them from os.cpus() once, while the module starts. On a 2-vCPU
 * machine that cap is 1; the engine decides the threads itself (compute.threads), so the module is shown
 * `cores` while it starts, and os.cpus is restored as soon as it has.
 */
async function instantiateWithCores<T>(cores: number, start: () => Promise<T>): Promise<T> {
  const realCpus = os.cpus;
  os.cpus = () => {
    const cpus = realCpus();
    return Array.from({ length: cores }, (_, i) => cpus[i % cpus.length] as os.CpuInfo);
  };
  try {
    return await start();
  } finally {
    os.cpus = realCpus;
  }
}

/** The bindings tfjs's own init() adds to its module (tfjs-backend-wasm/dist/backend_wasm.js). */
function attachTfjsBindings(module: BackendWasmModule): void {
  const m = module as BackendWasmModule & { cwrap: (name: string, ret: string | null, args: string[]) => (...a: number[]) => number };
  module.tfjs = {
    init: m.cwrap('init', null, []),
    initWithThreadsCount: m.cwrap('init_with_threads_count', null, ['number']),
    getThreadsCount: m.cwrap('get_threads_count', 'number', []),
    registerTensor: m.cwrap('register_tensor', null, ['number', 'number', 'number']),
    disposeData: m.cwrap('dispose_data', null, ['number']),
    dispose: m.cwrap('dispose', null, []),
  };
}
