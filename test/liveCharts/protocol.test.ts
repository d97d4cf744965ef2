// Messages of the Live Charts protocol: what the host accepts from the webview, and what it sends.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { chartEpochOf } from '../../src/liveCharts/points.js';
import { parseHostMessage, parseWebviewMessage } from '../../src/protocol/liveCharts.js';
import { recordedEvents } from '../helpers/recordedRun.js';

const PNG = 'data:image/png;base64,iVBORw0KGgo=';

describe('live charts protocol', () => {
  it('accepts the messages the webview sends', () => {
    for (const m of [
      { type: 'ready', v: 1, selected: [] },
      { type: 'ready', v: 1, selected: ['lambda0-s0-20260101-000000'] },
      { type: 'select', runIds: ['a', 'b'] },
      { type: 'drawn', runs: [{ runId: 'a', epochs: 3 }] },
      { type: 'saveCsv', fileName: 'live-charts-demo.csv', content: 'a,b\n1,2\n' },
      { type: 'savePng', fileName: 'loss-demo.png', content: PNG },
    ]) {
      const parsed = parseWebviewMessage(m);
      assert.ok(parsed.ok, `${JSON.stringify(m)}: ${parsed.ok ? '' : parsed.error}`);
      assert.deepEqual(parsed.value, m);
    }
  });

  it('rejects malformed, foreign and dangerous messages with a reason', () => {
    const bad: [unknown, RegExp][] = [
      [null, /expected object/i],
      ['ready', /expected object/i],
      [{ type: 'launch' }, /type/],
      [{ type: 'ready', selected: [] }, /v/],
      [{ type: 'ready', v: 2, selected: [] }, /v/],
      [{ type: 'select', runIds: 'a' }, /runIds/],
      [{ type: 'select', runIds: [''] }, /runIds/],
      [{ type: 'select', runIds: Array.from({ length: 65 }, (_, i) => `r${i}`) }, /runIds/],
      [{ type: 'drawn', runs: [{ runId: 'a', epochs: -1 }] }, /epochs/],
      [{ type: 'saveCsv', fileName: '../../.bashrc.csv', content: 'x' }, /fileName/],
      [{ type: 'saveCsv', fileName: 'data.sh', content: 'x' }, /fileName/],
      [{ type: 'saveCsv', fileName: 'a/b.csv', content: 'x' }, /fileName/],
      [{ type: 'savePng', fileName: 'chart.png', content: 'data:text/html;base64,PGI+' }, /content/],
      [{ type: 'savePng', fileName: 'chart.png', content: `${PNG}<script>` }, /content/],
    ];
    for (const [m, reason] of bad) {
      const parsed = parseWebviewMessage(m);
      assert.equal(parsed.ok, false, `accepted ${JSON.stringify(m)}`);
      if (!parsed.ok) assert.match(parsed.error, reason);
    }
  });

  it('host messages built from a real run validate, and a broken point does not', () => {
    const epoch = recordedEvents().find((e) => e.type === 'epoch');
    assert.ok(epoch?.type === 'epoch');
    const point = chartEpochOf(epoch.train, epoch.val, epoch.test);
    assert.equal(point.testTopk.length, 20);
    assert.ok(parseHostMessage({ type: 'epoch', runId: epoch.runId, point, bestEpoch: epoch.bestEpoch }).ok);
    assert.equal(parseHostMessage({ type: 'epoch', runId: epoch.runId, point: { ...point, val: { ...point.val, f1: 'high' } }, bestEpoch: 0 }).ok, false);
    assert.equal(parseHostMessage({ type: 'init', v: 1, smoothing: 1.5, runs: [] }).ok, false);
  });

  it('an epoch of a multi-head run carries the test metrics per head to the charts; a single-head one none', () => {
    const epoch = recordedEvents('mha-events.jsonl').find((e) => e.type === 'epoch');
    assert.ok(epoch?.type === 'epoch' && epoch.test.perHead);
    const point = chartEpochOf(epoch.train, epoch.val, epoch.test);
    assert.deepEqual(point.testPerHead, epoch.test.perHead);
    assert.equal(point.testPerHead?.entropy.length, 4);
    assert.ok(parseHostMessage({ type: 'epoch', runId: epoch.runId, point, bestEpoch: epoch.bestEpoch }).ok);
    const broken = { ...point, testPerHead: { ...epoch.test.perHead, entropy: ['a'] } };
    assert.equal(parseHostMessage({ type: 'epoch', runId: epoch.runId, point: broken, bestEpoch: 0 }).ok, false);
    const single = recordedEvents().find((e) => e.type === 'epoch');
    assert.ok(single?.type === 'epoch');
    assert.equal('testPerHead' in chartEpochOf(single.train, single.val, single.test), false);
  });
});
