import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { isRtcpPacket } from '../../src/rtp/rtcp.js';
import { RtpPacket, rtpPacketSize, writeRtpHeader, writeRtpPacket } from '../../src/rtp/rtpPacket.js';

const hex = (s: string) => Uint8Array.from(Buffer.from(s.replace(/\s+/g, ''), 'hex'));

/** Byte-exact fixtures, each with every field it must parse to. */
const fixtures = [
  {
    name: "a telephone-event packet from sipp's dtmf_2833_1 capture",
    bytes: '80e5 1f30 000033e0 0e05384e 010a0000',
    fields: {
      marker: true,
      payloadType: 101,
      sequenceNumber: 7984,
      timestamp: 13280,
      ssrc: 0x0e05384e,
      csrcs: [],
      extension: undefined,
      paddingLength: 0,
    },
    payload: '010a0000',
  },
  {
    name: 'a PCMU packet at the sequence and timestamp wrap',
    bytes: `8000 ffff ffffffff 12345678 ${'ff'.repeat(160)}`,
    fields: {
      marker: false,
      payloadType: 0,
      sequenceNumber: 65535,
      timestamp: 0xffffffff,
      ssrc: 0x12345678,
      csrcs: [],
      extension: undefined,
      paddingLength: 0,
    },
    payload: 'ff'.repeat(160),
  },
  {
    name: 'a PCMA packet with two CSRCs, a header extension and padding',
    bytes: 'b2881234deadbeef01020304aabbccdd11223344bede000110ff0000d5d5d5d5d5000003',
    fields: {
      marker: true,
      payloadType: 8,
      sequenceNumber: 0x1234,
      timestamp: 0xdeadbeef,
      ssrc: 0x01020304,
      csrcs: [0xaabbccdd, 0x11223344],
      extension: { profile: 0xbede, data: hex('10ff0000') },
      paddingLength: 3,
    },
    payload: 'd5d5d5d5d5',
  },
];

describe('RtpPacket', () => {
  for (const f of fixtures) {
    test(`parses ${f.name} field by field and re-serializes it byte for byte`, () => {
      const bytes = hex(f.bytes);
      const packet = RtpPacket.parse(bytes);
      assert.ok(packet);
      assert.equal(packet.version, 2);
      assert.equal(packet.padding, f.fields.paddingLength > 0);
      assert.equal(packet.extension, f.fields.extension !== undefined);
      assert.equal(packet.csrcCount, f.fields.csrcs.length);
      assert.deepEqual(packet.fields(), f.fields);
      assert.deepEqual(Buffer.from(packet.payload).toString('hex'), f.payload);
      assert.equal(packet.payloadLength, f.payload.length / 2);

      const out = new Uint8Array(rtpPacketSize(f.fields, packet.payloadLength));
      const n = writeRtpPacket(out, f.fields, packet.payload);
      assert.equal(n, bytes.length);
      assert.deepEqual(out, bytes);
    });
  }

  test('reads the payload without copying: the view shares the datagram bytes', () => {
    const bytes = hex(fixtures[0]!.bytes);
    const packet = RtpPacket.parse(bytes)!;
    assert.equal(packet.payload.buffer, bytes.buffer);
    bytes[12] = 9;
    assert.equal(packet.payload[0], 9);
  });

  test('mutating fields through setters writes the bytes a fresh serialization would produce', () => {
    const bytes = hex(fixtures[1]!.bytes);
    const packet = RtpPacket.parse(bytes)!;
    packet.marker = true;
    packet.payloadType = 8;
    packet.sequenceNumber = 0;
    packet.timestamp = 160;
    packet.ssrc = 0xcafebabe;
    const expected = new Uint8Array(bytes.length);
    writeRtpPacket(
      expected,
      { marker: true, payloadType: 8, sequenceNumber: 0, timestamp: 160, ssrc: 0xcafebabe },
      packet.payload,
    );
    assert.deepEqual(bytes, expected);
    assert.deepEqual(
      { m: packet.marker, pt: packet.payloadType, seq: packet.sequenceNumber, ts: packet.timestamp },
      { m: true, pt: 8, seq: 0, ts: 160 },
    );
  });

  test('writeRtpHeader writes the fixed header of the send path', () => {
    const out = new Uint8Array(12);
    writeRtpHeader(out, 101, true, 7984, 13280, 0x0e05384e);
    assert.deepEqual(out, hex('80e51f30000033e00e05384e'));
  });

  test('one view can be re-pointed at each datagram and reports the new fields', () => {
    const view = new RtpPacket();
    assert.ok(view.wrap(hex(fixtures[0]!.bytes)));
    assert.equal(view.payloadType, 101);
    assert.ok(view.wrap(hex(fixtures[2]!.bytes)));
    assert.equal(view.payloadType, 8);
    assert.equal(view.csrc(1), 0x11223344);
    assert.throws(() => view.csrc(2), RangeError);
  });

  const malformed: [string, string][] = [
    ['shorter than the fixed header', '8000ffff'],
    ['version 1', '4000 0001 00000000 00000000'],
    ['version 0 (e.g. STUN)', '0001 0000 2112a442 00000000'],
    ['a CSRC count running past the end', '8f00 0001 00000000 00000000 00000000'],
    ['an extension header cut short', '9000 0001 00000000 00000000 bede'],
    ['an extension length running past the end', '9000 0001 00000000 00000000 bede0004 00000000'],
    ['a padding count of zero', 'a000 0001 00000000 00000000 ffff00'],
    ['a padding count larger than the payload', 'a000 0001 00000000 00000000 ff09'],
  ];
  for (const [what, bytes] of malformed) {
    test(`rejects a datagram with ${what}`, () => {
      assert.equal(RtpPacket.parse(hex(bytes)), null);
    });
  }

  test('refuses to serialize into a buffer that is too small or with bad extension data', () => {
    const fields = { marker: false, payloadType: 0, sequenceNumber: 1, timestamp: 2, ssrc: 3 };
    assert.throws(() => writeRtpPacket(new Uint8Array(20), fields, new Uint8Array(160)), RangeError);
    assert.throws(
      () =>
        writeRtpPacket(
          new Uint8Array(64),
          { ...fields, extension: { profile: 1, data: new Uint8Array(3) } },
          new Uint8Array(1),
        ),
      RangeError,
    );
  });
});

describe('isRtcpPacket (RFC 5761 §4)', () => {
  test('recognises SR, RR, SDES, BYE and APP muxed onto the RTP port', () => {
    for (const pt of [200, 201, 202, 203, 204, 205, 206]) {
      assert.equal(isRtcpPacket(Uint8Array.of(0x81, pt, 0, 1)), true, `RTCP PT ${pt}`);
    }
  });

  test('does not mistake audio or telephone-event packets, marked or not, for RTCP', () => {
    for (const pt of [0, 8, 13, 96, 101, 127]) {
      assert.equal(isRtcpPacket(Uint8Array.of(0x80, pt)), false, `PT ${pt}`);
      assert.equal(isRtcpPacket(Uint8Array.of(0x80, 0x80 | pt)), false, `PT ${pt} with marker`);
    }
  });
});
