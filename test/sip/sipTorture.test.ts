import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parseSipMessage } from '../../src/sip/messageParser.js';
import { serializeMessage } from '../../src/sip/messageSerializer.js';
import { validateRequest } from '../../src/sip/requestValidator.js';
import { loadSipFixtures } from './fixturePaths.js';

/**
 * RFC 4475 torture messages (test/fixtures/sip-torture). Each one is labelled with what this UA
 * does with it: parse it, reject it at parse time (answering 400/505 when it is a request), or
 * parse it and answer it with a specific status from the UAS checks of RFC 3261 §8.2.
 */

const CAPS = {
  methods: ['INVITE', 'ACK', 'CANCEL', 'BYE', 'OPTIONS', 'UPDATE', 'INFO'],
  extensions: ['timer'],
  accept: ['application/sdp'],
};

type Expect =
  | { kind: 'valid'; answer?: number }
  | { kind: 'parse-error'; reply?: number }
  | { kind: 'answered'; status: number };

const EXPECTED: Record<string, Expect> = {
  // §3.1.1 valid messages
  wsinv: { kind: 'valid' },
  intmeth: { kind: 'valid', answer: 405 },
  esc01: { kind: 'valid' },
  escnull: { kind: 'valid', answer: 405 },
  esc02: { kind: 'valid', answer: 405 },
  lwsdisp: { kind: 'valid' },
  longreq: { kind: 'valid' },
  dblreq: { kind: 'valid', answer: 405 },
  semiuri: { kind: 'valid' },
  transports: { kind: 'valid' },
  mpart01: { kind: 'valid', answer: 405 },
  unreason: { kind: 'valid' },
  noreason: { kind: 'valid' },
  // §3.1.2 invalid messages
  badinv01: { kind: 'parse-error', reply: 400 },
  clerr: { kind: 'parse-error', reply: 400 },
  ncl: { kind: 'parse-error', reply: 400 },
  scalar02: { kind: 'parse-error', reply: 400 },
  scalarlg: { kind: 'parse-error' },
  quotbal: { kind: 'parse-error', reply: 400 },
  ltgtruri: { kind: 'parse-error', reply: 400 },
  lwsruri: { kind: 'parse-error', reply: 400 },
  lwsstart: { kind: 'parse-error', reply: 400 },
  trws: { kind: 'parse-error', reply: 400 },
  escruri: { kind: 'answered', status: 400 },
  baddate: { kind: 'answered', status: 400 },
  regbadct: { kind: 'answered', status: 400 },
  badaspec: { kind: 'parse-error', reply: 400 },
  baddn: { kind: 'parse-error', reply: 400 },
  badvers: { kind: 'parse-error', reply: 505 },
  mismatch01: { kind: 'parse-error', reply: 400 },
  mismatch02: { kind: 'parse-error', reply: 400 },
  bigcode: { kind: 'parse-error' },
  // §3.2 transaction layer
  badbranch: { kind: 'valid' },
  // §3.3 application layer
  insuf: { kind: 'parse-error', reply: 400 },
  unkscm: { kind: 'answered', status: 416 },
  novelsc: { kind: 'answered', status: 416 },
  unksm2: { kind: 'valid', answer: 405 },
  bext01: { kind: 'answered', status: 420 },
  invut: { kind: 'answered', status: 415 },
  regaut01: { kind: 'valid', answer: 405 },
  multi01: { kind: 'parse-error', reply: 400 },
  mcl01: { kind: 'parse-error', reply: 400 },
  bcast: { kind: 'valid' },
  zeromf: { kind: 'valid' },
  cparam01: { kind: 'valid', answer: 405 },
  cparam02: { kind: 'valid', answer: 405 },
  regescrt: { kind: 'valid', answer: 405 },
  sdp01: { kind: 'answered', status: 406 },
  // §3.4 backward compatibility
  inv2543: { kind: 'valid' },
};

const fixtures = loadSipFixtures('sip-torture');

