/** RFC 3263 §4: which transports, hosts and ports a URI leads to, in the order they are tried. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  locateSipServers,
  orderSrv,
  type SipDns,
  type SipNaptr,
  type SipSrv,
} from '../../src/sip/serverLocator.js';
import { parseUri } from '../../src/sip/sipUri.js';

/** A DNS of plain tables that records what it was asked. */
function fakeDns(t: {
  naptr?: Record<string, SipNaptr[]>;
  srv?: Record<string, SipSrv[]>;
  a?: Record<string, string[]>;
}): SipDns & { asked: string[] } {
  const asked: string[] = [];
  const ask = <T>(question: string, answer: T[] | undefined): T[] => {
    asked.push(question);
    return answer ?? [];
  };
  return {
    asked,
    naptr: async (n) => ask(`NAPTR ${n}`, t.naptr?.[n]),
    srv: async (n) => ask(`SRV ${n}`, t.srv?.[n]),
    addresses: async (n) => ask(`A ${n}`, t.a?.[n]),
  };
}

const locate = (uri: string, dns: SipDns) => locateSipServers(parseUri(uri)!, dns, { random: () => 0 });
const hops = async (uri: string, dns: SipDns) => {
  const r = await locate(uri, dns);
  assert.ok(r.ok, r.ok ? '' : r.message);
  return r.hops.map((h) => `${h.protocol}:${h.address}:${h.port}`);
};

const A = { 'a.test': ['192.0.2.1'], 'b.test': ['192.0.2.2'], 'carrier.test': ['192.0.2.9'] };

test('an IP literal asks no DNS: its port or 5060, its transport or UDP', async () => {
  const dns = fakeDns({});
  assert.deepEqual(await hops('sip:n@192.0.2.7', dns), ['udp:192.0.2.7:5060']);
  assert.deepEqual(await hops('sip:n@[2001:db8::7]:5070;transport=tcp', dns), ['tcp:2001:db8::7:5070']);
  assert.deepEqual(dns.asked, []);
});

test('NAPTR decides the transports in order then preference; each leads to its SRV set', async () => {
  const dns = fakeDns({
    naptr: {
      'carrier.test': [
        { order: 20, preference: 0, flags: 's', service: 'SIP+D2U', replacement: '_sip._udp.carrier.test' },
        { order: 10, preference: 5, flags: 's', service: 'SIP+D2T', replacement: '_sip._tcp.carrier.test' },
        { order: 10, preference: 9, flags: 's', service: 'E2U+sip', replacement: 'enum.test' },
      ],
    },
    srv: {
      '_sip._tcp.carrier.test': [{ priority: 1, weight: 0, port: 5071, target: 'a.test' }],
      '_sip._udp.carrier.test': [{ priority: 1, weight: 0, port: 5072, target: 'b.test' }],
    },
    a: A,
  });
  assert.deepEqual(await hops('sip:n@carrier.test', dns), ['tcp:192.0.2.1:5071', 'udp:192.0.2.2:5072']);
  assert.ok(!dns.asked.includes('SRV enum.test'), 'a non-SIP service is passed over');
});

test('without NAPTR every supported SRV is asked; lower priority first', async () => {
  const dns = fakeDns({
    srv: {
      '_sip._udp.carrier.test': [
        { priority: 20, weight: 0, port: 5062, target: 'b.test' },
        { priority: 10, weight: 0, port: 5061, target: 'a.test' },
      ],
      '_sip._tcp.carrier.test': [{ priority: 5, weight: 0, port: 5063, target: 'a.test' }],
    },
    a: A,
  });
  assert.deepEqual(await hops('sip:n@carrier.test', dns), [
    'udp:192.0.2.1:5061',
    'udp:192.0.2.2:5062',
    'tcp:192.0.2.1:5063',
  ]);
});

test('no SRV at all: the name itself, UDP, port 5060', async () => {
  const dns = fakeDns({ a: A });
  assert.deepEqual(await hops('sip:n@carrier.test', dns), ['udp:192.0.2.9:5060']);
});

