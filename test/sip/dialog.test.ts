import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Dialog } from '../../src/sip/dialog.js';
import { parseSipMessage } from '../../src/sip/messageParser.js';
import type { SipRequest, SipResponse } from '../../src/sip/sipMessage.js';

function parse<T>(text: string): T {
  const r = parseSipMessage(Buffer.from(text.replace(/\n/g, '\r\n')));
  assert.ok(r.ok, r.ok ? '' : r.error.detail);
  return r.message as T;
}

const OK = `SIP/2.0 200 OK
Via: SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bKd1
From: <sip:smartcall@127.0.0.1>;tag=ours
To: <sip:callee@127.0.0.1:5065>;tag=theirs
Call-ID: dialog-test
CSeq: 2 INVITE
Record-Route: <sip:127.0.0.1:5065;transport=tcp;r2=on;lr>, <sip:127.0.0.1:5065;r2=on;lr>
Record-Route: <sip:10.0.0.1;lr>
Contact: <sip:callee@127.0.0.1:6000>
Content-Length: 0

`;

describe('dialogs', () => {
  test('the UAC route set is the Record-Route list reversed and requests go to its first hop', () => {
    const response = parse<SipResponse>(OK);
    const dialog = Dialog.asUac(response, response.to.uri, '<sip:smartcall@127.0.0.1:5070>', 'udp');
    assert.deepEqual(
      dialog.routeSet.map((r) => r.uri.toString()),
      ['sip:10.0.0.1;lr', 'sip:127.0.0.1:5065;r2=on;lr', 'sip:127.0.0.1:5065;transport=tcp;r2=on;lr'],
    );
    assert.equal(dialog.remoteTarget.toString(), 'sip:callee@127.0.0.1:6000');
    const hop = dialog.nextHop();
    assert.ok(hop.ok);
    assert.deepEqual(hop.endpoint, { protocol: 'udp', address: '10.0.0.1', port: 5060 });
    const bye = dialog.createRequest('BYE');
    assert.equal(bye.uri.toString(), 'sip:callee@127.0.0.1:6000');
    assert.deepEqual(bye.cseq, { seq: 3, method: 'BYE' });
    assert.equal(bye.from.tag, 'ours');
    assert.equal(bye.to.tag, 'theirs');
    assert.equal(bye.routes()?.length, 3);
    const ack = dialog.createRequest('ACK', { cseq: 2 });
    assert.deepEqual(ack.cseq, { seq: 2, method: 'ACK' });
    assert.equal(dialog.localSeq, 3, 'ACK does not use up a sequence number');
  });

  test('a first route without lr means strict routing: it becomes the Request-URI', () => {
    const response = parse<SipResponse>(
      OK.replace(/Record-Route:.*\n/g, '').replace(
        'Contact:',
        'Record-Route: <sip:127.0.0.1:5099>\nContact:',
      ),
    );
    const dialog = Dialog.asUac(response, response.to.uri, '<sip:smartcall@127.0.0.1:5070>', 'udp');
    const bye = dialog.createRequest('BYE');
    assert.equal(bye.uri.toString(), 'sip:127.0.0.1:5099');
    assert.deepEqual(bye.headers.getAll('route'), ['<sip:callee@127.0.0.1:6000>']);
  });

  test('the UAS side keeps the Record-Route order and rejects lower CSeq numbers', () => {
    const invite = parse<SipRequest>(`INVITE sip:smartcall@127.0.0.1:5070 SIP/2.0
Via: SIP/2.0/UDP 127.0.0.1:5065;branch=z9hG4bKd2
From: <sip:caller@127.0.0.1>;tag=caller
To: <sip:smartcall@127.0.0.1:5070>
Call-ID: uas-dialog
CSeq: 5 INVITE
Record-Route: <sip:127.0.0.1:5065;lr>
Contact: <sip:caller@127.0.0.1:7000;transport=tcp>
Content-Length: 0

`);
    const dialog = Dialog.asUas(invite, 'mine', '<sip:smartcall@127.0.0.1:5070>', 'udp');
    assert.equal(dialog.key, Dialog.key('uas-dialog', 'mine', 'caller'));
    assert.equal(dialog.routeSet[0]?.uri.toString(), 'sip:127.0.0.1:5065;lr');
    const next = parse<SipRequest>(
      `BYE sip:smartcall@127.0.0.1:5070 SIP/2.0\nVia: SIP/2.0/UDP 127.0.0.1:5065;branch=z9hG4bKd3\nFrom: <sip:caller@127.0.0.1>;tag=caller\nTo: <sip:smartcall@127.0.0.1:5070>;tag=mine\nCall-ID: uas-dialog\nCSeq: 4 BYE\nContent-Length: 0\n\n`,
    );
    assert.equal(dialog.acceptRemoteCSeq(next), false);
  });

  test('a remote target with a host name cannot be reached', () => {
    const response = parse<SipResponse>(
      OK.replace(/Record-Route:.*\n/g, '').replace('callee@127.0.0.1:6000', 'callee@pbx.example.com'),
    );
    const dialog = Dialog.asUac(response, response.to.uri, '<sip:smartcall@127.0.0.1:5070>', 'udp');
    const hop = dialog.nextHop();
    assert.equal(hop.ok ? 'ok' : hop.code, 'host-not-ip-literal');
  });
});
