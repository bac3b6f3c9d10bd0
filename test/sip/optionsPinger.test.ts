import assert from 'node:assert/strict';
import { once } from 'node:events';
import { describe, test } from 'node:test';
import { OptionsPinger } from '../../src/sip/optionsPinger.js';
import { ScriptedPeer } from './scriptedPeer.js';
import { createUa, sipTarget } from './uaHarness.js';

describe('OPTIONS keep-alive', () => {
  test('reports a trunk up while it answers and down once it stops answering', async () => {
    const ua = await createUa();
    const trunk = await createUa();
    const pinger = new OptionsPinger(ua, { target: sipTarget(trunk), intervalMs: 50, failuresBeforeDown: 1 });
    try {
      const up = once(pinger, 'up');
      pinger.start();
      await up;
      assert.equal(pinger.state, 'up');
      const down = once(pinger, 'down');
      await trunk.close();
      const [result] = await down;
      assert.equal(result.ok, false);
      assert.equal(pinger.state, 'down');
    } finally {
      pinger.stop();
      await ua.close();
      await trunk.close();
    }
    assert.equal(ua.stats().timers, 0);
  });

  test('any final response counts as alive, even an error status', async () => {
    const ua = await createUa({ tcpPort: false });
    const peer = await ScriptedPeer.create();
    const pinger = new OptionsPinger(ua, { target: peer.uri(), intervalMs: 1000 });
    try {
      pinger.start();
      const options = await peer.request('OPTIONS');
      peer.respond(options, ua.localEndpoint('udp')!.port, '404 Not Found', { toTag: 'x' });
      const [result] = await once(pinger, 'ping');
      assert.deepEqual({ ok: result.ok, status: result.ok && result.status }, { ok: true, status: 404 });
      assert.equal(pinger.state, 'up');
    } finally {
      pinger.stop();
      peer.close();
      await ua.close();
    }
  });

  test('a host name target is refused as a bad target', async () => {
    const ua = await createUa();
    try {
      const result = await ua.sendOptions('sip:trunk.example.com');
      assert.deepEqual(result.ok ? 'ok' : result.code, 'bad-target');
    } finally {
      await ua.close();
    }
  });
});
