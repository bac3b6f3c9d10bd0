/** SRV and NAPTR lookups (RFC 2782, RFC 3403) through `sip.dnsServers`, kept for their TTL. */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { type DnsError, DnsResolver } from '../../src/net/dnsResolver.js';
import { TestDnsServer } from '../helpers/dnsServer.js';

const dns = new TestDnsServer();
let server = '';
before(async () => {
  server = await dns.start();
  dns.srv.set('_sip._udp.carrier.test', [
    { priority: 10, weight: 60, port: 5070, target: 'a.carrier.test' },
    { priority: 20, weight: 0, port: 5080, target: 'B.carrier.test' },
  ]);
  dns.naptr.set('carrier.test', [
    { order: 10, preference: 50, flags: 'S', service: 'sip+d2t', replacement: '_sip._tcp.carrier.test' },
  ]);
  dns.records.set('a.carrier.test', ['192.0.2.1', '2001:db8::1:0:0:1']);
});
after(() => dns.close());

test('SRV and NAPTR records come back with every field', async () => {
  const r = new DnsResolver({ servers: [server] });
  assert.deepEqual(await r.srv('_sip._udp.carrier.test'), [
    { priority: 10, weight: 60, port: 5070, target: 'a.carrier.test' },
    { priority: 20, weight: 0, port: 5080, target: 'b.carrier.test' },
  ]);
  assert.deepEqual(await r.naptr('carrier.test'), [
    {
      order: 10,
      preference: 50,
      flags: 's',
      service: 'SIP+D2T',
      regexp: '',
      replacement: '_sip._tcp.carrier.test',
    },
  ]);
  assert.deepEqual(await r.addresses('a.carrier.test'), ['192.0.2.1', '2001:db8::1:0:0:1']);
});

test('a name without such records has none (NXDOMAIN and "no data" alike)', async () => {
  const r = new DnsResolver({ servers: [server] });
  assert.deepEqual(await r.srv('_sip._tcp.nowhere.test'), []);
  assert.deepEqual(await r.naptr('a.carrier.test'), []);
});

test('answers are kept for their TTL: no second question until it runs out', async () => {
  dns.ttl = 1;
  try {
    const r = new DnsResolver({ servers: [server] });
    const asked = () => dns.questions.filter((q) => q === 'SRV _sip._udp.carrier.test').length;
    const before = asked();
    await r.srv('_sip._udp.carrier.test');
    await r.srv('_SIP._udp.carrier.test.');
    assert.equal(asked() - before, 1, 'the second lookup within the TTL came from the cache');
    const negative = () => dns.questions.filter((q) => q === 'NAPTR b.carrier.test').length;
    await r.naptr('b.carrier.test');
    await r.naptr('b.carrier.test');
    assert.equal(negative(), 1, '"no such records" is kept for the SOA minimum (RFC 2308)');
    await new Promise((resolve) => setTimeout(resolve, 1100));
    await r.srv('_sip._udp.carrier.test');
    assert.equal(asked() - before, 2, 'after the TTL the server is asked again');
  } finally {
    dns.ttl = 0;
  }
});

test('with TTL 0 every lookup asks again', async () => {
  const r = new DnsResolver({ servers: [server] });
  const before = dns.questions.length;
  await r.srv('_sip._udp.carrier.test');
  await r.srv('_sip._udp.carrier.test');
  assert.equal(dns.questions.length - before, 2);
});

test('a server that does not answer is a DnsError ETIMEOUT', async () => {
  const { createSocket } = await import('node:dgram');
  const silent = createSocket('udp4');
  await new Promise<void>((r) => silent.bind(0, '127.0.0.1', r));
  try {
    const r = new DnsResolver({ servers: [`127.0.0.1:${silent.address().port}`], timeoutMs: 200 });
    await assert.rejects(r.srv('_sip._udp.carrier.test'), (err: DnsError) => err.code === 'ETIMEOUT');
  } finally {
    silent.close();
  }
});
