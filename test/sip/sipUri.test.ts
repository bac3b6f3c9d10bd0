import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parseCSeq, parseSessionExpires } from '../../src/sip/headerValues.js';
import { parseNameAddr } from '../../src/sip/nameAddr.js';
import { isSipUri, parseUri, SipUri, uriHost } from '../../src/sip/sipUri.js';
import { parseVia } from '../../src/sip/via.js';

describe('SIP URIs', () => {
  test('an IPv6 address is bracketed as a URI host; other hosts and bracketed ones are kept', () => {
    assert.equal(uriHost('::1'), '[::1]');
    assert.equal(uriHost('[2001:db8::1]'), '[2001:db8::1]');
    assert.equal(uriHost('127.0.0.1'), '127.0.0.1');
    assert.equal(uriHost('trunk.example.com'), 'trunk.example.com');
  });

  test('parse user, password, host, port, parameters and headers', () => {
    const uri = parseUri(
      'sips:alice:secret@192.0.2.4:5061;transport=tcp;lr;maddr=192.0.2.9?subject=hi&priority=urgent',
    );
    assert.ok(isSipUri(uri));
    assert.equal(uri.scheme, 'sips');
    assert.equal(uri.user, 'alice');
    assert.equal(uri.password, 'secret');
    assert.equal(uri.host, '192.0.2.4');
    assert.equal(uri.port, 5061);
    assert.equal(uri.transport, 'tcp');
    assert.equal(uri.params.get('lr'), null);
    assert.equal(uri.params.get('MADDR'), '192.0.2.9');
    assert.equal(uri.headers, 'subject=hi&priority=urgent');
    assert.equal(
      uri.toString(),
      'sips:alice:secret@192.0.2.4:5061;transport=tcp;lr;maddr=192.0.2.9?subject=hi&priority=urgent',
    );
  });

  test('parse IPv6 literals with and without a port', () => {
    const a = parseUri('sip:bob@[2001:db8::1]:5070;transport=udp');
    assert.ok(isSipUri(a));
    assert.equal(a.host, '[2001:db8::1]');
    assert.equal(a.address, '2001:db8::1');
    assert.equal(a.port, 5070);
    const b = parseUri('sip:[::1]');
    assert.ok(isSipUri(b));
    assert.equal(b.port, undefined);
    assert.equal(b.user, undefined);
    assert.equal(b.toString(), 'sip:[::1]');
  });

  test('keep other schemes opaque', () => {
    const tel = parseUri('tel:+8613800000000;phone-context=example.com');
    assert.equal(isSipUri(tel), false);
    assert.equal(tel?.scheme, 'tel');
    assert.equal(tel?.toString(), 'tel:+8613800000000;phone-context=example.com');
  });

  test('reject malformed URIs instead of guessing', () => {
    for (const bad of [
      '',
      'sip:',
      'sip:user@',
      'sip:@host',
      'sip:host:99999',
      'sip:host:abc',
      'sip:a b@host',
      'sip:[::1',
      'sip:[not-ipv6]',
      'sip:host;=x',
      'sip:host?',
      '1sip:host',
      'sip:-host',
    ]) {
      assert.equal(parseUri(bad), undefined, bad);
    }
  });

  test('serialize a URI built in code', () => {
    const uri = new SipUri({ host: '127.0.0.1', port: 5060, user: 'smartcall' });
    uri.params.set('transport', 'tcp');
    assert.equal(uri.toString(), 'sip:smartcall@127.0.0.1:5060;transport=tcp');
  });
});

describe('name-addr values', () => {
  test('read display names, tags and header parameters', () => {
    const na = parseNameAddr('"Alice \\"A\\"" <sip:alice@192.0.2.1;transport=tcp>;tag=abc;expires=60');
    assert.ok(na);
    assert.equal(na.displayName, 'Alice "A"');
    assert.equal(na.tag, 'abc');
    assert.equal(na.params.get('expires'), '60');
    assert.equal(isSipUri(na.uri) && na.uri.transport, 'tcp');
  });

  test('treat parameters after an addr-spec as header parameters', () => {
    const na = parseNameAddr('sip:bob@192.0.2.2;tag=xyz');
    assert.equal(na?.tag, 'xyz');
    assert.equal(isSipUri(na?.uri) && na.uri.params.size, 0);
  });

  test('accept unquoted display names made of tokens', () => {
    assert.equal(parseNameAddr('Bob Smith <sip:bob@192.0.2.2>')?.displayName, 'Bob Smith');
  });

  test('reject unbalanced quotes, commas in bare names and spaces inside brackets', () => {
    assert.equal(parseNameAddr('"Bob <sip:bob@192.0.2.2>'), undefined);
    assert.equal(parseNameAddr('Smith, Bob <sip:bob@192.0.2.2>'), undefined);
    assert.equal(parseNameAddr('< sip:bob@192.0.2.2 >'), undefined);
    assert.equal(parseNameAddr('<sip:bob@192.0.2.2'), undefined);
  });
});

describe('Via, CSeq and Session-Expires values', () => {
  test('Via exposes branch, received and rport', () => {
    const via = parseVia('SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bK1;received=198.51.100.7;rport=5071');
    assert.ok(via);
    assert.equal(via.transport, 'UDP');
    assert.equal(via.branch, 'z9hG4bK1');
    assert.equal(via.received, '198.51.100.7');
    assert.equal(via.rport, 5071);
    assert.equal(parseVia('SIP/2.0/TCP [2001:db8::2]:5060;rport')?.rport, true);
  });

  test('Via without white space after the protocol or with an empty parameter is refused', () => {
    assert.equal(parseVia('SIP/2.0/UDP192.0.2.1'), undefined);
    assert.equal(parseVia('SIP/2.0/UDP 192.0.2.1;;branch=x'), undefined);
    assert.equal(parseVia('SIP/2.0 192.0.2.1'), undefined);
  });

  test('CSeq numbers must fit 32 bits', () => {
    assert.deepEqual(parseCSeq('4294967295 INVITE'), { seq: 4294967295, method: 'INVITE' });
    assert.equal(parseCSeq('4294967296 INVITE'), undefined);
    assert.equal(parseCSeq('1INVITE'), undefined);
  });

  test('Session-Expires carries the interval and the refresher', () => {
    assert.deepEqual(parseSessionExpires('1800;refresher=uac'), { seconds: 1800, refresher: 'uac' });
    assert.deepEqual(parseSessionExpires('90'), { seconds: 90, refresher: undefined });
    assert.equal(parseSessionExpires('90;refresher=both'), undefined);
  });
});
