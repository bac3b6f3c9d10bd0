import assert from 'node:assert/strict';
import { once } from 'node:events';
import { after, afterEach, before, beforeEach, describe, test } from 'node:test';
import type { IncomingInvite } from '../../src/sip/incomingInvite.js';
import { buildAnswer } from '../../src/sip/sdp.js';
import type { SipUserAgent } from '../../src/sip/sipUserAgent.js';
import { PEER_SDP, ScriptedPeer } from './scriptedPeer.js';
import { assertIdle, createUa } from './uaHarness.js';

let ua: SipUserAgent;
let peer: ScriptedPeer;
let uaPort: number;

before(async () => {
  ua = await createUa({ tcpPort: false, sessionTimer: { minSE: 90 } });
  uaPort = ua.localEndpoint('udp')!.port;
});
after(async () => {
  await ua.close();
});
beforeEach(async () => {
  peer = await ScriptedPeer.create();
});
afterEach(() => {
  peer.close();
});

let seq = 0;
function invite(extra: string[] = [], body = PEER_SDP): { callId: string; text: string } {
  const callId = `in-${++seq}`;
  const lines = [
    `INVITE sip:smartcall@127.0.0.1:${uaPort} SIP/2.0`,
    `Via: SIP/2.0/UDP 127.0.0.1:${peer.port};branch=z9hG4bK-in-${seq};rport`,
    'Max-Forwards: 70',
    `From: <${peer.uri('caller')}>;tag=c${seq}`,
    `To: <sip:smartcall@127.0.0.1:${uaPort}>`,
    `Call-ID: ${callId}`,
    'CSeq: 10 INVITE',
    `Contact: <${peer.uri('caller')}>`,
    ...extra,
    ...(body ? ['Content-Type: application/sdp'] : []),
    `Content-Length: ${Buffer.byteLength(body)}`,
    '',
    body,
  ];
  return { callId, text: lines.join('\r\n') };
}

function inDialog(
  method: string,
  callId: string,
  toTag: string,
  cseq: number,
  extra: string[] = [],
  branch = `z9hG4bK-${method}-${cseq}-${seq}`,
): string {
  return [
    `${method} sip:smartcall@127.0.0.1:${uaPort} SIP/2.0`,
    `Via: SIP/2.0/UDP 127.0.0.1:${peer.port};branch=${branch}`,
    'Max-Forwards: 70',
    `From: <${peer.uri('caller')}>;tag=c${seq}`,
    `To: <sip:smartcall@127.0.0.1:${uaPort}>;tag=${toTag}`,
    `Call-ID: ${callId}`,
    `CSeq: ${cseq} ${method}`,
    ...extra,
    'Content-Length: 0',
    '',
    '',
  ].join('\r\n');
}

function nextIncoming(): Promise<IncomingInvite> {
  return new Promise((resolve) => ua.once('incoming', resolve));
}

function answer(call: IncomingInvite): string {
  const a = buildAnswer(call.offer!, { ip: '127.0.0.1', port: 42000, sessionId: '9' });
  assert.ok(a.ok);
  call.answer(a.value.sdp);
  return a.value.sdp;
}

