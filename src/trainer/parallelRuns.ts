// compute.parallel "auto": how many runs of an experiment train at once. Seeds, folds and sweep values
// are independent runs, so they fill the cores: each run takes the threads its backend computes on
// (wasm and cpu: one; tfjs-node: every core, so one run at a time; a GPU backend: the one device, one
// run). Never below 1. Memory is not counted: each run's bag cache is at most compute.cacheMB.
import os from 'node:os';
import type { BackendChoice, ComputeConfig } from '../config/schema.js';
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

export function threadsPerRun(backend: ParallelBackend, cores: number): number | 'device' {
  switch (backend) {
    case 'wasm':
    case 'cpu':
      return 1;
    case 'tensorflow':
      return cores;
    default:
      return 'device';
  }
}

export function resolveParallel(parallel: ComputeConfig['parallel'], backend: ParallelBackend, machine: MachineResources): ParallelResolution {
  if (parallel !== 'auto') return { runs: parallel, reason: `compute.parallel ${parallel}` };
  const threads = threadsPerRun(backend, machine.cores);
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
export function resolveComputeParallel(compute: Pick<ComputeConfig, 'parallel' | 'backend'>, machine: MachineResources = machineResources(), installed?: (pkg: string) => boolean): ParallelResolution {
  if (compute.parallel !== 'auto') return resolveParallel(compute.parallel, 'wasm', machine);
  return resolveParallel('auto', parallelBackendOf(compute.backend, installed), machine);
}
