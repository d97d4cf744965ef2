// The shipped auto-lambda evidence: media/auto-lambda/*.aem.json are valid experiments of the documented
// grid, and auto-lambda.aemnb is a notebook whose saved outputs the renderer accepts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseExperiment } from '../../src/config/load.js';
import { deserializeNotebook } from '../../src/notebook/serializer.js';
import { parseQuery } from '../../src/notebook/query.js';
import { COMPARISON_MIME, ComparisonOutputSchema } from '../../src/protocol/notebook.js';

const dir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../media/auto-lambda');

test('the experiment set: lambda 0 and constant / cosine grids, auto at three targets, on three datasets', () => {
  const files = readdirSync(dir).filter((f) => f.endsWith('.aem.json')).sort();
  assert.equal(files.length, 9);
  for (const file of files) {
    const e = parseExperiment(readFileSync(path.join(dir, file), 'utf8'), file);
    assert.equal(e.name, file.replace('.aem.json', ''));
    assert.equal(e.data.format, 'synthetic');
    assert.equal(e.data.synthetic?.classes, file.includes('grade4') ? 4 : 2);
    assert.equal(e.data.synthetic?.preset, file.includes('c16') ? 'c16-like' : 'demo');
    assert.deepEqual(e.seeds, [0, 1, 2, 3, 4]);
    const kind = file.replace(/^auto-lambda-(demo|grade4|c16)-/, '').replace('.aem.json', '');
    assert.equal(e.aem.schedule, kind);
    if (kind === 'constant') assert.deepEqual(e.sweep['aem.lambda'], [0, 0.01, 0.1, 0.5]);
    if (kind === 'cosine') assert.deepEqual(e.sweep['aem.lambda'], [0.01, 0.1, 0.5]);
    if (kind === 'auto') assert.deepEqual(e.sweep['aem.targetEntropy'], [0.8, 0.95, 0.99]);
  }
});

test('the notebook: every query parses and every saved output is one the renderer accepts', () => {
  const nb = deserializeNotebook(readFileSync(path.join(dir, 'auto-lambda.aemnb')));
  const code = nb.cells.filter((c) => c.kind === 'code');
  assert.ok(code.length >= 6);
  const kinds: string[] = [];
  for (const cell of code) {
    parseQuery(cell.source);
    const item = cell.outputs[0]?.items.find((i) => i.mime === COMPARISON_MIME);
    assert.ok(item, `an output saved for: ${cell.source.split('\n')[0]}`);
    const output = ComparisonOutputSchema.parse(JSON.parse(new TextDecoder().decode(item.data)));
    kinds.push(output.kind);
    if (output.kind === 'sensitivity') assert.equal(output.bands.length, 3, 'the three auto targets as bands');
    if (output.kind === 'table') assert.ok(output.baseline !== null && output.versus != null, 'tested against ABMIL and the best fixed lambda');
  }
  assert.deepEqual([...new Set(kinds)].sort(), ['curves', 'sensitivity', 'table']);
});
