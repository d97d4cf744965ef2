// The error of a model or option the fused WebGPU path does not implement (coverage.ts lists them).
/** A model or option the fused path does not implement; the message says what to change. */
export class FusedUnsupportedError extends Error {
  constructor(readonly feature: string) {
    super(`the fused WebGPU path does not support ${feature}: set compute.gpuPath to "tfjs" (needs @tensorflow/tfjs-backend-webgpu) or change that setting`);
    this.name = 'FusedUnsupportedError';
  }
}
