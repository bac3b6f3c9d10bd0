import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  buildAuthorization,
  chooseChallenge,
  computeDigestResponse,
  parseDigestChallenge,
} from '../../src/sip/digestAuth.js';

describe('digest authentication', () => {
  test('computes the RFC 2617 §3.5 example response (MD5, qop=auth)', () => {
    const challenge = parseDigestChallenge(
      'Digest realm="testrealm@host.com", qop="auth,auth-int", nonce="dcd98b7102dd2f0e8b11d0f600bfb0c093", opaque="5ccc069c403ebaf9f0171e9517f40e41"',
    )!;
    assert.equal(challenge.algorithm, 'MD5');
    assert.deepEqual(challenge.qop, ['auth', 'auth-int']);
    const response = computeDigestResponse({
      challenge,
      credentials: { username: 'Mufasa', password: 'Circle Of Life' },
      method: 'GET',
      uri: '/dir/index.html',
      nc: 1,
      cnonce: '0a4f113b',
      qop: 'auth',
    });
    assert.equal(response, '6629fae49393a05397450978507c4ef1');
  });

  const rfc7616 = (algorithm: string) =>
    parseDigestChallenge(
      `Digest realm="http-auth@example.org", qop="auth, auth-int", algorithm=${algorithm}, nonce="7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v", opaque="FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS"`,
    )!;
  const rfc7616Input = {
    credentials: { username: 'Mufasa', password: 'Circle of Life' },
    method: 'GET',
    uri: '/dir/index.html',
    nc: 1,
    cnonce: 'f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ',
    qop: 'auth',
  };

  test('computes the RFC 7616 §3.9.1 example response with MD5', () => {
    const response = computeDigestResponse({ challenge: rfc7616('MD5'), ...rfc7616Input });
    assert.equal(response, '8ca523f5e9506fed4657c9700eebdbec');
  });

  test('computes the RFC 7616 §3.9.1 example response with SHA-256', () => {
    const response = computeDigestResponse({ challenge: rfc7616('SHA-256'), ...rfc7616Input });
    assert.equal(response, '753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1');
  });

  test('answers an RFC 2069 challenge without qop with a plain response', () => {
    const challenge = parseDigestChallenge('Digest realm="trunk.test", nonce="abc"')!;
    const header = buildAuthorization({
      challenge,
      credentials: { username: 'u', password: 'p' },
      method: 'INVITE',
      uri: 'sip:1@127.0.0.1',
      nc: 1,
    });
    assert.doesNotMatch(header, /qop=|nc=|cnonce=/);
    assert.match(
      header,
      /^Digest username="u", realm="trunk.test", nonce="abc", uri="sip:1@127.0.0.1", response="[0-9a-f]{32}", algorithm=MD5$/,
    );
  });

  test('builds an Authorization header with qop, nonce count, cnonce and opaque', () => {
    const header = buildAuthorization({
      challenge: rfc7616('SHA-256'),
      ...rfc7616Input,
    });
    assert.match(header, /response="753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1"/);
    assert.match(header, /, qop=auth, nc=00000001/);
    assert.match(header, /opaque="FQhe\/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS"/);
    assert.match(header, /algorithm=SHA-256/);
  });

  test('prefers SHA-256 when a server offers both algorithms', () => {
    const chosen = chooseChallenge([
      'Digest realm="r", nonce="1", algorithm=MD5, qop="auth"',
      'Digest realm="r", nonce="2", algorithm=SHA-256, qop="auth"',
    ]);
    assert.equal(chosen?.algorithm, 'SHA-256');
    assert.equal(chosen?.nonce, '2');
  });

  test('ignores schemes and algorithms it cannot answer', () => {
    assert.equal(parseDigestChallenge('Basic realm="x"'), undefined);
    assert.equal(parseDigestChallenge('Digest realm="x", nonce="y", algorithm=AKAv1-MD5'), undefined);
    assert.equal(chooseChallenge(['Digest realm="x", nonce="y", qop="auth-conf"']), undefined);
    assert.equal(parseDigestChallenge('Digest realm="unterminated, nonce="y"'), undefined);
  });

  test('reads stale=true so that a refreshed nonce can be retried', () => {
    assert.equal(parseDigestChallenge('Digest realm="r", nonce="n", stale=TRUE')?.stale, true);
  });
});
