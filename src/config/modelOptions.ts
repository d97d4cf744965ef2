// Which options each model.arch accepts, and a model config carried over to another arch: what a sweep
// over model.arch needs, so each run gets only the options its own arch takes.
import { archAccepts, archSchema, ModelSchema, type ModelConfig } from './schema.js';

export { archAccepts };

/** The options (besides arch) model.arch `arch` accepts; empty for an unknown arch. */
export function archOptions(arch: string): string[] {
  const schema = archSchema(arch);
  return schema ? Object.keys(schema.shape).filter((k) => k !== 'arch') : [];
}

/**
 * `model` as model.arch `arch`: the options that arch accepts keep their values, the others are dropped,
 * and the new arch's own options take their defaults. Throws for an arch that does not exist.
 */
export function withArch(model: ModelConfig, arch: string): ModelConfig {
  if (!archSchema(arch)) throw new Error(`model.arch "${arch}" does not exist`);
  if (model.arch === arch) return model;
  const kept = Object.fromEntries(Object.entries(model).filter(([name, value]) => value !== undefined && archAccepts(arch, name, value)));
  const parsed = ModelSchema.safeParse({ ...kept, arch });
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new Error(`model as model.arch "${arch}": ${issue ? `model.${issue.path.join('.')}: ${issue.message}` : 'invalid'}`);
  }
  return parsed.data;
}
