// Lines a training worker prints that tell the user nothing: libraries' banners and notices. They are
// dropped before the worker's output is forwarded as log events, so that they neither fill the log nor
// become the "last output" quoted when a worker crashes. Add a pattern for each new kind of noise.
export const WORKER_NOISE_PATTERNS: RegExp[] = [
  // tfjs-backend-cpu, on its first tensor in Node: "Hi, looks like you are running TensorFlow.js in
  // Node.js. To speed things up dramatically, install our node backend ...", between two rules of "=".
  /^\s*Hi, looks like you are running TensorFlow\.js in Node\.js\b/,
  /^\s*={10,}\s*$/,
  // Dawn (the `webgpu` package), on every device it opens: "Warning: maxDynamicUniformBuffersPerPipelineLayout
  // artificially reduced from 1000000 to 16 to fit dynamic offset allocation limit." (twice; harmless).
  /^Warning: maxDynamic\w+PerPipelineLayout artificially reduced\b/,
  // A GPU backend loaded from AEM_BACKEND_MODULES brings its own tfjs-core, which sets the same platform again.
  /^\s*Platform node has already been set\. Overwriting the platform with node\.?\s*$/,
];

export function isWorkerNoise(line: string, patterns: readonly RegExp[] = WORKER_NOISE_PATTERNS): boolean {
  return patterns.some((p) => p.test(line));
}
