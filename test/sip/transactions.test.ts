import assert from 'node:assert/strict';
import { beforeEach, describe, test } from 'node:test';
import { ManualClock } from '../../src/clock/manualClock.js';
import { ClientInviteTransaction } from '../../src/sip/clientInviteTransaction.js';
import { ClientNonInviteTransaction } from '../../src/sip/clientNonInviteTransaction.js';
import { createResponse } from '../../src/sip/messageFactory.js';
import { parseSipMessage } from '../../src/sip/messageParser.js';
import { serializeMessage } from '../../src/sip/messageSerializer.js';
import { ServerInviteTransaction } from '../../src/sip/serverInviteTransaction.js';
import { ServerNonInviteTransaction } from '../../src/sip/serverNonInviteTransaction.js';
import type { SipRequest, SipResponse } from '../../src/sip/sipMessage.js';
import { Timers } from '../../src/sip/timers.js';
import type { ClientTransactionHandler, TransactionContext } from '../../src/sip/transaction.js';
import type { Endpoint, TransportError } from '../../src/sip/transport.js';

/** RFC 3261 §17 timers with T1 = 100 ms, T2 = 400 ms, T4 = 500 ms on a fake clock. */
const CONFIG = { t1: 100, t2: 400, t4: 500 };
const UDP: Endpoint = { protocol: 'udp', address: '127.0.0.1', port: 5060 };
const TCP: Endpoint = { protocol: 'tcp', address: '127.0.0.1', port: 5060 };

let clock: ManualClock;
let timers: Timers;
let sent: Array<{ at: number; text: string }>;
let removed: string[];
let ctx: TransactionContext;

beforeEach(() => {
  clock = new ManualClock({ start: 0 });
  timers = new Timers(clock);
  sent = [];
  removed = [];
  ctx = {
    timers,
    config: CONFIG,
    sendBytes: (data) => sent.push({ at: clock.now(), text: data.toString() }),
    serialize: serializeMessage,
    removed: (key) => removed.push(key),
  };
});

function request(method: string): SipRequest {
  const text =
    `${method} sip:bob@127.0.0.1:5060 SIP/2.0\r\n` +
    'Via: SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bKtest1;rport\r\n' +
    'Max-Forwards: 70\r\nFrom: <sip:alice@127.0.0.1>;tag=a1\r\nTo: <sip:bob@127.0.0.1>\r\n' +
    `Call-ID: tx-test\r\nCSeq: 1 ${method}\r\nRoute: <sip:127.0.0.1:5065;lr>\r\nContent-Length: 0\r\n\r\n`;
  const parsed = parseSipMessage(Buffer.from(text));
  assert.ok(parsed.ok && parsed.message.kind === 'request');
  return parsed.message;
}

function response(req: SipRequest, status: number): SipResponse {
  return createResponse(req, status, { toTag: 'b1' });
}

function recorder(): ClientTransactionHandler & { events: string[] } {
  const events: string[] = [];
  return {
    events,
    onResponse: (r) => events.push(`response ${r.status}`),
    onTimeout: () => events.push('timeout'),
    onTransportError: (e: TransportError) => events.push(`transport ${e.code}`),
  };
}

const sendTimes = (prefix: string) => sent.filter((s) => s.text.startsWith(prefix)).map((s) => s.at);

