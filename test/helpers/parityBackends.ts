// The backends the golden parity tests run on: cpu, wasm (SIMD, one thread) and wasm's threaded SIMD
// build on two threads (compute.threads 2), which must give the reference values just as well.
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { selectBackend, type BackendInfo } from '../../src/trainer/backend.js';
import { activeWasmThreads } from '../../src/trainer/wasmThreads.js';

export interface ParityBackend {
  backend: 'cpu' | 'wasm';
  threads: number;
  label: string;
}

export const PARITY_BACKENDS: readonly ParityBackend[] = [
  { backend: 'cpu', threads: 1, label: 'cpu' },
  { backend: 'wasm', threads: 1, label: 'wasm' },
  { backend: 'wasm', threads: 2, label: 'wasm, 2 threads' },
];

/** Starts the backend and checks it runs as asked: its tfjs name and, on wasm's threaded build, the threads XNNPACK reports. */
export async function startParityBackend(b: ParityBackend): Promise<BackendInfo> {
  const info = await selectBackend(b.backend, undefined, b.threads);
  assert.equal(tf.getBackend(), info.tfName);
  if (b.threads > 1) {
    assert.equal(activeWasmThreads(), b.threads);
    assert.match(info.adapter ?? '', new RegExp(`^SIMD, ${b.threads} threads$`));
  }
  return info;
}