describe('incoming calls', () => {
  test('ring, early media and answer send 180, 183 with SDP and 200 with the same To tag', async () => {
    const incoming = nextIncoming();
    const { text } = invite();
    peer.send(text, uaPort);
    const call = await incoming;
    assert.equal(call.offerMedia?.port, 30000);
    call.ring();
    call.progress(answer183(call));
    answer(call);
    const ok = await peer.next((m) => m.kind === 'response' && m.status === 200);
    const statuses = peer.received
      .filter((r) => r.message.kind === 'response')
      .map((r) => (r.message.kind === 'response' ? r.message.status : 0));
    assert.deepEqual(statuses, [100, 180, 183, 200]);
    const tags = new Set(peer.received.slice(1).map((r) => r.message.to.tag));
    assert.equal(tags.size, 1);
    assert.match(ok.bodyText(), /m=audio 42000 RTP\/AVP 0 101/);
    const confirmed = once(call, 'confirmed');
    peer.send(inDialog('ACK', call.callId, ok.to.tag!, 10), uaPort);
    await confirmed;
    const ended = once(call, 'ended');
    peer.send(inDialog('BYE', call.callId, ok.to.tag!, 11), uaPort);
    assert.deepEqual(await ended, ['remote', 'bye']);
    await peer.next((m) => m.kind === 'response' && m.cseq.method === 'BYE' && m.status === 200);
    await assertIdle(ua);
  });

  test('the 200 is retransmitted until the ACK, and a missing ACK ends the call with BYE', async () => {
    const incoming = nextIncoming();
    peer.send(invite().text, uaPort);
    const call = await incoming;
    const ended = once(call, 'ended');
    answer(call);
    const bye = await peer.request('BYE', 3000);
    const oks = peer.count((m) => m.kind === 'response' && m.status === 200);
    assert.ok(oks >= 4, `200 sent ${oks} times`);
    peer.respond(bye, uaPort, '200 OK');
    assert.deepEqual(await ended, ['local', 'ack-timeout']);
    await assertIdle(ua);
  });

  test('CANCEL while ringing answers 200 to the CANCEL and 487 to the INVITE', async () => {
    const incoming = nextIncoming();
    const { text, callId } = invite();
    peer.send(text, uaPort);
    const call = await incoming;
    call.ring();
    const ended = once(call, 'ended');
    const cancel = text
      .split('\r\n\r\n')[0]!
      .replace(/^INVITE/, 'CANCEL')
      .replace('CSeq: 10 INVITE', 'CSeq: 10 CANCEL')
      .replace(/Content-Type: .*\r\n/, '')
      .replace(/Content-Length: \d+/, 'Content-Length: 0');
    peer.send(cancel + '\r\n\r\n', uaPort);
    assert.deepEqual(await ended, ['remote', 'cancelled']);
    await peer.next((m) => m.kind === 'response' && m.status === 487);
    await peer.next((m) => m.kind === 'response' && m.cseq.method === 'CANCEL' && m.status === 200);
    const tag = (await peer.next((m) => m.kind === 'response' && m.status === 487)).to.tag!;
    peer.send(inDialog('ACK', callId, tag, 10, [], `z9hG4bK-in-${seq}`), uaPort);
    await assertIdle(ua);
  });

  test('reject sends the chosen final status', async () => {
    const incoming = nextIncoming();
    peer.send(invite().text, uaPort);
    const call = await incoming;
    call.reject(603, 'Decline');
    const r = await peer.next((m) => m.kind === 'response' && m.status >= 300);
    assert.equal(r.kind === 'response' && `${r.status} ${r.reason}`, '603 Decline');
  });

  test('a Session-Expires below our minimum is refused with 422 and Min-SE', async () => {
    peer.send(invite(['Session-Expires: 30', 'Supported: timer']).text, uaPort);
    const r = await peer.next((m) => m.kind === 'response' && m.status === 422);
    assert.equal(r.headers.get('min-se'), '90');
  });

  test('a session timer request is honoured in the 200 with refresher=uac and Require: timer', async () => {
    const incoming = nextIncoming();
    peer.send(invite(['Session-Expires: 1800', 'Supported: timer']).text, uaPort);
    const call = await incoming;
    answer(call);
    const ok = await peer.next((m) => m.kind === 'response' && m.status === 200);
    assert.equal(ok.headers.get('session-expires'), '1800;refresher=uac');
    assert.deepEqual(ok.require(), ['timer']);
    assert.equal(call.session?.sessionInterval, 1800);
    assert.equal(call.session?.weRefresh, false);
    peer.send(inDialog('ACK', call.callId, ok.to.tag!, 10), uaPort);
    const ended = once(call, 'ended');
    call.bye();
    const bye = await peer.request('BYE');
    peer.respond(bye, uaPort, '200 OK');
    await ended;
    await assertIdle(ua);
  });

  test('requests for unknown dialogs get 481, out-of-order CSeq gets 500, unhandled calls 480', async () => {
    peer.send(inDialog('BYE', 'nope', 'nope', 1), uaPort);
    await peer.next((m) => m.kind === 'response' && m.status === 481);
    const incoming = nextIncoming();
    const { callId, text } = invite();
    peer.send(text, uaPort);
    const call = await incoming;
    answer(call);
    const ok = await peer.next((m) => m.kind === 'response' && m.status === 200);
    peer.send(inDialog('ACK', callId, ok.to.tag!, 10), uaPort);
    peer.send(inDialog('INFO', callId, ok.to.tag!, 9), uaPort);
    await peer.next((m) => m.kind === 'response' && m.status === 500);
    const ended = once(call, 'ended');
    peer.send(inDialog('BYE', callId, ok.to.tag!, 12), uaPort);
    await ended;
    const listeners = ua.listeners('incoming');
    ua.removeAllListeners('incoming');
    peer.send(invite().text, uaPort);
    await peer.next((m) => m.kind === 'response' && m.status === 480);
    for (const l of listeners) ua.on('incoming', l as never);
    await assertIdle(ua);
  });
});

function answer183(call: IncomingInvite): string {
  const a = buildAnswer(call.offer!, { ip: '127.0.0.1', port: 42000, sessionId: '9' });
  assert.ok(a.ok);
  return a.value.sdp;
}
