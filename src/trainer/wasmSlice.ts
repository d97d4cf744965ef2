// tfjs-backend-wasm 4.x's Slice kernel starts with backend.readSync(x), which copies the whole input out
// of the wasm heap, so every slice costs the size of its input rather than of its output: 2.0 ms against
// 0.5 ms for one 256 KiB head of a 2 MiB tensor (`npm run bench -- kernels`). Models that slice heads,
// pseudo-bags or a fused q|k|v product paid that per slice. This kernel reads the input through a view of the heap.
// Same contract as the library's: begin/size as tf.slice takes them, any rank, string tensors left to it.
import * as tf from '@tensorflow/tfjs-core';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';

/** The same slice with trailing axes taken whole merged into one, so each copied run is as long as it can be. */
function mergeWholeAxes(shape: number[], begin: number[], size: number[]): { shape: number[]; begin: number[]; size: number[] } {
  let k = shape.length - 1;
  while (k > 0 && size[k] === shape[k]) k--;
  const tail = shape.slice(k + 1).reduce((a, b) => a * b, 1);
  return {
    shape: [...shape.slice(0, k), (shape[k] as number) * tail],
    begin: [...begin.slice(0, k), (begin[k] as number) * tail],
    size: [...size.slice(0, k), (size[k] as number) * tail],
  };
}

type HeapArray = Float32Array | Int32Array | Uint8Array;

/** Copies the slice of x given by begin/size into out, one contiguous run at a time. */
function copySlice(x: HeapArray, fullShape: number[], fullBegin: number[], fullSize: number[], out: HeapArray): void {
  const { shape, begin, size } = mergeWholeAxes(fullShape, fullBegin, fullSize);
  const rank = shape.length;
  const strides = tf.util.computeStrides(shape);
  const run = size[rank - 1] as number;
  const outer = size.slice(0, -1);
  const rows = outer.reduce((a, b) => a * b, 1);
  const index = new Array<number>(rank - 1).fill(0);
  for (let r = 0; r < rows; r++) {
    let offset = begin[rank - 1] as number;
    for (let d = 0; d < rank - 1; d++) offset += ((begin[d] as number) + (index[d] as number)) * (strides[d] as number);
    out.set(x.subarray(offset, offset + run), r * run);
    for (let d = rank - 2; d >= 0; d--) {
      index[d] = (index[d] as number) + 1;
      if ((index[d] as number) < (outer[d] as number)) break;
      index[d] = 0;
    }
  }
}

export type WasmSliceKernel = 'library' | 'in-place';

let library: tf.KernelConfig | undefined;
let active: WasmSliceKernel = 'library';

function inPlaceSlice(fallback: tf.KernelConfig): tf.KernelConfig {
  return {
    kernelName: tf.Slice,
    backendName: 'wasm',
    ...(fallback.setupFunc ? { setupFunc: fallback.setupFunc } : {}),
    kernelFunc: (args) => {
      const x = args.inputs['x'] as tf.TensorInfo;
      if (x.dtype === 'string' || x.shape.length === 0) return fallback.kernelFunc(args);
      const backend = args.backend as BackendWasm;
      const attrs = args.attrs as unknown as tf.SliceAttrs;
      const [begin, size] = tf.slice_util.parseSliceParams(x, attrs.begin, attrs.size) as [number[], number[]];
      // The output first: allocating it may grow the heap, which detaches views taken before.
      const out = backend.makeOutput(size, x.dtype);
      if (tf.util.sizeFromShape(size) === 0) return out;
      copySlice(backend.typedArrayFromHeap(x), x.shape, begin, size, backend.typedArrayFromHeap(out));
      return out;
    },
  };
}

/**
 * Which Slice kernel wasm runs: 'in-place' (the engine's, set by selectBackend) or the library's own
 * (benchmarks and the test that compares the two). Call after tfjs-backend-wasm is imported.
 */
export function useWasmSliceKernel(which: WasmSliceKernel): void {
  library ??= tf.getKernel(tf.Slice, 'wasm');
  if (!library) throw new Error('useWasmSliceKernel: tfjs-backend-wasm has not registered its Slice kernel');
  if (which === active) return;
  tf.unregisterKernel(tf.Slice, 'wasm');
  tf.registerKernel(which === 'library' ? library : inPlaceSlice(library));
  active = which;
}
