import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { test } from 'node:test';
import { loadConfig, networkAddresses } from '../../src/config.js';
import { tempDir } from '../helpers/tempDir.js';

test('defaults apply without a file or environment', () => {
  const c = loadConfig({}, {});
  assert.equal(c.mode, 'embedded');
  assert.equal(c.http.port, 8080);
  assert.equal(c.api.defaultQps, 1000);
  assert.ok(c.dataDir.endsWith('/data'));
});

test('flags beat environment, which beats the file', () => {
  const dir = tempDir();
  try {
    const file = `${dir.path}/c.yaml`;
    writeFileSync(file, 'http:\n  port: 7000\n  host: 127.0.0.1\napi:\n  defaultQps: 5\n');
    assert.equal(loadConfig({ configFile: file }, {}).http.port, 7000);
    assert.equal(loadConfig({ configFile: file }, { SMARTCALL_HTTP_PORT: '7100' }).http.port, 7100);
    assert.equal(
      loadConfig({ configFile: file, httpPort: 7200 }, { SMARTCALL_HTTP_PORT: '7100' }).http.port,
      7200,
    );
    assert.equal(loadConfig({ configFile: file }, {}).api.defaultQps, 5);
  } finally {
    dir.remove();
  }
});

test('a bad setting is named in the error', () => {
  const dir = tempDir();
  try {
    const file = `${dir.path}/c.json`;
    writeFileSync(file, '{"http":{"port":"eighty"}}');
    assert.throws(() => loadConfig({ configFile: file }, {}), /http\.port/);
    writeFileSync(file, '{"htp":{}}');
    assert.throws(() => loadConfig({ configFile: file }, {}), /htp|Unrecognized/);
    writeFileSync(file, '{broken');
    assert.throws(() => loadConfig({ configFile: file }, {}), /not valid JSON/);
    assert.throws(() => loadConfig({}, { SMARTCALL_HTTP_PORT: 'x' }), /SMARTCALL_HTTP_PORT/);
  } finally {
    dir.remove();
  }
});

test('--sip-port sets SIP on UDP and TCP; --phonenet files come after the config file ones', () => {
  const dir = tempDir();
  try {
    const file = `${dir.path}/c.yaml`;
    writeFileSync(file, 'sip: { udpPort: 5090 }\nphonenet: { personasFiles: [a.yaml] }\n');
    const c = loadConfig({ configFile: file, sipPort: 15060, personasFiles: ['b.yaml'] }, {});
    assert.equal(c.sip.udpPort, 15060);
    assert.equal(c.sip.tcpPort, 15060);
    assert.deepEqual(c.phonenet.personasFiles, ['a.yaml', 'b.yaml']);
    assert.deepEqual(loadConfig({ configFile: file }, {}).phonenet.personasFiles, ['a.yaml']);
  } finally {
    dir.remove();
  }
});

test('bind and advertised addresses: RTP follows SIP unless set; env overrides; a wildcard cannot be advertised', () => {
  assert.deepEqual(networkAddresses(loadConfig({}, {})), {
    address: '127.0.0.1',
    advertisedAddress: undefined,
    rtpAddress: '127.0.0.1',
    rtpAdvertisedAddress: undefined,
  });
  const env = { SMARTCALL_SIP_ADDRESS: '0.0.0.0', SMARTCALL_SIP_ADVERTISED_ADDRESS: '203.0.113.7' };
  assert.deepEqual(networkAddresses(loadConfig({}, env)), {
    address: '0.0.0.0',
    advertisedAddress: '203.0.113.7',
    rtpAddress: '0.0.0.0',
    rtpAdvertisedAddress: '203.0.113.7',
  });
  const both = loadConfig(
    {},
    { ...env, SMARTCALL_RTP_ADDRESS: '10.0.0.5', SMARTCALL_RTP_ADVERTISED_ADDRESS: '198.51.100.20' },
  );
  assert.equal(networkAddresses(both).rtpAddress, '10.0.0.5');
  assert.equal(networkAddresses(both).rtpAdvertisedAddress, '198.51.100.20');
  assert.throws(
    () => loadConfig({}, { SMARTCALL_RTP_ADVERTISED_ADDRESS: '0.0.0.0' }),
    /rtp\.advertisedAddress.*specific address/,
  );
  assert.throws(
    () => loadConfig({}, { SMARTCALL_SIP_ADVERTISED_ADDRESS: 'nat.example' }),
    /sip\.advertisedAddress/,
  );
});
