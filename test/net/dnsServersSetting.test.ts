/** `sip.dnsServers` and SMARTCALL_DNS_SERVERS: the DNS servers host names resolve through. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ConfigError, loadConfig } from '../../src/config.js';

test('SMARTCALL_DNS_SERVERS is a comma-separated list of host:port', () => {
  assert.deepEqual(loadConfig({}, {}).sip.dnsServers, []);
  const c = loadConfig({}, { SMARTCALL_DNS_SERVERS: '127.0.0.1:5353, [::1]:53,10.0.0.2' });
  assert.deepEqual(c.sip.dnsServers, ['127.0.0.1:5353', '[::1]:53', '10.0.0.2']);
});

test('a server that is not host:port is named in the error', () => {
  assert.throws(
    () => loadConfig({}, { SMARTCALL_DNS_SERVERS: '127.0.0.1:53,not a server' }),
    (err: Error) => err instanceof ConfigError && /sip\.dnsServers/.test(err.message),
  );
});

test('media.urlAllowlist, media.caFile and media.networkFileFreshSeconds are settings', () => {
  const c = loadConfig({}, {});
  assert.deepEqual(c.media.urlAllowlist, []);
  assert.equal(c.media.caFile, undefined);
  assert.equal(c.media.networkFileFreshSeconds, 60);
});
