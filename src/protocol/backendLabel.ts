// How a run's backend reads in logs, the terminal and the live charts' header: the backend, and on
// webgpu which execution path ran ("webgpu, fused path (webgpu 0.6.2, <adapter>)").
import type { BackendRecord } from './events.js';

export function backendLabel(b: Pick<BackendRecord, 'name' | 'tfName' | 'version' | 'adapter' | 'path'>): string {
  const adapter = b.adapter ? `, ${b.adapter}` : '';
  return b.path === 'fused' ? `${b.name}, fused path (webgpu ${b.version}${adapter})` : `${b.name} (tfjs ${b.tfName} ${b.version}${adapter})`;
}

/** The short form for a header cell: "webgpu (fused)", "webgpu (tfjs)", "wasm". */
export function backendShortLabel(b: Pick<BackendRecord, 'name' | 'path'>): string {
  return b.name === 'webgpu' && b.path ? `webgpu (${b.path})` : b.name;
}
