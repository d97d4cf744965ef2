// A GPUDevice wrapper that counts, at the device itself, what a piece of code asks of it: compute
// dispatches, queue submits (and the command buffers in them) and buffers created. Calls go to the real
// objects; the fused path's dispatch test and the GPU bench use it.

export interface DeviceCounts {
  dispatches: number;
  submits: number;
  buffers: number;
  commandBuffers: number;
}

export const zeroCounts = (): DeviceCounts => ({ dispatches: 0, submits: 0, buffers: 0, commandBuffers: 0 });

/** Calls go to the real object; the listed methods count first (and may wrap what they return). */
function spy<T extends object>(target: T, on: Partial<Record<string, (result: unknown, args: unknown[]) => unknown>>): T {
  return new Proxy(target, {
    get(t, prop) {
      const value = Reflect.get(t, prop, t) as unknown;
      if (typeof value !== 'function') return value;
      const hook = typeof prop === 'string' ? on[prop] : undefined;
      return (...args: unknown[]) => {
        const result = (value as (...a: unknown[]) => unknown).apply(t, args);
        return hook ? hook(result, args) : result;
      };
    },
    // Native setters (onuncapturederror) check their receiver: set on the real object.
    set: (t, prop, value) => Reflect.set(t, prop, value, t),
  });
}

export function countingDevice(device: GPUDevice, counts: DeviceCounts): GPUDevice {
  const queue = spy(device.queue, {
    submit: (r, args) => {
      counts.submits += 1;
      counts.commandBuffers += (args[0] as unknown[]).length;
      return r;
    },
  });
  const wrapPass = (pass: unknown) =>
    spy(pass as GPUComputePassEncoder, {
      dispatchWorkgroups: (r) => {
        counts.dispatches += 1;
        return r;
      },
    });
  const wrapEncoder = (encoder: unknown) => spy(encoder as GPUCommandEncoder, { beginComputePass: (p) => wrapPass(p) });
  const wrapped = spy(device, {
    createBuffer: (r) => {
      counts.buffers += 1;
      return r;
    },
    createCommandEncoder: (e) => wrapEncoder(e),
  });
  return new Proxy(wrapped, { get: (t, prop) => (prop === 'queue' ? queue : Reflect.get(t, prop)), set: (t, prop, value) => Reflect.set(t, prop, value) });
}
