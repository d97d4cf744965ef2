// Opens the fused path's WebGPU device for a test, or says why the test cannot run here (the optional
// `webgpu` package is not installed, or Dawn finds no adapter: on a CPU machine that needs lavapipe,
// see .ci/lavapipe.sh).
import { openDawnAdapter, openFusedDevice, type FusedDevice } from '../../src/trainer/gpu/dawn.js';

export type WebGpuForTests = { gpu: FusedDevice; adapter: string; skip?: undefined } | { skip: string };

let opened: Promise<WebGpuForTests> | undefined;

export function webgpuForTests(): Promise<WebGpuForTests> {
  opened ??= (async () => {
    try {
      const dawn = await openDawnAdapter();
      return { gpu: await openFusedDevice(), adapter: dawn.name };
    } catch (err) {
      return { skip: `WebGPU tests not run: ${(err as Error).message.split('\n')[0]} (CI installs webgpu and lavapipe: .ci/run)` };
    }
  })();
  return opened;
}
