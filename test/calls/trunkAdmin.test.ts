import assert from 'node:assert/strict';
import { test } from 'node:test';
import { formatNumber } from '../../src/calls/numberFormat.js';
import { parseTrunkUri, TrunkAdmin, trunkView } from '../../src/calls/trunkAdmin.js';
import { SqliteStore } from '../../src/store/sqlite/sqliteStore.js';
import { SecretBox } from '../../src/tenancy/secretBox.js';

function setup() {
  const store = SqliteStore.inMemory();
  return { store, admin: new TrunkAdmin(store, SecretBox.fromMasterKey('a master key for tests')) };
}

test('a trunk keeps its settings and its password sealed', () => {
  const { store, admin } = setup();
  const t = admin.add({
    name: 'carrier',
    uri: 'sip:127.0.0.1:5065',
    username: 'u',
    password: 'trunk-password',
    cps: 10,
    maxCalls: 100,
  });
  assert.equal(t.host, '127.0.0.1');
  assert.equal(t.port, 5065);
  assert.equal(t.transport, 'udp');
  const sealed = store.trunks.find('carrier')!.passwordEnc!;
  assert.match(sealed, /^v1:/);
  assert.ok(!sealed.includes('trunk-password'), 'stored sealed, not in clear');
  assert.equal(admin.password(store.trunks.find('carrier')!), 'trunk-password');
  assert.equal(
    JSON.stringify(trunkView(t)).includes('trunk-password'),
    false,
    'views never show the password',
  );
  store.close();
});

test('the first trunk is the default and only one trunk is ever the default', () => {
  const { store, admin } = setup();
  admin.add({ name: 'a', uri: 'sip:127.0.0.1:5065' });
  assert.equal(store.trunks.findDefault()!.name, 'a');
  admin.add({ name: 'b', uri: 'sip:127.0.0.1:5066;transport=tcp', isDefault: true });
  assert.equal(store.trunks.findDefault()!.name, 'b');
  assert.equal(store.trunks.find('b')!.transport, 'tcp');
  assert.deepEqual(
    admin
      .list()
      .filter((t) => t.isDefault)
      .map((t) => t.name),
    ['b'],
  );
  admin.setDefault('a');
  assert.equal(store.trunks.findDefault()!.name, 'a');
  store.close();
});

test('a trunk may be named by host name: the URI keeps only the port and transport given (RFC 3263)', () => {
  const { admin } = setup();
  const named = admin.add({ name: 'n', uri: 'sip:Trunk.Example.com' });
  assert.equal(named.host, 'trunk.example.com');
  assert.equal(trunkView(named).uri, 'sip:trunk.example.com');
  assert.equal(
    trunkView(admin.add({ name: 'p', uri: 'sip:trunk.example.com:5070' })).uri,
    'sip:trunk.example.com:5070',
  );
  assert.equal(
    trunkView(admin.add({ name: 't', uri: 'sip:trunk.example.com', transport: 'tcp' })).uri,
    'sip:trunk.example.com;transport=tcp',
  );
  assert.equal(
    trunkView(admin.add({ name: 'ip', uri: 'sip:127.0.0.1' })).uri,
    'sip:127.0.0.1:5060;transport=udp',
  );
  const sips = admin.add({ name: 's', uri: 'sips:trunk.example.com' });
  assert.deepEqual([trunkView(sips).uri, sips.transport, sips.port], ['sips:trunk.example.com', 'tls', 5061]);
  const tlsIp = admin.add({ name: 'tl', uri: 'sip:127.0.0.1', transport: 'tls' });
  assert.deepEqual([trunkView(tlsIp).uri, tlsIp.port], ['sip:127.0.0.1:5061;transport=tls', 5061]);
  assert.equal(
    trunkView(admin.add({ name: 'tn', uri: 'sip:trunk.example.com;transport=tls' })).uri,
    'sip:trunk.example.com;transport=tls',
  );
  assert.throws(
    () => admin.add({ name: 'x', uri: 'sips:trunk.example.com', transport: 'udp' }),
    /a sips: trunk goes over TLS, not udp/,
  );
  assert.throws(
    () => admin.add({ name: 'x', uri: 'sip:bad_host!.example' }),
    /neither an IP address nor a host name/,
  );
});

test('trunk settings must be sane', () => {
  const { admin } = setup();
  assert.throws(() => admin.add({ name: 'x', uri: 'http://127.0.0.1' }), /not a SIP URI/);
  assert.throws(() => admin.add({ name: 'x', uri: 'sip:127.0.0.1', username: 'u' }), /both/);
  assert.throws(() => admin.add({ name: 'x', uri: 'sip:127.0.0.1', cps: 0 }), /cps/);
  assert.throws(() => admin.add({ name: 'x', uri: 'sip:127.0.0.1', callerFormat: 'weird' }), /caller format/);
  assert.throws(
    () => admin.add({ name: 'x', uri: 'sip:127.0.0.1', transport: 'sctp' }),
    /unknown transport "sctp"/,
  );
  assert.throws(
    () => admin.add({ name: 'x', uri: 'sip:127.0.0.1', tlsCaFile: '/nonexistent.pem' }),
    /apply to TLS trunks/,
  );
  assert.deepEqual(parseTrunkUri('sip:[::1]:5070'), {
    host: '::1',
    port: 5070,
    explicitPort: true,
    sips: false,
  });
  assert.deepEqual(parseTrunkUri('sip:user@10.0.0.1'), {
    host: '10.0.0.1',
    port: 5060,
    explicitPort: false,
    sips: false,
  });
});

test('numbers are written in the format the trunk asks for', () => {
  assert.equal(formatNumber('057188880000', 'national'), '057188880000');
  assert.equal(formatNumber('057188880000', 'e164'), '+8657188880000');
  assert.equal(formatNumber('15900001111', 'e164'), '+8615900001111');
  assert.equal(formatNumber('15900001111', 'e164-no-plus'), '8615900001111');
  assert.equal(formatNumber('+8615900001111', 'e164-no-plus'), '+8615900001111');
});
