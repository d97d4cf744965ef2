// Opens WebGPU in Node through Dawn (the `webgpu` npm package, an optional install): one adapter per
// process, and devices with the adapter's own buffer limits (the defaults cap a binding at 128 MiB,
// a bag of 33,000 instances x 1024 features), one device per process.
import { describeFound, loadModule, requireOptionalModule, type FoundModule } from '../optionalModules.js';

interface DawnModule {
  create: (flags: string[]) => GPU;
  globals: Record<string, unknown>;
}

export interface DawnAdapter {
  /** Dawn's GPU object (navigator.gpu in a browser; only tfjs-backend-webgpu needs it published there). */
  gpu: GPU;
  adapter: GPUAdapter;
  /** "vendor architecture device description" as the adapter reports it. */
  name: string;
  found: FoundModule;
  hasF16: boolean;
}

let opened: Promise<DawnAdapter> | undefined;

/** Dawn's adapter; throws with the reason (package missing or unloadable, no adapter). */
export function openDawnAdapter(): Promise<DawnAdapter> {
  opened ??= (async () => {
    const found = requireOptionalModule('webgpu');
    const dawn = await loadModule<DawnModule>(found);
    Object.assign(globalThis, dawn.globals);
    const gpu = dawn.create([]);
    const adapter = await gpu.requestAdapter({ powerPreference: 'high-performance' });
    if (!adapter) throw new NoAdapterError(`Dawn (${describeFound(found)}) found no WebGPU adapter on this machine`);
    const info = adapter.info;
    const name = [info.vendor, info.architecture, info.device, info.description].filter(Boolean).join(' ') || 'unknown adapter';
    return { gpu, adapter, name, found, hasF16: adapter.features.has('shader-f16') };
  })();
  opened.catch(() => (opened = undefined));
  return opened;
}

export class NoAdapterError extends Error {
  override name = 'NoAdapterError';
}

export interface FusedDevice {
  device: GPUDevice;
  /** Largest storage binding, bytes. */
  maxBinding: number;
}

let device: Promise<FusedDevice> | undefined;

/**
 * The process's one device for the fused path (an adapter gives out a single device), with the
 * adapter's own limits; every fused runner of the process shares it and frees its own buffers.
 */
export function openFusedDevice(): Promise<FusedDevice> {
  device ??= (async () => {
    const dawn = await openDawnAdapter();
    const limits = dawn.adapter.limits;
    const d = await dawn.adapter.requestDevice({
      requiredLimits: {
        maxStorageBufferBindingSize: limits.maxStorageBufferBindingSize,
        maxBufferSize: limits.maxBufferSize,
        maxStorageBuffersPerShaderStage: Math.min(limits.maxStorageBuffersPerShaderStage, 8),
      },
    });
    void d.lost.then(() => (device = undefined));
    return { device: d, maxBinding: Math.min(limits.maxStorageBufferBindingSize, limits.maxBufferSize) };
  })();
  device.catch(() => (device = undefined));
  return device;
}
