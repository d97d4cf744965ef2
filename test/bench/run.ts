// `npm run bench`: runs each benchmark module in turn and prints its figures.
// A benchmark module exports `run(args)`; pass names to run a subset: `npm run bench -- readers`.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

const here = path.dirname(fileURLToPath(import.meta.url));
const all = ['step', 'ops', 'kernels', 'vs-torch', 'models', 'readers', 'cache', 'epoch', 'charts', 'maps', 'gpu'];
// Bench names that are not their file's name.
const FILES: Record<string, string> = { 'vs-torch': 'vsTorch' };
const wanted = process.argv.slice(2).filter((a) => !a.startsWith('-'));
const names = wanted.length > 0 ? wanted : all;

for (const name of names) {
  const file = path.join(here, `${FILES[name] ?? name}.bench.js`);
  if (!existsSync(file)) {
    console.error(`bench: no benchmark named "${name}" (have: ${all.join(', ')})`);
    process.exitCode = 2;
    continue;
  }
  const mod = (await import(file)) as { run: (args: string[]) => Promise<void> };
  console.log(`\n== ${name} ==`);
  await mod.run(process.argv.slice(2));
}
