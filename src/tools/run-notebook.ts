// node out/src/tools/run-notebook.js <notebook.aemnb> <run-store root>...: runs every query cell over
// the run stores and writes the notebook back with its outputs (what "Run All" in VS Code does).
import { readFileSync, writeFileSync } from 'node:fs';
import { deserializeNotebook, serializeNotebook } from '../notebook/serializer.js';
import { runNotebookCells } from '../notebook/runCells.js';

const [file, ...roots] = process.argv.slice(2);
if (!file || roots.length === 0) {
  console.error('usage: node out/src/tools/run-notebook.js <notebook.aemnb> <run-store root>...');
  process.exit(2);
}
try {
  const model = runNotebookCells(deserializeNotebook(readFileSync(file)), roots);
  writeFileSync(file, serializeNotebook(model));
  console.log(`ran ${model.cells.filter((c) => c.kind === 'code').length} cells of ${file}`);
} catch (err) {
  console.error(`${file}: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
}
