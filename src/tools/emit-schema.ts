// Writes media/experiment.schema.json from the zod schema (VS Code's jsonValidation uses it for
// completion and hover docs). `--check` fails when the committed file is out of date.
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { ExperimentSchema } from '../config/schema.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const target = path.join(root, 'media', 'experiment.schema.json');

export function experimentJsonSchema(): string {
  const schema = z.toJSONSchema(ExperimentSchema, { io: 'input', unrepresentable: 'any' }) as Record<string, unknown>;
  return `${JSON.stringify({ ...schema, title: 'AEM Studio experiment (*.aem.json)', allowComments: true, allowTrailingCommas: true }, null, 2)}\n`;
}

const text = experimentJsonSchema();
if (process.argv.includes('--check')) {
  let current = '';
  try {
    current = readFileSync(target, 'utf8');
  } catch {
    // missing counts as out of date
  }
  if (current !== text) {
    process.stderr.write(`${path.relative(root, target)} is out of date: run \`npm run schema\`\n`);
    process.exit(1);
  }
} else {
  writeFileSync(target, text);
  process.stdout.write(`wrote ${path.relative(root, target)}\n`);
}
