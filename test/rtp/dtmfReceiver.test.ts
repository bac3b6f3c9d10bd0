import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { type DtmfDigitEvent, DtmfReceiver } from '../../src/rtp/dtmfReceiver.js';
import { makePacket } from './packetFactory.js';

/**
 * The packets of one key press as sipp's shipped captures (dtmf_2833_*.pcap) carry them: PT 101,
 * marker on the first, duration 0 then +320 each 20 ms, the end packet sent three times with the
 * SAME sequence number.
 */
function sippPress(
  event: number,
  seq: number,
  ts: number,
  t0: number,
): [ReturnType<typeof makePacket>, number][] {
  const out: [ReturnType<typeof makePacket>, number][] = [];
  const durations = [0, 320, 640, 960, 1280, 1600, 1920];
  durations.forEach((d, i) => {
    out.push([makeEvent({ event, seq: seq + i, ts, duration: d, marker: i === 0 }), t0 + i * 20]);
  });
  for (let r = 0; r < 3; r++) {
    out.push([makeEvent({ event, seq: seq + 7, ts, duration: 2240, end: true }), t0 + 140]);
  }
  return out;
}

function makeEvent(e: {
  event: number;
  seq: number;
  ts: number;
  duration: number;
  end?: boolean;
  marker?: boolean;
}) {
  const payload = Uint8Array.of(e.event, (e.end ? 0x80 : 0) | 10, e.duration >> 8, e.duration & 0xff);
  return makePacket({ seq: e.seq, ts: e.ts, pt: 101, marker: e.marker, payload, ssrc: 0x0e05384e });
}

function receiver(options: { endTimeoutMs?: number } = {}) {
  const digits: DtmfDigitEvent[] = [];
  const rx = new DtmfReceiver({ ...options, onDigit: (d) => digits.push(d) });
  return { rx, digits };
}

describe('DtmfReceiver (RFC 4733 §2.5.2)', () => {
  test("reports each of sipp's digits 1, 2, # once, in order, with start time and duration", () => {
    const { rx, digits } = receiver();
    const packets = [
      ...sippPress(1, 7984, 13280, 1000),
      ...sippPress(2, 8042, 23200, 1500),
      ...sippPress(11, 8436, 92640, 2000),
    ];
    for (const [p, t] of packets) rx.onPacket(p, t);
    assert.deepEqual(
      digits.map((d) => [d.digit, d.startedAt, d.durationMs, d.endedBy]),
      [
        ['1', 1000, 280, 'end-bit'],
        ['2', 1500, 280, 'end-bit'],
        ['#', 2000, 280, 'end-bit'],
      ],
    );
    assert.equal(rx.stats.duplicates, 6, 'two retransmitted end packets per digit');
  });

  test('ends a digit whose sender never sets the E bit after the timeout', () => {
    const { rx, digits } = receiver({ endTimeoutMs: 200 });
    rx.onPacket(makeEvent({ event: 7, seq: 1, ts: 800, duration: 160, marker: true }), 0);
    rx.onPacket(makeEvent({ event: 7, seq: 2, ts: 800, duration: 480 }), 40);
    rx.poll(200);
    assert.equal(digits.length, 0);
    rx.poll(240);
    assert.deepEqual(
      digits.map((d) => [d.digit, d.durationMs, d.endedBy]),
      [['7', 60, 'timeout']],
    );
    // A straggler of the timed-out event does not start a second digit.
    rx.onPacket(makeEvent({ event: 7, seq: 3, ts: 800, duration: 640 }), 260);
    rx.poll(1000);
    assert.equal(digits.length, 1);
  });

  test('closes an open digit when the next one starts, so digits stay in order without end packets', () => {
    const { rx, digits } = receiver();
    rx.onPacket(makeEvent({ event: 3, seq: 1, ts: 0, duration: 160, marker: true }), 0);
    rx.onPacket(makeEvent({ event: 4, seq: 9, ts: 1600, duration: 160, marker: true }), 200);
    rx.onPacket(makeEvent({ event: 3, seq: 2, ts: 0, duration: 800, end: true }), 210); // late end of 3
    rx.onPacket(makeEvent({ event: 4, seq: 10, ts: 1600, duration: 800, end: true }), 280);
    assert.deepEqual(
      digits.map((d) => [d.digit, d.endedBy]),
      [
        ['3', 'next-event'],
        ['4', 'end-bit'],
      ],
    );
  });

  test('treats a replayed capture with the same timestamp as a new press when it starts anew', () => {
    const { rx, digits } = receiver();
    for (const [p, t] of sippPress(1, 7984, 13280, 0)) rx.onPacket(p, t);
    for (const [p, t] of sippPress(1, 7984, 13280, 1000)) rx.onPacket(p, t);
    assert.deepEqual(
      digits.map((d) => [d.digit, d.startedAt]),
      [
        ['1', 0],
        ['1', 1000],
      ],
    );
  });

  test('ignores short payloads and events that are not DTMF digits', () => {
    const { rx, digits } = receiver();
    rx.onPacket(makePacket({ seq: 1, ts: 0, pt: 101, payload: Uint8Array.of(1, 0x80) }), 0);
    rx.onPacket(makeEvent({ event: 16, seq: 2, ts: 160, duration: 160, end: true }), 0);
    assert.equal(digits.length, 0);
    assert.equal(rx.stats.ignored, 2);
  });
});
