// compute.parallel "auto": how many runs of an experiment train at once. Seeds, folds and sweep values
// are independent runs, so they fill the cores: each run takes the threads its backend computes on
// (wasm: compute.threads, one when that is "auto"; cpu: one; tfjs-node: every core, so one run at a
// time; a GPU backend: the one device, one run). Never below 1. Memory is not counted: each run's bag
// cache is at most compute.cacheMB.
// compute.threads "auto": the cores shared out over the runs that train at once, on wasm.
import os from 'node:os';
import { MAX_WASM_THREADS, type BackendChoice, type ComputeConfig } from '../config/schema.js';
import { findOptionalModule } from './optionalModules.js';

export interface MachineResources {
  cores: number;
}

export interface ParallelResolution {
  runs: number;
  /** Why that many, for the log: "2 runs at once (2 cores, 1 thread per run on wasm, ...)". */
  reason: string;
}

/** The backend an `auto` backend would start here, judged by which optional packages are installed. */
export type ParallelBackend = Exclude<BackendChoice, 'auto'> | 'auto:gpu-or-tensorflow';

export function threadsPerRun(backend: ParallelBackend, cores: number, wasmThreads: ComputeConfig['threads'] = 1): number | 'device' {
  switch (backend) {
    case 'wasm':
      return wasmThreads === 'auto' ? 1 : wasmThreads;
    case 'cpu':
      return 1;
    case 'tensorflow':
      return cores;
    default:
      return 'device';
  }
}

export function resolveParallel(parallel: ComputeConfig['parallel'], backend: ParallelBackend, machine: MachineResources, wasmThreads: ComputeConfig['threads'] = 1): ParallelResolution {
  if (parallel !== 'auto') return { runs: parallel, reason: `compute.parallel ${parallel}` };
  const threads = threadsPerRun(backend, machine.cores, wasmThreads);
  if (threads === 'device') {
    const what = backend === 'auto:gpu-or-tensorflow' ? 'backend auto with a GPU or tfjs-node backend installed' : `backend ${backend}`;
    return { runs: 1, reason: `compute.parallel "auto": 1 run at a time (${what}: the runs would share one device)` };
  }
  const runs = Math.max(1, Math.floor(machine.cores / threads));
  const perRun = threads === machine.cores && threads > 1 ? 'every core per run' : `${threads} thread${threads === 1 ? '' : 's'} per run`;
  return { runs, reason: `compute.parallel "auto": ${runs} run${runs === 1 ? '' : 's'} at once (${machine.cores} core${machine.cores === 1 ? '' : 's'}, ${perRun} on ${backend})` };
}

/** An `auto` backend picks tensorflow-gpu, webgpu or tensorflow before wasm when installed. */
export function parallelBackendOf(choice: BackendChoice, installed: (pkg: string) => boolean = (pkg) => findOptionalModule(pkg) !== undefined): ParallelBackend {
  if (choice !== 'auto') return choice;
  return ['@tensorflow/tfjs-node-gpu', 'webgpu', '@tensorflow/tfjs-node'].some(installed) ? 'auto:gpu-or-tensorflow' : 'wasm';
}

export function machineResources(): MachineResources {
  return { cores: os.availableParallelism() };
}

/** What `parallel` resolves to for this compute section on this machine. */
export function resolveComputeParallel(compute: Pick<ComputeConfig, 'parallel' | 'backend'> & Partial<Pick<ComputeConfig, 'threads'>>, machine: MachineResources = machineResources(), installed?: (pkg: string) => boolean): ParallelResolution {
  if (compute.parallel !== 'auto') return resolveParallel(compute.parallel, 'wasm', machine);
  return resolveParallel('auto', parallelBackendOf(compute.backend, installed), machine, compute.threads ?? 1);
}

export interface ThreadsResolution {
  threads: number;
  /** Why that many, for the log; absent when the backend chooses its own threads. */
  reason?: string;
}

/**
 * The wasm threads of each run when `lanes` runs train at once. A number is taken as it is (for wasm);
 * "auto" shares the cores out, at least 1 and at most MAX_WASM_THREADS. Backends other than wasm keep 1
 * (they choose their own threads; the value only reaches the wasm backend).
 */
export function resolveThreads(threads: ComputeConfig['threads'], lanes: number, backend: ParallelBackend, machine: MachineResources = machineResources()): ThreadsResolution {
  if (backend !== 'wasm') return { threads: 1 };
  if (threads !== 'auto') return { threads, reason: `compute.threads ${threads}` };
  const shared = Math.min(MAX_WASM_THREADS, Math.max(1, Math.floor(machine.cores / Math.max(1, lanes))));
  return { threads: shared, reason: `compute.threads "auto": ${shared} wasm thread${shared === 1 ? '' : 's'} per run (${machine.cores} core${machine.cores === 1 ? '' : 's'}, ${lanes} run${lanes === 1 ? '' : 's'} at once)` };
}

/** What `threads` resolves to for this compute section when `lanes` runs train at once. */
export function resolveComputeThreads(compute: Pick<ComputeConfig, 'backend'> & Partial<Pick<ComputeConfig, 'threads'>>, lanes: number, machine: MachineResources = machineResources(), installed?: (pkg: string) => boolean): ThreadsResolution {
  return resolveThreads(compute.threads ?? 1, lanes, parallelBackendOf(compute.backend, installed), machine);
}