describe('RFC 4475 torture messages', () => {
  test('every fixture has an expectation and every expectation a fixture', () => {
    assert.deepEqual([...fixtures.keys()].sort(), Object.keys(EXPECTED).sort());
  });

  for (const [name, bytes] of fixtures) {
    const expected = EXPECTED[name]!;
    const label =
      expected.kind === 'valid'
        ? `${name} parses`
        : expected.kind === 'answered'
          ? `${name} parses and is answered ${expected.status}`
          : `${name} is rejected by the parser${expected.reply ? ` and answered ${expected.reply}` : ''}`;
    test(label, () => {
      const outcome = parseSipMessage(bytes);
      if (expected.kind === 'parse-error') {
        assert.equal(outcome.ok, false, `${name} should not parse`);
        if (outcome.ok) return;
        assert.equal(outcome.error.reply?.status, expected.reply, outcome.error.detail);
        return;
      }
      assert.ok(outcome.ok, outcome.ok ? '' : `${outcome.error.code}: ${outcome.error.detail}`);
      const message = outcome.message;
      if (message.kind === 'request') {
        const rejection = validateRequest(message, CAPS);
        const want = expected.kind === 'answered' ? expected.status : expected.answer;
        assert.equal(rejection?.status, want, JSON.stringify(rejection));
      }
      // whatever parses re-serializes into something that parses to the same core values
      const again = parseSipMessage(serializeMessage(message));
      assert.ok(again.ok, again.ok ? '' : again.error.detail);
      assert.equal(again.message.callId, message.callId);
      assert.deepEqual(again.message.cseq, message.cseq);
      assert.equal(again.message.vias.length, message.vias.length);
      assert.deepEqual(again.message.body, message.body);
    });
  }

  test('wsinv yields the values hidden behind its white space, folding and compact forms', () => {
    const outcome = parseSipMessage(fixtures.get('wsinv')!);
    assert.ok(outcome.ok);
    const m = outcome.message;
    assert.equal(m.kind, 'request');
    assert.equal(m.to.tag, '1918181833n');
    assert.equal(m.from.tag, '98asjd8');
    assert.equal(m.from.displayName, 'J Rosenberg \\"');
    assert.equal(m.maxForwards(), 68);
    assert.deepEqual(m.cseq, { seq: 9, method: 'INVITE' });
    assert.deepEqual(
      m.vias.map((v) => [v.transport, v.host, v.branch]),
      [
        ['UDP', '192.0.2.2', '390skdjuw'],
        ['TCP', 'spindle.example.com', 'z9hG4bK9ikj8'],
        ['UDP', '192.168.255.111', 'z9hG4bK30239'],
      ],
    );
    const contact = m.contacts()![0]!;
    assert.equal(contact.displayName, 'Quoted string ""');
    assert.equal(contact.params.get('newparam'), 'newvalue');
    assert.equal(contact.params.get('q'), '0.33');
    assert.equal(m.headers.get('NewFangledHeader'), 'newfangled value continued newfangled value');
    assert.equal(m.headers.get('subject'), '');
    assert.equal(m.body.length, 150);
  });

  test('intmeth keeps its unusual method, URI user and password', () => {
    const outcome = parseSipMessage(fixtures.get('intmeth')!);
    assert.ok(outcome.ok && outcome.message.kind === 'request');
    const m = outcome.message;
    assert.equal(m.method, "!interesting-Method0123456789_*+`.%indeed'~");
    assert.ok('user' in m.uri);
    assert.equal(m.uri.user, "1_unusual.URI~(to-be!sure)&isn't+it$/crazy?,/;;*");
    assert.equal(m.uri.password, "&it+has=1,weird!*pas$wo~d_too.(doesn't-it)");
    assert.equal(m.to.displayName, 'BEL:\x07 NUL:\x00 DEL:\x7f');
    assert.equal(m.from.displayName, "token1~` token2'+_ token3*%!.-");
  });

  test('semiuri puts the parameter-looking text into the user part', () => {
    const outcome = parseSipMessage(fixtures.get('semiuri')!);
    assert.ok(outcome.ok && outcome.message.kind === 'request' && 'user' in outcome.message.uri);
    assert.equal(outcome.message.uri.user, 'user;par=u%40example.net');
    assert.equal(outcome.message.uri.host, 'example.com');
    assert.equal(outcome.message.headers.getList('accept')?.length, 6);
  });

  test('dblreq ignores the second request riding in the same datagram', () => {
    const outcome = parseSipMessage(fixtures.get('dblreq')!);
    assert.ok(outcome.ok && outcome.message.kind === 'request');
    assert.equal(outcome.message.method, 'REGISTER');
    assert.equal(outcome.message.body.length, 0);
  });

  test('esc02 treats an escaped header name as an unknown header', () => {
    const outcome = parseSipMessage(fixtures.get('esc02')!);
    assert.ok(outcome.ok);
    assert.equal(outcome.message.contacts()!.length, 2);
    assert.equal(outcome.message.headers.get('C%6Fntact'), '<sip:alias2@host2.example.com>');
  });

  test('longreq finds all 34 Via values whatever their spelling', () => {
    const outcome = parseSipMessage(fixtures.get('longreq')!);
    assert.ok(outcome.ok);
    assert.equal(outcome.message.vias.length, 34);
    assert.equal(outcome.message.vias[33]!.received, '192.0.2.5');
  });

  test('unreason keeps a UTF-8 reason phrase and noreason an empty one', () => {
    const a = parseSipMessage(fixtures.get('unreason')!);
    const b = parseSipMessage(fixtures.get('noreason')!);
    assert.ok(a.ok && a.message.kind === 'response' && b.ok && b.message.kind === 'response');
    assert.ok(a.message.reason.endsWith('простое'));
    assert.equal(b.message.status, 100);
    assert.equal(b.message.reason, '');
  });
});
