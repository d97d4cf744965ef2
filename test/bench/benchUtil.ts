import { readdirSync, statSync } from 'node:fs';
import path from 'node:path';

/** Total size of the files in a folder (not recursive). */
export function dirSizeBytes(dir: string): number {
  return readdirSync(dir).reduce((sum, f) => sum + statSync(path.join(dir, f)).size, 0);
}
