import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The project root, from a compiled test file under out/test/. */
export const projectRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
export const goldenDir = path.resolve(projectRoot, '../shared/golden');

/** |actual - expected| <= abs + rel * |expected|: the golden README's tolerance for float32 maths. */
export function close(actual: number, expected: number, rel = 1e-4, abs = 1e-5): boolean {
  return Math.abs(actual - expected) <= abs + rel * Math.abs(expected);
}
