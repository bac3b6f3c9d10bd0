/** Which addresses network prompt files may come from (issue 11 item 5): the classifier and the allowlist. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { AddressPolicy, AddressPolicyError, classifyAddress } from '../../src/media-library/addressPolicy.js';

test('loopback, private, link-local and the like are recognised in both families and in mapped forms', () => {
  const cases: [string, string][] = [
    ['127.0.0.1', 'loopback'],
    ['127.8.9.10', 'loopback'],
    ['::1', 'loopback'],
    ['::ffff:127.0.0.1', 'loopback'],
    ['::ffff:7f00:1', 'loopback'],
    ['64:ff9b::7f00:1', 'loopback'],
    ['10.1.2.3', 'private'],
    ['172.31.255.255', 'private'],
    ['192.168.1.1', 'private'],
    ['fd12:3456::1', 'private'],
    ['169.254.169.254', 'link-local'],
    ['fe80::1', 'link-local'],
    ['0.0.0.0', 'unspecified'],
    ['::', 'unspecified'],
    ['100.64.0.1', 'shared'],
    ['224.0.0.1', 'multicast'],
    ['255.255.255.255', 'reserved'],
  ];
  for (const [ip, kind] of cases) assert.equal(classifyAddress(ip), kind, ip);
});

test('public addresses are public', () => {
  for (const ip of ['198.51.100.7', '8.8.8.8', '172.32.0.1', '2400:3200::1', '::ffff:203.0.113.9'])
    assert.equal(classifyAddress(ip), 'public', ip);
});

test('by default only public addresses are allowed', () => {
  const p = new AddressPolicy();
  assert.equal(p.allows('cdn.example.com', '198.51.100.7'), true);
  assert.equal(p.allows('cdn.example.com', '127.0.0.1'), false);
  assert.equal(p.allows('cdn.example.com', '::ffff:10.0.0.1'), false);
});

test('hosts, wildcards and CIDRs in the allowlist allow private addresses', () => {
  const p = new AddressPolicy({
    allowlist: ['prompts.lan', '*.corp.example', '10.20.0.0/16', 'fd00::/8', '192.168.7.7'],
  });
  assert.equal(p.allows('PROMPTS.lan.', '127.0.0.1'), true);
  assert.equal(p.allows('a.b.corp.example', '10.9.9.9'), true);
  assert.equal(p.allows('corp.example', '10.9.9.9'), false, 'the wildcard is for subdomains');
  assert.equal(p.allows('x.test', '10.20.3.4'), true);
  assert.equal(p.allows('x.test', '::ffff:10.20.3.4'), true);
  assert.equal(p.allows('x.test', '10.21.3.4'), false);
  assert.equal(p.allows('x.test', 'fd99::1'), true);
  assert.equal(p.allows('x.test', '192.168.7.7'), true);
  assert.equal(p.allows('x.test', '192.168.7.8'), false);
});

test('allowAll (media.allowPrivateUrls) allows everything', () => {
  assert.equal(new AddressPolicy({ allowAll: true }).allows('x', '127.0.0.1'), true);
});

test('an entry that is neither a host nor a CIDR is refused, naming it', () => {
  for (const bad of ['10.0.0.0/33', 'http://x', 'a b', '1.2.3.4/8/9'])
    assert.throws(
      () => new AddressPolicy({ allowlist: [bad] }),
      (err: Error) => err instanceof AddressPolicyError && err.message.includes(bad),
    );
});
