// The notebook renderer's "Attention maps…" button: its message is validated before the extension acts
// on it, and the runs it opens are the output's runs that have attention maps, in the output's order.
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { loadRuns } from '../../src/notebook/collect.js';
import { runComparison } from '../../src/notebook/compare.js';
import { hasAttentionPack, mapsCandidates } from '../../src/notebook/mapsRuns.js';
import { parseQuery } from '../../src/notebook/query.js';
import { parseRendererMessage } from '../../src/protocol/notebook.js';
import { writeStore } from './fixture.js';

const root = writeStore();
after(() => rmSync(root, { recursive: true, force: true }));
const runs = loadRuns([root]);

describe('attention maps from a notebook output', () => {
  it('accepts only an openAttentionMaps message with run names', () => {
    assert.deepEqual(parseRendererMessage({ type: 'openAttentionMaps', runNames: ['a/b'] }), { ok: true, value: { type: 'openAttentionMaps', runNames: ['a/b'] } });
    for (const [raw, why] of [
      [{ type: 'openAttentionMaps', runNames: [] }, /runNames: Too small/],
      [{ type: 'openAttentionMaps', runNames: [''] }, /runNames\.0: Too small/],
      [{ type: 'openAttentionMaps' }, /runNames: Invalid input/],
      [{ type: 'deleteRuns', runNames: ['a/b'] }, /type: Invalid discriminator value/],
      ['openAttentionMaps', /expected object/],
    ] as const) {
      const parsed = parseRendererMessage(raw);
      assert.equal(parsed.ok, false, JSON.stringify(raw));
      if (!parsed.ok) assert.match(parsed.error, why);
    }
  });

  it('opens the output\'s runs that have an attention pack, in the output\'s order, and names those gone', () => {
    const out = runComparison(parseQuery('runs: exp-cos/*\nmetrics: test.auroc'), runs);
    const names = out.runNames ?? [];
    assert.equal(names.length, 10);
    const withMaps = [names[3], names[0], names[7]] as string[];
    for (const name of withMaps) writeFileSync(path.join(root, name, 'attention-best.pack'), '');
    const picked = mapsCandidates(runs, [...withMaps, names[3] as string, 'exp-cos/deleted-run', names[1] as string]);
    assert.deepEqual(picked.runs.map((r) => r.name), withMaps, 'duplicates once, runs without a pack left out');
    assert.deepEqual(picked.missing, ['exp-cos/deleted-run']);
    assert.equal(hasAttentionPack(path.join(root, names[1] as string)), false);
    assert.equal(mapsCandidates(runs, names, () => true).runs.length, 10);
  });
});
