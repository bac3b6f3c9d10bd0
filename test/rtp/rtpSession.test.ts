import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import { after, before, describe, test } from 'node:test';
import { PortPool } from '../../src/rtp/portPool.js';
import { RtpPacket } from '../../src/rtp/rtpPacket.js';
import { RtpSession } from '../../src/rtp/rtpSession.js';
import { makePacket } from './packetFactory.js';
import { waitFor } from './waitFor.js';

interface Peer {
  socket: dgram.Socket;
  port: number;
  received: RtpPacket[];
  send(bytes: Uint8Array, port: number): Promise<void>;
}

async function peer(): Promise<Peer> {
  const socket = dgram.createSocket('udp4');
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  const received: RtpPacket[] = [];
  socket.on('message', (msg) => {
    const p = RtpPacket.parse(Uint8Array.from(msg));
    if (p) received.push(p);
  });
  return {
    socket,
    port: socket.address().port,
    received,
    send: (bytes, port) =>
      new Promise((resolve, reject) =>
        socket.send(bytes, port, '127.0.0.1', (err) => (err ? reject(err) : resolve())),
      ),
  };
}

const rtp = (seq: number) => makePacket({ seq, ts: seq * 160, fill: 0xff }).bytes;

describe('RtpSession', () => {
  const pool = new PortPool({ min: 24000, max: 24099 });
  let peerA: Peer;
  let peerB: Peer;
  before(async () => {
    peerA = await peer();
    peerB = await peer();
  });
  after(() => {
    peerA.socket.close();
    peerB.socket.close();
  });

  test('binds an even port from the pool and returns it on close', async () => {
    const session = await RtpSession.open({ localAddress: '127.0.0.1', portPool: pool });
    assert.equal(session.localPort % 2, 0);
    assert.ok(pool.isAllocated(session.localPort));
    session.close();
    session.close();
    assert.equal(pool.isAllocated(session.localPort), false);
    assert.equal(pool.inUse, 0);
  });

  test('sends to the signalled address, latches onto the first real source, then ignores others', async () => {
    const values = [0xaabbccdd, 0x1234, 0x55667788];
    const session = await RtpSession.open({
      localAddress: '127.0.0.1',
      portPool: pool,
      random: () => values.shift()!,
    });
    const delivered: number[] = [];
    session.handler = { onRtpPacket: (p) => delivered.push(p.sequenceNumber) };
    const latches: number[] = [];
    session.onLatch = (e) => latches.push(e.port);
    try {
      session.setRemote({ address: '127.0.0.1', port: peerA.port });
      session.payloadBuffer().fill(0xff, 0, 160);
      assert.equal(session.send(0, true, 0, 160), true);
      await waitFor(() => peerA.received.length === 1, 2000, 'packet at the signalled address');
      const first = peerA.received[0]!;
      assert.deepEqual(
        [
          first.payloadType,
          first.marker,
          first.sequenceNumber,
          first.timestamp,
          first.ssrc,
          first.payloadLength,
        ],
        [0, true, 0x1234, 0x55667788, 0xaabbccdd, 160],
      );

      // The media really comes from peer B (NAT, SBC): latch onto it.
      await peerB.send(rtp(1), session.localPort);
      await waitFor(() => delivered.length === 1, 2000, 'first packet');
      assert.deepEqual(session.latched, { address: '127.0.0.1', port: peerB.port });
      assert.deepEqual(latches, [peerB.port]);
      session.send(0, false, 160, 160);
      await waitFor(() => peerB.received.length === 1, 2000, 'packet at the latched address');
      assert.equal(peerB.received[0]!.sequenceNumber, 0x1235);
      assert.equal(peerB.received[0]!.timestamp, 0x55667788 + 160);

      // After latching, peer A's packets are dropped and counted.
      await peerA.send(rtp(2), session.localPort);
      await peerB.send(rtp(3), session.localPort);
      await waitFor(() => delivered.length === 2, 2000, 'second packet');
      assert.deepEqual(delivered, [1, 3]);
      assert.equal(session.stats.unknownSource, 1);

      // A re-INVITE moves the media: latch afresh.
      session.setRemote({ address: '127.0.0.1', port: peerA.port });
      await peerA.send(rtp(4), session.localPort);
      await waitFor(() => delivered.length === 3, 2000, 'packet after re-latch');
      assert.deepEqual(session.latched, { address: '127.0.0.1', port: peerA.port });
    } finally {
      session.close();
    }
  });

  test('drops and counts garbage, oversized datagrams and muxed RTCP without delivering them', async () => {
    const session = await RtpSession.open({
      localAddress: '127.0.0.1',
      portPool: pool,
      maxPacketBytes: 1000,
    });
    const delivered: number[] = [];
    session.handler = { onRtpPacket: (p) => delivered.push(p.sequenceNumber) };
    try {
      await peerA.send(Buffer.from('INVITE sip:nobody SIP/2.0\r\n\r\n'), session.localPort);
      await peerA.send(Uint8Array.of(0x80, 0), session.localPort);
      await peerA.send(Buffer.from('8f000001000000000000000000', 'hex'), session.localPort); // CSRCs missing
      const big = new Uint8Array(1400);
      big.set(rtp(9).subarray(0, 12));
      await peerA.send(big, session.localPort);
      await peerA.send(Buffer.from('81c90007aabbccdd', 'hex'), session.localPort); // RTCP RR
      await peerA.send(rtp(10), session.localPort);
      await waitFor(() => delivered.length === 1, 2000, 'the one valid packet');
      assert.deepEqual(delivered, [10]);
      const s = session.stats;
      assert.deepEqual([s.malformed, s.oversized, s.rtcp, s.packetsReceived], [3, 1, 1, 1]);
      // Garbage before the first real packet must not latch.
      assert.deepEqual(session.latched, { address: '127.0.0.1', port: peerA.port });
    } finally {
      session.close();
    }
  });

  test('does not send before a remote is known or after close', async () => {
    const session = await RtpSession.open({ localAddress: '127.0.0.1', portPool: pool });
    assert.equal(session.send(0, false, 0, 160), false);
    session.setRemote({ address: '127.0.0.1', port: peerA.port });
    session.close();
    assert.equal(session.send(0, false, 0, 160), false);
    assert.equal(session.stats.packetsSent, 0);
  });

  test('rejects a remote that is not an IP literal or has no valid port', async () => {
    const session = await RtpSession.open({ localAddress: '127.0.0.1', portPool: pool });
    try {
      assert.throws(() => session.setRemote({ address: 'carrier.example', port: 4000 }), /must be an IP/);
      assert.throws(() => session.setRemote({ address: '127.0.0.1', port: 0 }), RangeError);
    } finally {
      session.close();
    }
  });

  test('skips ports another process holds and reports pool exhaustion', async () => {
    const small = new PortPool({ min: 24100, max: 24103 });
    const squatter = dgram.createSocket('udp4');
    await new Promise<void>((resolve) => squatter.bind(24100, '127.0.0.1', resolve));
    try {
      const session = await RtpSession.open({ localAddress: '127.0.0.1', portPool: small });
      assert.equal(session.localPort, 24102);
      assert.equal(small.inUse, 1);
      await assert.rejects(
        RtpSession.open({ localAddress: '127.0.0.1', portPool: small }),
        /no free RTP port/,
      );
      assert.equal(small.inUse, 1);
      session.close();
      assert.equal(small.inUse, 0);
    } finally {
      squatter.close();
    }
  });
});
