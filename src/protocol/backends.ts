// What `aem-train backends --json` prints: one probe per backend, in the engine's order of preference.
// The extension runs that command after Set Up Backend and validates the answer with this schema.
import { z } from 'zod';

export const BackendProbeSchema = z.object({
  name: z.enum(['tensorflow-gpu', 'webgpu', 'tensorflow', 'wasm', 'cpu']),
  /** Each package: where it was found ("name version from folder"), absent when it is in no searched folder. */
  packages: z.array(z.object({ name: z.string(), found: z.string().optional() })),
  /** Whether it started here (each installed one is tried), its adapter, or why not. */
  available: z.boolean(),
  adapter: z.string().optional(),
  /** webgpu: the execution path auto takes there (fused WebGPU kernels where they cover the model). */
  path: z.enum(['fused', 'tfjs']).optional(),
  reason: z.string().optional(),
});
export type BackendProbe = z.infer<typeof BackendProbeSchema>;

export const BackendProbesSchema = z.array(BackendProbeSchema);

/** The probes in the engine's output; throws with the validation problem when it is not that. */
export function parseBackendProbes(text: string): BackendProbe[] {
  const line = text.split('\n').find((l) => l.trim().startsWith('['));
  if (line === undefined) throw new Error('the engine printed no backend list');
  const parsed = BackendProbesSchema.safeParse(JSON.parse(line));
  if (!parsed.success) throw new Error(`the engine's backend list is malformed: ${parsed.error.issues[0]?.message ?? 'unknown'}`);
  return parsed.data;
}