test('an explicit port skips SRV (§4.2); an explicit transport skips NAPTR (§4.1)', async () => {
  const srv = { '_sip._udp.carrier.test': [{ priority: 1, weight: 0, port: 9999, target: 'a.test' }] };
  const ported = fakeDns({ srv, a: A });
  assert.deepEqual(await hops('sip:n@carrier.test:5080', ported), ['udp:192.0.2.9:5080']);
  assert.deepEqual(ported.asked, ['A carrier.test']);
  const tcp = fakeDns({ srv: { '_sip._tcp.carrier.test': srv['_sip._udp.carrier.test'] }, a: A });
  assert.deepEqual(await hops('sip:n@carrier.test;transport=tcp', tcp), ['tcp:192.0.2.1:9999']);
  assert.deepEqual(tcp.asked, ['SRV _sip._tcp.carrier.test', 'A a.test']);
});

test('sips: means TLS only: _sips._tcp SRV, else the name itself on 5061; an IP literal on 5061', async () => {
  const srv = { '_sips._tcp.carrier.test': [{ priority: 1, weight: 0, port: 5062, target: 'a.test' }] };
  const dns = fakeDns({ srv, a: A });
  assert.deepEqual(await hops('sips:n@carrier.test', dns), ['tls:192.0.2.1:5062']);
  assert.deepEqual(dns.asked, ['NAPTR carrier.test', 'SRV _sips._tcp.carrier.test', 'A a.test']);
  assert.deepEqual(await hops('sips:n@b.test', fakeDns({ a: A })), ['tls:192.0.2.2:5061']);
  assert.deepEqual(await hops('sips:n@192.0.2.7', fakeDns({})), ['tls:192.0.2.7:5061']);
  assert.deepEqual(await hops('sip:n@192.0.2.7;transport=tls', fakeDns({})), ['tls:192.0.2.7:5061']);
  assert.deepEqual(await hops('sip:n@b.test:5070;transport=tls', fakeDns({ a: A })), ['tls:192.0.2.2:5070']);
  const udp = await locate('sips:n@carrier.test;transport=udp', fakeDns({ a: A }));
  assert.equal(udp.ok ? 'ok' : udp.code, 'unsupported-transport');
});

test('a NAPTR SIPS+D2T record leads to TLS hops (§4.1)', async () => {
  const dns = fakeDns({
    naptr: {
      'carrier.test': [
        { order: 1, preference: 1, flags: 's', service: 'SIPS+D2T', replacement: '_sips._tcp.carrier.test' },
      ],
    },
    srv: { '_sips._tcp.carrier.test': [{ priority: 1, weight: 0, port: 5061, target: 'b.test' }] },
    a: A,
  });
  assert.deepEqual(await hops('sip:n@carrier.test', dns), ['tls:192.0.2.2:5061']);
});

test('a name with no records is "not-found"; SRV target "." means no service', async () => {
  assert.equal(((await locate('sip:n@nowhere.test', fakeDns({}))) as { code: string }).code, 'not-found');
  const dot = fakeDns({
    srv: { '_sip._udp.carrier.test': [{ priority: 1, weight: 0, port: 5060, target: '.' }] },
    a: A,
  });
  assert.equal(((await locate('sip:n@carrier.test', dot)) as { code: string }).code, 'not-found');
});

test('within a priority, the weights share the draws (RFC 2782)', () => {
  const records = [
    { priority: 1, weight: 10, port: 1, target: 'light' },
    { priority: 1, weight: 90, port: 2, target: 'heavy' },
    { priority: 0, weight: 0, port: 3, target: 'first' },
  ];
  let seed = 7;
  const random = () => {
    seed = (seed * 16807) % 2147483647;
    return seed / 2147483647;
  };
  let heavyFirst = 0;
  for (let i = 0; i < 1000; i++) {
    const order = orderSrv(records, random).map((r) => r.target);
    assert.equal(order[0], 'first');
    if (order[1] === 'heavy') heavyFirst++;
  }
  assert.ok(heavyFirst > 850 && heavyFirst < 950, `heavy first ${heavyFirst} times in 1000`);
});
