import { test } from 'node:test';
import assert from 'node:assert/strict';
import { deserializeNotebook, NotebookFormatError, serializeNotebook, type NotebookModel } from '../../src/notebook/serializer.js';
import { compareSeedsNotebook } from '../../src/notebook/template.js';

const enc = new TextEncoder();
const dec = new TextDecoder();

function sample(): NotebookModel {
  return {
    cells: [
      { kind: 'markdown', language: 'markdown', source: '# Notes\n\nlambda 0.1 looks *better*.\n', outputs: [] },
      {
        kind: 'code',
        language: 'yaml',
        source: 'runs: demo/*\nshow: table',
        outputs: [
          {
            items: [
              { mime: 'application/vnd.aem-studio.comparison+json', data: enc.encode(JSON.stringify({ kind: 'table', zeta: 1, alpha: [1, 2] })) },
              { mime: 'text/markdown', data: enc.encode('| a |\n| --- |\n| 1 |') },
              { mime: 'image/png', data: new Uint8Array([137, 80, 78, 71, 0, 255]) },
            ],
          },
        ],
      },
    ],
  };
}

test('round trip: bytes -> model -> bytes is identical, and the model keeps sources and outputs', () => {
  const bytes = serializeNotebook(sample());
  const model = deserializeNotebook(bytes);
  assert.deepEqual(serializeNotebook(model), bytes);
  assert.equal(model.cells[0]?.source, '# Notes\n\nlambda 0.1 looks *better*.\n');
  assert.equal(model.cells[1]?.source, 'runs: demo/*\nshow: table');
  const items = model.cells[1]?.outputs[0]?.items ?? [];
  assert.deepEqual(JSON.parse(dec.decode(items[0]?.data)), { kind: 'table', zeta: 1, alpha: [1, 2] });
  assert.equal(dec.decode(items[1]?.data), '| a |\n| --- |\n| 1 |');
  assert.deepEqual([...(items[2]?.data ?? [])], [137, 80, 78, 71, 0, 255]);
});

test('the file is diff-friendly JSON: sorted keys, 2-space indent, sources as lines, JSON outputs as JSON, trailing newline', () => {
  const text = dec.decode(serializeNotebook(sample()));
  assert.ok(text.endsWith('}\n'));
  assert.ok(text.startsWith('{\n  "cells": [\n'));
  const parsed = JSON.parse(text) as { cells: { source: string[]; outputs: { items: Record<string, unknown>[] }[] }[]; format: string; version: number };
  assert.equal(parsed.format, 'aem-notebook');
  assert.equal(parsed.version, 1);
  assert.deepEqual(parsed.cells[1]?.source, ['runs: demo/*', 'show: table']);
  const json = parsed.cells[1]?.outputs[0]?.items[0];
  assert.deepEqual(json?.json, { alpha: [1, 2], kind: 'table', zeta: 1 });
  assert.deepEqual(Object.keys(json?.json as object), ['alpha', 'kind', 'zeta'], 'keys sorted');
  assert.deepEqual(parsed.cells[1]?.outputs[0]?.items[1]?.text, ['| a |', '| --- |', '| 1 |']);
  assert.equal(parsed.cells[1]?.outputs[0]?.items[2]?.base64, 'iVBORwD/');
});

test('an empty file is an empty notebook; anything else that is not an AEM notebook is refused with the reason', () => {
  assert.deepEqual(deserializeNotebook(new Uint8Array()), { cells: [] });
  assert.throws(() => deserializeNotebook(enc.encode('{ nope')), (e: unknown) => e instanceof NotebookFormatError && /invalid JSON/.test(e.message));
  assert.throws(() => deserializeNotebook(enc.encode('{"format":"jupyter","version":1,"cells":[]}')), /format/);
  assert.throws(() => deserializeNotebook(enc.encode('{"format":"aem-notebook","version":1,"cells":[{"kind":"code"}]}')), /cells\.0\.language/);
});