describe('INVITE client transaction', () => {
  test('retransmits on Timer A (T1 doubling) and times out on Timer B after 64*T1', () => {
    const h = recorder();
    const tx = new ClientInviteTransaction(ctx, 'k', request('INVITE'), UDP, h);
    tx.start();
    clock.advance(64 * CONFIG.t1);
    // seven transmissions in all, as RFC 3261 §17.1.1.2 counts them
    assert.deepEqual(sendTimes('INVITE'), [0, 100, 300, 700, 1500, 3100, 6300]);
    assert.deepEqual(h.events, ['timeout']);
    assert.equal(tx.state, 'terminated');
    assert.deepEqual(removed, ['k']);
    assert.equal(timers.active, 0);
  });

  test('does not retransmit over TCP but still times out', () => {
    const h = recorder();
    new ClientInviteTransaction(ctx, 'k', request('INVITE'), TCP, h).start();
    clock.advance(64 * CONFIG.t1);
    assert.deepEqual(sendTimes('INVITE'), [0]);
    assert.deepEqual(h.events, ['timeout']);
  });

  test('a provisional response stops retransmissions and Timer B', () => {
    const req = request('INVITE');
    const h = recorder();
    const tx = new ClientInviteTransaction(ctx, 'k', req, UDP, h);
    tx.start();
    clock.advance(150);
    tx.receive(response(req, 180));
    clock.advance(60_000);
    assert.deepEqual(sendTimes('INVITE'), [0, 100]);
    assert.deepEqual(h.events, ['response 180']);
    assert.equal(tx.state, 'proceeding');
  });

  test('a non-2xx final response is ACKed with the same branch, To tag and Route, and re-ACKed on retransmission', () => {
    const req = request('INVITE');
    const h = recorder();
    const tx = new ClientInviteTransaction(ctx, 'k', req, UDP, h);
    tx.start();
    const busy = response(req, 486);
    tx.receive(busy);
    tx.receive(busy);
    const acks = sent.filter((s) => s.text.startsWith('ACK'));
    assert.equal(acks.length, 2);
    const ack = parseSipMessage(Buffer.from(acks[0]!.text));
    assert.ok(ack.ok && ack.message.kind === 'request');
    assert.equal(ack.message.topVia.branch, 'z9hG4bKtest1');
    assert.equal(ack.message.to.tag, 'b1');
    assert.deepEqual(ack.message.cseq, { seq: 1, method: 'ACK' });
    assert.equal(ack.message.headers.get('route'), '<sip:127.0.0.1:5065;lr>');
    assert.equal(ack.message.uri.toString(), 'sip:bob@127.0.0.1:5060');
    assert.deepEqual(h.events, ['response 486']);
    assert.equal(tx.state, 'completed');
    clock.advance(64 * CONFIG.t1); // Timer D
    assert.equal(tx.state, 'terminated');
    assert.equal(timers.active, 0);
  });

  test('a 2xx moves to Accepted (RFC 6026) where retransmitted 2xx still reach the call until Timer M', () => {
    const req = request('INVITE');
    const h = recorder();
    const tx = new ClientInviteTransaction(ctx, 'k', req, UDP, h);
    tx.start();
    tx.receive(response(req, 200));
    tx.receive(response(req, 200));
    assert.equal(tx.state, 'accepted');
    assert.deepEqual(h.events, ['response 200', 'response 200']);
    assert.equal(sent.filter((s) => s.text.startsWith('ACK')).length, 0, 'the 2xx ACK is the dialog’s job');
    clock.advance(64 * CONFIG.t1);
    assert.equal(tx.state, 'terminated');
  });
});

describe('non-INVITE client transaction', () => {
  test('retransmits on Timer E capped at T2 and gives up on Timer F', () => {
    const h = recorder();
    new ClientNonInviteTransaction(ctx, 'k', request('BYE'), UDP, h).start();
    clock.advance(64 * CONFIG.t1);
    assert.deepEqual(
      sendTimes('BYE'),
      [0, 100, 300, 700, 1100, 1500, 1900, 2300, 2700, 3100, 3500, 3900, 4300, 4700, 5100, 5500, 5900, 6300],
    );
    assert.deepEqual(h.events, ['timeout']);
    assert.equal(timers.active, 0);
  });

  test('after a provisional response retransmits every T2', () => {
    const req = request('OPTIONS');
    const h = recorder();
    const tx = new ClientNonInviteTransaction(ctx, 'k', req, UDP, h);
    tx.start();
    tx.receive(response(req, 100));
    clock.advance(1000);
    assert.deepEqual(sendTimes('OPTIONS'), [0, 100, 500, 900]);
  });

  test('a final response completes it and Timer K (T4) ends it', () => {
    const req = request('BYE');
    const h = recorder();
    const tx = new ClientNonInviteTransaction(ctx, 'k', req, UDP, h);
    tx.start();
    tx.receive(response(req, 200));
    tx.receive(response(req, 200));
    assert.deepEqual(h.events, ['response 200']);
    clock.advance(CONFIG.t4 - 1);
    assert.equal(tx.state, 'completed');
    clock.advance(1);
    assert.equal(tx.state, 'terminated');
    assert.equal(timers.active, 0);
  });
});

