/** `--options-interval` on a trunk named by host name: the keep-alive goes to its located target (RFC 3263). */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { TrunkAdmin } from '../../src/calls/trunkAdmin.js';
import { TrunkMonitor } from '../../src/calls/trunkMonitor.js';
import { DnsResolver } from '../../src/net/dnsResolver.js';
import { silentLogger } from '../../src/observability/logger.js';
import { SqliteStore } from '../../src/store/sqlite/sqliteStore.js';
import { SecretBox } from '../../src/tenancy/secretBox.js';
import { TestDnsServer } from '../helpers/dnsServer.js';
import { ScriptedPeer } from '../sip/scriptedPeer.js';
import { createUa } from '../sip/uaHarness.js';

test('a named trunk is pinged at the target its SRV records name', async () => {
  const dns = new TestDnsServer();
  const server = await dns.start();
  const peer = await ScriptedPeer.create();
  const ua = await createUa();
  const store = SqliteStore.inMemory();
  try {
    dns.srv.set('_sip._udp.keepalive.test', [
      { priority: 1, weight: 0, port: peer.port, target: 'b.keepalive.test' },
    ]);
    dns.records.set('b.keepalive.test', ['127.0.0.1']);
    const admin = new TrunkAdmin(store, SecretBox.fromMasterKey('a master key for tests'));
    admin.add({ name: 'named', uri: 'sip:keepalive.test', optionsIntervalS: 30 });
    const monitor = new TrunkMonitor(
      ua,
      admin.list(),
      silentLogger(),
      new DnsResolver({ servers: [server] }),
    );
    try {
      const options = await peer.request('OPTIONS', 3000);
      assert.equal(options.uri.toString(), `sip:127.0.0.1:${peer.port}`);
      assert.ok(dns.questions.includes('SRV _sip._udp.keepalive.test'));
    } finally {
      monitor.stop();
    }
  } finally {
    await ua.close();
    peer.close();
    store.close();
    await dns.close();
  }
});
