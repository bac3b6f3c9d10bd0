/**
 * The far end's a=ptime decides the packets we send: an answer with ptime:30 gets 30 ms packets
 * (240 PCMU bytes, timestamps 240 apart), one without gets 20 ms ones; 30 ms packets it sends us
 * play without gaps.
 */
import assert from 'node:assert/strict';
import { createSocket, type Socket } from 'node:dgram';
import { once } from 'node:events';
import { after, before, test } from 'node:test';
import { silentLogger } from '../../src/observability/logger.js';
import { FrameKind } from '../../src/rtp/jitterBuffer.js';
import { OutboundCall } from '../../src/telephony/outboundCall.js';
import { Telephony } from '../../src/telephony/telephony.js';
import { ScriptedPeer } from '../sip/scriptedPeer.js';

let tel: Telephony;

before(async () => {
  tel = await Telephony.create({
    address: '127.0.0.1',
    sipUdpPort: 0,
    sipTcpPort: false,
    rtpPortMin: 27000,
    rtpPortMax: 27999,
    timers: { t1: 20 },
    logger: silentLogger(),
  });
});
after(async () => {
  await tel.close();
});

interface Received {
  payloadLength: number;
  timestamp: number;
}

async function rtpPeer(): Promise<{ socket: Socket; port: number; packets: Received[] }> {
  const socket = createSocket('udp4');
  const packets: Received[] = [];
  socket.on('message', (m) => {
    if (m.length >= 12 && (m[1]! & 0x7f) === 0)
      packets.push({ payloadLength: m.length - 12, timestamp: m.readUInt32BE(4) });
  });
  await new Promise<void>((r) => socket.bind(0, '127.0.0.1', () => r()));
  return { socket, port: socket.address().port, packets };
}

function answerSdp(rtpPort: number, ptime: number | undefined): string {
  return [
    'v=0',
    'o=peer 1 1 IN IP4 127.0.0.1',
    's=-',
    'c=IN IP4 127.0.0.1',
    't=0 0',
    `m=audio ${rtpPort} RTP/AVP 0 101`,
    'a=rtpmap:0 PCMU/8000',
    'a=rtpmap:101 telephone-event/8000',
    ...(ptime ? [`a=ptime:${ptime}`] : []),
    'a=sendrecv',
    '',
  ].join('\r\n');
}

/** A PCMU packet of `samples` bytes of a loud-ish constant (not silence). */
function pcmuPacket(seq: number, ts: number, samples: number): Buffer {
  const p = Buffer.alloc(12 + samples, 0x20);
  p[0] = 0x80;
  p[1] = 0;
  p.writeUInt16BE(seq, 2);
  p.writeUInt32BE(ts, 4);
  p.writeUInt32BE(0x1234, 8);
  return p;
}

async function callAnsweredWith(ptime: number | undefined) {
  const carrier = await ScriptedPeer.create();
  const rtp = await rtpPeer();
  const call = await OutboundCall.place(tel, { target: carrier.uri('callee') });
  const invite = await carrier.request('INVITE');
  const from = carrier.received.find((r) => r.message === invite)!.from;
  carrier.respond(invite, from.port, '200 OK', {
    toTag: 'a1',
    sdp: answerSdp(rtp.port, ptime),
    headers: [`Contact: <${carrier.uri('callee')}>`],
  });
  await once(call, 'answered');
  return { carrier, rtp, call, from };
}

async function hangUp(c: Awaited<ReturnType<typeof callAnsweredWith>>): Promise<void> {
  c.call.hangup();
  const bye = await c.carrier.request('BYE');
  c.carrier.respond(bye, c.from.port, '200 OK');
  await once(c.call, 'ended');
  c.carrier.close();
  c.rtp.socket.close();
}

test('an answer with a=ptime:30 gets 30 ms packets, and its 30 ms packets play without gaps', async () => {
  const c = await callAnsweredWith(30);
  const kinds: number[] = [];
  c.call.media.on('frame', (_f, _t, kind) => kinds.push(kind));
  // The far end sends 30 ms packets, every 30 ms, for 600 ms.
  const local = c.call.media.localPort;
  for (let i = 0; i < 20; i++) {
    c.rtp.socket.send(pcmuPacket(i, i * 240, 240), local, '127.0.0.1');
    await new Promise((r) => setTimeout(r, 30));
  }
  await new Promise((r) => setTimeout(r, 100));
  const sent = c.rtp.packets.slice(1);
  assert.ok(sent.length >= 10, `packets sent: ${sent.length}`);
  assert.ok(
    sent.every((p) => p.payloadLength === 240),
    `payload sizes: ${sent.map((p) => p.payloadLength)}`,
  );
  for (let i = 1; i < sent.length; i++)
    assert.equal((sent[i]!.timestamp - sent[i - 1]!.timestamp) >>> 0, 240);
  const first = kinds.indexOf(FrameKind.Audio);
  const heard = kinds.slice(first, first + 25);
  assert.ok(first >= 0, 'audio was heard');
  // A loaded machine may deliver a packet late now and then; a misread packet time would gap a third.
  assert.ok(
    heard.filter((k) => k !== FrameKind.Audio).length <= 2,
    `frame kinds while the far end talked: ${heard}`,
  );
  await hangUp(c);
});

test('an answer without a=ptime gets 20 ms packets', async () => {
  const c = await callAnsweredWith(undefined);
  await new Promise((r) => setTimeout(r, 300));
  const sent = c.rtp.packets;
  assert.ok(sent.length >= 8, `packets sent: ${sent.length}`);
  assert.ok(
    sent.every((p) => p.payloadLength === 160),
    `payload sizes: ${sent.map((p) => p.payloadLength)}`,
  );
  await hangUp(c);
});