describe('INVITE server transaction', () => {
  test('sends 100 Trying at once and repeats the last provisional on a retransmitted INVITE', () => {
    const req = request('INVITE');
    const tx = new ServerInviteTransaction(ctx, 'k', req, { target: UDP });
    tx.start();
    tx.respond(response(req, 180));
    tx.receive(req);
    assert.deepEqual(
      sent.map((s) => s.text.split('\r\n')[0]),
      ['SIP/2.0 100 Trying', 'SIP/2.0 180 Ringing', 'SIP/2.0 180 Ringing'],
    );
  });

  test('retransmits a non-2xx final on Timer G until the ACK, then absorbs ACKs until Timer I', () => {
    const req = request('INVITE');
    const tx = new ServerInviteTransaction(ctx, 'k', req, { target: UDP });
    tx.start();
    tx.respond(response(req, 486));
    clock.advance(1000);
    assert.deepEqual(sendTimes('SIP/2.0 486'), [0, 100, 300, 700]);
    tx.receive(request('ACK'));
    assert.equal(tx.state, 'confirmed');
    clock.advance(2000);
    assert.equal(sendTimes('SIP/2.0 486').length, 4);
    assert.equal(tx.state, 'terminated');
    assert.equal(timers.active, 0);
  });

  test('gives up on Timer H when the ACK never comes and tells the call', () => {
    const req = request('INVITE');
    const tx = new ServerInviteTransaction(ctx, 'k', req, { target: UDP });
    let timedOut = false;
    tx.onAckTimeout = () => {
      timedOut = true;
    };
    tx.start();
    tx.respond(response(req, 480));
    clock.advance(64 * CONFIG.t1);
    assert.equal(timedOut, true);
    assert.equal(tx.state, 'terminated');
    assert.equal(timers.active, 0);
  });

  test('a 2xx leaves it in Accepted until Timer L; later responses are ignored', () => {
    const req = request('INVITE');
    const tx = new ServerInviteTransaction(ctx, 'k', req, { target: UDP });
    tx.start();
    tx.respond(response(req, 200));
    tx.respond(response(req, 486));
    tx.receive(req);
    assert.deepEqual(
      sent.map((s) => s.text.split('\r\n')[0]),
      ['SIP/2.0 100 Trying', 'SIP/2.0 200 OK'],
    );
    clock.advance(64 * CONFIG.t1);
    assert.equal(tx.state, 'terminated');
  });
});

describe('non-INVITE server transaction', () => {
  test('answers retransmissions with the final response and lingers for Timer J', () => {
    const req = request('BYE');
    const tx = new ServerNonInviteTransaction(ctx, 'k', req, { target: UDP });
    tx.receive(req); // nothing to repeat yet
    tx.respond(response(req, 200));
    tx.receive(req);
    assert.equal(sendTimes('SIP/2.0 200').length, 2);
    clock.advance(64 * CONFIG.t1 - 1);
    assert.equal(tx.state, 'completed');
    clock.advance(1);
    assert.equal(tx.state, 'terminated');
  });

  test('ends at once over TCP (Timer J = 0)', () => {
    const req = request('BYE');
    const tx = new ServerNonInviteTransaction(ctx, 'k', req, { target: TCP });
    tx.respond(response(req, 200));
    clock.advance(0);
    assert.equal(tx.state, 'terminated');
  });
});
