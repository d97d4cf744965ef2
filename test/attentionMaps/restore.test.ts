// Attention Maps panels come back after a VS Code reload: the webview keeps the runs it shows in its
// state, the extension validates that state (parseRestoredState) before it reopens the runs, and the
// manifest activates the extension for the panel type the code registers its serializer on.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { ATTENTION_MAPS_VIEW_TYPE, parseRestoredState } from '../../src/protocol/attentionMaps.js';
import { INITIAL_STATE, readViewState } from '../../webview/attentionMaps/viewState.js';
import { projectRoot } from '../helpers/paths.js';

describe('attention maps panel restore', () => {
  it('reads the run ids out of the state the webview saves, ignoring its view settings', () => {
    const saved = { ...INITIAL_STATE, scale: 'log', selected: 'slide_3', runIds: ['c16/lambda0-s0-1', 'c16/lambda0.1-s0-1'] };
    assert.deepEqual(readViewState(JSON.parse(JSON.stringify(saved))), saved);
    assert.deepEqual(parseRestoredState(saved), { ok: true, value: { runIds: ['c16/lambda0-s0-1', 'c16/lambda0.1-s0-1'] } });
  });

  it('refuses states it cannot reopen, saying what is wrong', () => {
    for (const [state, why] of [
      [undefined, /expected object/],
      [{ ...INITIAL_STATE }, /runIds: Too small/],
      [{ runIds: ['a', 'b', 'c'] }, /runIds: Too big/],
      [{ runIds: [''] }, /runIds\.0: Too small/],
      [{ runIds: [3] }, /runIds\.0: Invalid input: expected string/],
    ] as const) {
      const parsed = parseRestoredState(state);
      assert.equal(parsed.ok, false, JSON.stringify(state));
      if (!parsed.ok) assert.match(parsed.error, why);
    }
  });

  it('keeps the view settings of a state saved before runIds existed', () => {
    const { runIds: _none, ...older } = { ...INITIAL_STATE, scale: 'percentile' as const };
    assert.deepEqual(readViewState(older), { ...older, runIds: [] });
  });

  it('activates on the panel type the serializer is registered for', () => {
    const manifest = JSON.parse(readFileSync(path.join(projectRoot, 'package.json'), 'utf8')) as { activationEvents: string[] };
    assert.ok(manifest.activationEvents.includes(`onWebviewPanel:${ATTENTION_MAPS_VIEW_TYPE}`), manifest.activationEvents.join(', '));
    const register = readFileSync(path.join(projectRoot, 'src/extension/attentionMaps/register.ts'), 'utf8');
    assert.match(register, /registerWebviewPanelSerializer\(ATTENTION_MAPS_VIEW_TYPE,/);
    const panel = readFileSync(path.join(projectRoot, 'src/extension/attentionMaps/mapsPanel.ts'), 'utf8');
    assert.match(panel, /createWebviewPanel\(ATTENTION_MAPS_VIEW_TYPE,/);
  });
});
