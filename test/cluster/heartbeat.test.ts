// A run trained on a cluster node writes heartbeats the login node reads: their pid is another machine's,
// so liveness is the heartbeat's freshness alone, and Stop never signals that pid here.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { hostname } from 'node:os';
import { classifyRun } from '../../src/extension/core/runScan.js';
import { heartbeatIsLive, heartbeatIsOnThisHost, type Heartbeat } from '../../src/trainer/liveness.js';
import type { RunSummary } from '../../src/protocol/events.js';

const now = Date.parse('2026-12-02T20:00:00Z');
const beat = (host: string | undefined, secondsAgo: number): Heartbeat => ({ pid: 4242, ...(host ? { host } : {}), at: new Date(now - secondsAgo * 1000).toISOString(), epoch: 3, iter: 0, status: 'running' });
const deadEverywhere = () => false;

test('a fresh heartbeat from a compute node is live without probing its pid here', () => {
  let probed = false;
  assert.equal(heartbeatIsLive(beat('node017', 3), now, () => ((probed = true), false), 'login1'), true);
  assert.equal(probed, false);
  assert.equal(heartbeatIsOnThisHost(beat('node017', 3), 'login1'), false);
});

test('a stale heartbeat from a compute node is not live', () => {
  assert.equal(heartbeatIsLive(beat('node017', 60), now, () => true, 'login1'), false);
});

test('on this host (or with no host, from older engines) a dead pid still means not live', () => {
  assert.equal(heartbeatIsLive(beat(hostname(), 3), now, deadEverywhere, hostname()), false);
  assert.equal(heartbeatIsLive(beat(undefined, 3), now, deadEverywhere, 'login1'), false);
  assert.equal(heartbeatIsOnThisHost(beat(undefined, 3), 'login1'), true);
});

test('the tree shows a cluster run with a fresh remote heartbeat as running, not interrupted', () => {
  const summary = { status: 'running' } as RunSummary;
  // classifyRun uses this machine's host name: a heartbeat from a host of another name is remote.
  assert.equal(classifyRun(summary, beat(`${hostname()}-other-node`, 3), false, now, deadEverywhere), 'running');
  assert.equal(classifyRun(summary, beat(hostname(), 3), false, now, deadEverywhere), 'interrupted');
});
