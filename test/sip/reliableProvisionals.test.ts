/**
 * RFC 3262 as the caller: a 183 with Require: 100rel is PRACKed in its early dialog, once; its
 * retransmissions and out-of-order ones are dropped; the BYE's CSeq follows the PRACK's.
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { after, afterEach, before, beforeEach, describe, test } from 'node:test';
import type { SipRequest } from '../../src/sip/sipMessage.js';
import type { SipUserAgent } from '../../src/sip/sipUserAgent.js';
import { PEER_SDP, ScriptedPeer } from './scriptedPeer.js';
import { assertIdle, createUa, offer } from './uaHarness.js';

let ua: SipUserAgent;
let peer: ScriptedPeer;
let uaPort: number;

before(async () => {
  ua = await createUa({ tcpPort: false });
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

const isPrack = (m: { kind: string; method?: string }) => m.kind === 'request' && m.method === 'PRACK';
/** PRACK requests, not counting the transaction's own retransmissions (Timer E). */
const pracks = () =>
  new Set(peer.received.filter((r) => isPrack(r.message)).map((r) => (r.message as SipRequest).cseq.seq))
    .size;
const settle = () => new Promise((r) => setTimeout(r, 80));

function reliable183(
  invite: SipRequest,
  rseq: number,
  tag = 'early1',
  sdp: string | undefined = PEER_SDP,
): void {
  peer.respond(invite, uaPort, '183 Session Progress', {
    toTag: tag,
    headers: [`Contact: <${peer.uri()}>`, 'Require: 100rel', `RSeq: ${rseq}`],
    ...(sdp !== undefined && { sdp }),
  });
}

async function answerAndHangUp(
  call: ReturnType<SipUserAgent['invite']>,
  invite: SipRequest,
  tag = 'early1',
): Promise<SipRequest> {
  peer.respond(invite, uaPort, '200 OK', {
    toTag: tag,
    sdp: PEER_SDP,
    headers: [`Contact: <${peer.uri()}>`],
  });
  await once(call, 'answered');
  await peer.request('ACK');
  call.bye();
  const bye = await peer.request('BYE');
  peer.respond(bye, uaPort, '200 OK');
  await once(call, 'ended');
  return bye;
}

describe('reliable provisional responses (RFC 3262)', () => {
  test('the INVITE says Supported: 100rel; a reliable 183 is PRACKed with RAck in its early dialog', async () => {
    const call = ua.invite({ target: peer.uri(), offer: offer() });
    const invite = await peer.request('INVITE');
    assert.ok(invite.supported().includes('100rel'), `Supported: ${invite.headers.get('supported')}`);
    const early: string[] = [];
    call.on('early-media', (sdp) => early.push(sdp));
    reliable183(invite, 7);
    const prack = await peer.request('PRACK');
    assert.equal(prack.headers.get('rack'), `7 ${invite.cseq.seq} INVITE`);
    assert.deepEqual(prack.cseq, { seq: invite.cseq.seq + 1, method: 'PRACK' });
    assert.equal(prack.callId, invite.callId);
    assert.equal(prack.from.tag, invite.from.tag);
    assert.equal(prack.to.tag, 'early1');
    assert.equal(prack.uri.toString(), peer.uri(), 'sent to the Contact of the 183 (remote target)');
    assert.equal(prack.body.length, 0, 'no new offer in the PRACK');
    peer.respond(prack, uaPort, '200 OK');
    assert.equal(early.length, 1, 'early media from the reliable 183');
    const bye = await answerAndHangUp(call, invite);
    assert.ok(bye.cseq.seq > prack.cseq.seq, `BYE CSeq ${bye.cseq.seq} after PRACK ${prack.cseq.seq}`);
    await assertIdle(ua);
  });

  test('a retransmitted reliable 183 is dropped: one PRACK, one early-media event', async () => {
    const call = ua.invite({ target: peer.uri(), offer: offer() });
    const invite = await peer.request('INVITE');
    const progress: number[] = [];
    call.on('progress', (s) => progress.push(s));
    let early = 0;
    call.on('early-media', () => early++);
    reliable183(invite, 1);
    const prack = await peer.request('PRACK');
    reliable183(invite, 1);
    reliable183(invite, 1);
    await settle();
    assert.equal(pracks(), 1);
    assert.deepEqual(progress, [183]);
    assert.equal(early, 1);
    peer.respond(prack, uaPort, '200 OK');
    await answerAndHangUp(call, invite);
    await assertIdle(ua);
  });

  test('the next RSeq is PRACKed; one that skips a number, or goes back, is not processed (§4)', async () => {
    const call = ua.invite({ target: peer.uri(), offer: offer() });
    const invite = await peer.request('INVITE');
    const progress: number[] = [];
    call.on('progress', (s) => progress.push(s));
    reliable183(invite, 5);
    peer.respond(await peer.request('PRACK'), uaPort, '200 OK');
    reliable183(invite, 7, 'early1', undefined); // 6 is missing
    reliable183(invite, 4, 'early1', undefined); // older
    await settle();
    assert.equal(pracks(), 1, 'no PRACK for RSeq 7 or 4');
    assert.deepEqual(progress, [183]);
    peer.respond(invite, uaPort, '180 Ringing', {
      toTag: 'early1',
      headers: [`Contact: <${peer.uri()}>`, 'Require: 100rel', 'RSeq: 6'],
    });
    const second = await peer.next(
      (m) => isPrack(m) && (m as SipRequest).headers.get('rack')?.startsWith('6 ') === true,
    );
    peer.respond(second as SipRequest, uaPort, '200 OK');
    assert.deepEqual(progress, [183, 180]);
    const bye = await answerAndHangUp(call, invite);
    assert.ok(bye.cseq.seq > second.cseq.seq);
    await assertIdle(ua);
  });

  test('a 183 without Require: 100rel (RSeq alone) is not PRACKed', async () => {
    const call = ua.invite({ target: peer.uri(), offer: offer() });
    const invite = await peer.request('INVITE');
    peer.respond(invite, uaPort, '183 Session Progress', {
      toTag: 'e2',
      headers: [`Contact: <${peer.uri()}>`, 'RSeq: 1'],
      sdp: PEER_SDP,
    });
    await once(call, 'early-media');
    await settle();
    assert.equal(pracks(), 0);
    await answerAndHangUp(call, invite, 'e2');
    await assertIdle(ua);
  });

  test('two forks each keep their own RSeq and early dialog', async () => {
    const call = ua.invite({ target: peer.uri(), offer: offer() });
    const invite = await peer.request('INVITE');
    reliable183(invite, 1, 'forkA');
    reliable183(invite, 1, 'forkB');
    const a = await peer.next((m) => isPrack(m) && m.to.tag === 'forkA');
    const b = await peer.next((m) => isPrack(m) && m.to.tag === 'forkB');
    peer.respond(a as SipRequest, uaPort, '200 OK');
    peer.respond(b as SipRequest, uaPort, '200 OK');
    await answerAndHangUp(call, invite, 'forkB');
    await assertIdle(ua);
  });
});