test('the Compare Seeds template: an introduction, table, curves, scatter and topk queries that parse, a query reference', async () => {
  const { parseQuery } = await import('../../src/notebook/query.js');
  const model = compareSeedsNotebook('demo', { 'aem.lambda': [0.1, 0] });
  assert.deepEqual(
    model.cells.map((c) => c.kind),
    ['markdown', 'code', 'code', 'code', 'code', 'markdown'],
  );
  const queries = model.cells.filter((c) => c.kind === 'code').map((c) => parseQuery(c.source).query);
  assert.deepEqual(
    queries.map((q) => q.show),
    ['table', 'curves', 'scatter', 'topk'],
  );
  assert.deepEqual(queries[0]?.group, ['aem.lambda']);
  assert.deepEqual(queries[0]?.metrics, ['test.auroc', 'test.f1', 'test.accuracy', 'test.entropy']);
  assert.deepEqual(queries[0]?.baseline, { 'aem.lambda': 0 });
  assert.deepEqual(queries[0]?.runs, ['demo/*']);
  assert.deepEqual(deserializeNotebook(serializeNotebook(model)), model);
});

test('Compare Seeds on an arch x lambda grid adds a paired cell; its output round-trips through the file with its Markdown', async () => {
  const { parseQuery } = await import('../../src/notebook/query.js');
  const { runComparison } = await import('../../src/notebook/compare.js');
  const { loadRuns } = await import('../../src/notebook/collect.js');
  const { fallbackMarkdown } = await import('../../src/notebook/outputs.js');
  const { writePairedStore } = await import('./pairedFixture.js');
  const { rmSync } = await import('node:fs');
  const model = compareSeedsNotebook('zoo', { 'model.arch': ['abmil', 'mha', 'dsmil'], 'aem.lambda': [0, 0.1] });
  const queries = model.cells.filter((c) => c.kind === 'code').map((c) => parseQuery(c.source).query);
  assert.deepEqual(queries.map((q) => q.show), ['table', 'curves', 'scatter', 'topk', 'paired']);
  const pairedQuery = queries[4];
  assert.deepEqual(pairedQuery?.group, ['model.arch']);
  assert.equal(pairedQuery?.x, 'aem.lambda');
  assert.deepEqual(pairedQuery?.baseline, { 'aem.lambda': 0 });
  assert.deepEqual(queries[0]?.baseline, { 'model.arch': 'abmil', 'aem.lambda': 0 }, 'a name key\'s baseline is its first value');
  assert.equal(compareSeedsNotebook('zoo', { 'model.arch': ['abmil', 'mha'] }).cells.filter((c) => c.kind === 'code').length, 4, 'no lambda sweep: no paired cell');

  const store = writePairedStore();
  try {
    const pairedCell = model.cells.filter((c) => c.kind === 'code')[4];
    const output = runComparison(parseQuery(pairedCell?.source ?? ''), loadRuns([store]));
    assert.equal(output.kind, 'paired');
    const withOutput: NotebookModel = {
      cells: [{ ...(pairedCell as NotebookModel['cells'][number]), outputs: [{ items: [{ mime: 'application/vnd.aem-studio.comparison+json', data: enc.encode(JSON.stringify(output)) }, { mime: 'text/markdown', data: enc.encode(fallbackMarkdown(output)) }] }] }],
    };
    const bytes = serializeNotebook(withOutput);
    const back = deserializeNotebook(bytes);
    assert.deepEqual(serializeNotebook(back), bytes);
    const items = back.cells[0]?.outputs[0]?.items ?? [];
    assert.deepEqual(JSON.parse(dec.decode(items[0]?.data)), JSON.parse(JSON.stringify(output)));
    const text = dec.decode(items[1]?.data);
    assert.match(text, /\| abmil \| 0\.810 ± 0\.016 \| 0\.844 ± 0\.011 \| \+0\.034 \| 0\.063 \| 5 \|/);
  } finally {
    rmSync(store, { recursive: true, force: true });
  }
});
