/** Host names resolve through the DNS servers of `sip.dnsServers` (a test server on 127.0.0.1). */
import assert from 'node:assert/strict';
import { createSocket } from 'node:dgram';
import { after, before, test } from 'node:test';
import { DnsError, DnsResolver } from '../../src/net/dnsResolver.js';
import { TestDnsServer } from '../helpers/dnsServer.js';

const dns = new TestDnsServer();
let server = '';
before(async () => {
  server = await dns.start();
  dns.records.set('both.test', ['192.0.2.10', '2001:db8::10']);
  dns.records.set('v6only.test', ['2001:db8::20']);
});
after(() => dns.close());

test('a name resolves through the configured server, IPv4 addresses first', async () => {
  const r = new DnsResolver({ servers: [server] });
  assert.deepEqual(await r.resolve('both.test'), ['192.0.2.10', '2001:db8::10']);
  assert.deepEqual(await r.resolve('V6ONLY.test'), ['2001:db8::20']);
});

test('an IP literal is its own answer and asks no server', async () => {
  const r = new DnsResolver({ servers: [server] });
  const asked = dns.queries.length;
  assert.deepEqual(await r.resolve('198.51.100.7'), ['198.51.100.7']);
  assert.deepEqual(await r.resolve('[2001:db8::1]'), ['2001:db8::1']);
  assert.equal(dns.queries.length, asked);
});

test('an unknown name is a DnsError ENOTFOUND naming it', async () => {
  const r = new DnsResolver({ servers: [server] });
  await assert.rejects(r.resolve('nowhere.test'), (err: DnsError) => {
    assert.ok(err instanceof DnsError);
    assert.equal(err.code, 'ENOTFOUND');
    assert.match(err.message, /nowhere\.test/);
    return true;
  });
});

test('a server that never answers gives up within the timeout', async () => {
  const mute = createSocket('udp4');
  await new Promise<void>((r) => mute.bind(0, '127.0.0.1', r));
  try {
    const r = new DnsResolver({ servers: [`127.0.0.1:${mute.address().port}`], timeoutMs: 300 });
    const started = performance.now();
    await assert.rejects(
      r.resolve('both.test'),
      (err: DnsError) => err.code === 'ETIMEOUT' || err.code === 'ECANCELLED',
    );
    assert.ok(performance.now() - started < 2000);
  } finally {
    mute.close();
  }
});

test('a malformed server entry is refused at construction', () => {
  assert.throws(() => new DnsResolver({ servers: ['not a server'] }));
});
