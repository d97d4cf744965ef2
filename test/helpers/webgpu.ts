// Opens the fused path's WebGPU device for a test, or says why the test cannot run here (the optional
// `webgpu` package is not installed, or Dawn finds no adapter: on a CPU machine that needs lavapipe,
// see .ci/webgpu.sh). With AEM_REQUIRE_WEBGPU=1 (as .ci/run sets it) a missing adapter fails the test.
import { openDawnAdapter, openFusedDevice, type FusedDevice } from '../../src/trainer/gpu/dawn.js';

export type WebGpuForTests = { gpu: FusedDevice; adapter: string; skip?: undefined } | { skip: string };

let opened: Promise<WebGpuForTests> | undefined;

export function webgpuForTests(): Promise<WebGpuForTests> {
  opened ??= (async () => {
    try {
      const dawn = await openDawnAdapter();
      return { gpu: await openFusedDevice(), adapter: dawn.name };
    } catch (err) {
      // CI installs WebGPU on purpose: there a missing adapter is a failure, not a reason to skip.
      if (process.env.AEM_REQUIRE_WEBGPU === '1') throw new Error(`AEM_REQUIRE_WEBGPU=1 but WebGPU cannot start: ${(err as Error).message}`);
      return { skip: `WebGPU tests not run: ${(err as Error).message.split('\n')[0]} (CI installs webgpu and lavapipe: .ci/run)` };
    }
  })();
  return opened;
}
