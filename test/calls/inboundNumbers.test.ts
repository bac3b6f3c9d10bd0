import assert from 'node:assert/strict';
import { test } from 'node:test';
import { inboundNumbers, nationalNumber } from '../../src/calls/inboundNumbers.js';
import { parseSipMessage, SipRequest } from '../../src/sip/index.js';

function invite(ruri: string, headers: string[] = []): SipRequest {
  const text = [
    `INVITE ${ruri} SIP/2.0`,
    'Via: SIP/2.0/UDP 127.0.0.1:5066;branch=z9hG4bK-1',
    'From: <sip:+8613711112222@carrier.example>;tag=a',
    'To: <sip:057100001111@carrier.example>',
    'Call-ID: inbound-numbers-1',
    'CSeq: 1 INVITE',
    'Max-Forwards: 70',
    ...headers,
    'Content-Length: 0',
    '',
    '',
  ].join('\r\n');
  const parsed = parseSipMessage(Buffer.from(text));
  if (!parsed.ok || !(parsed.message instanceof SipRequest)) assert.fail(JSON.stringify(parsed));
  return parsed.message;
}

test('carrier number formats read back as the national number', () => {
  assert.equal(nationalNumber('+8613800000001'), '13800000001');
  assert.equal(nationalNumber('8613800000001'), '13800000001');
  assert.equal(nationalNumber('008613800000001'), '13800000001');
  assert.equal(nationalNumber('+8657188880000'), '057188880000');
  assert.equal(nationalNumber('8657188880000'), '057188880000');
  assert.equal(nationalNumber('057188880000'), '057188880000');
  assert.equal(nationalNumber('13800000001'), '13800000001');
  assert.equal(nationalNumber('+14155550100'), '+14155550100', 'not Chinese: unchanged');
});

test('callee from the Request-URI, caller from From, orgcallee the callee when not forwarded', () => {
  assert.deepEqual(inboundNumbers(invite('sip:+8657100001111@127.0.0.1:5060')), {
    callee: '+8657100001111',
    caller: '13711112222',
    orgcallee: '057100001111',
  });
});

test('a Request-URI that is our registered Contact: the callee is the To user', () => {
  const n = inboundNumbers(invite('sip:trunk-carrier@127.0.0.1:5060'), { viaContact: true });
  assert.equal(n.callee, '057100001111');
});

test('P-Asserted-Identity names the caller; Diversion (its last entry) or History-Info the number first dialled', () => {
  const diverted = inboundNumbers(
    invite('sip:057100001111@127.0.0.1', [
      'P-Asserted-Identity: <tel:+8613900001111>',
      'Diversion: <sip:057133334444@carrier.example>;reason=unconditional, <sip:+8657122223333@carrier.example>;reason=user-busy',
    ]),
  );
  assert.equal(diverted.caller, '13900001111');
  assert.equal(diverted.orgcallee, '057122223333');
  const history = inboundNumbers(
    invite('sip:057100001111@127.0.0.1', [
      'History-Info: <sip:057155556666@carrier.example>;index=1, <sip:057100001111@127.0.0.1>;index=1.1',
    ]),
  );
  assert.equal(history.orgcallee, '057155556666');
});
