import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { FrameKind, JitterBuffer } from '../../src/rtp/jitterBuffer.js';
import { makePacket, tagDecoder } from './packetFactory.js';

const FRAME = 160;

/** Packet n of a stream: seq and timestamp advance by one frame per packet; payload tagged n % 250 + 1. */
function packet(
  n: number,
  opts: { seqBase?: number; tsBase?: number; ssrc?: number; marker?: boolean } = {},
) {
  return makePacket({
    seq: (opts.seqBase ?? 1000) + n,
    ts: (opts.tsBase ?? 50_000) + n * FRAME,
    ssrc: opts.ssrc,
    marker: opts.marker,
    fill: (n % 250) + 1,
  });
}

/** Pulls one frame; returns [kind, tag of the first sample (packet n + 1, or 0 for silence)]. */
function pull(jb: JitterBuffer): [FrameKind, number] {
  const out = new Int16Array(FRAME);
  const kind = jb.pull(out);
  return [kind, out[0]! / 100];
}

describe('JitterBuffer', () => {
  test('plays silence before the first packet, then holds the stream back by the target delay', () => {
    const jb = new JitterBuffer({ targetDelayMs: 40 });
    assert.deepEqual(pull(jb), [FrameKind.Silence, 0]);
    jb.push(packet(0), tagDecoder);
    jb.push(packet(1), tagDecoder);
    assert.deepEqual(pull(jb), [FrameKind.Silence, 0]);
    assert.deepEqual(pull(jb), [FrameKind.Silence, 0]);
    assert.deepEqual(pull(jb), [FrameKind.Audio, 1]);
    assert.deepEqual(pull(jb), [FrameKind.Audio, 2]);
  });

  test('puts reordered packets back in timestamp order', () => {
    const jb = new JitterBuffer({ targetDelayMs: 60 });
    for (const n of [0, 2, 1, 4, 3, 5]) jb.push(packet(n), tagDecoder);
    const tags = Array.from({ length: 9 }, () => pull(jb)[1]);
    assert.deepEqual(tags, [0, 0, 0, 1, 2, 3, 4, 5, 6]);
    assert.equal(jb.stats.lost, 0);
    assert.equal(jb.stats.received, 6);
  });

  test('conceals a lost packet by repeating the last frame 6 dB quieter, then plays silence', () => {
    const jb = new JitterBuffer({ targetDelayMs: 40, concealFrames: 2 });
    jb.push(packet(0), tagDecoder);
    jb.push(packet(5), tagDecoder); // 1..4 lost
    pull(jb);
    pull(jb);
    assert.deepEqual(pull(jb), [FrameKind.Audio, 1]);
    assert.deepEqual(pull(jb), [FrameKind.Concealed, 0.5]);
    assert.deepEqual(pull(jb), [FrameKind.Concealed, 0.25]);
    assert.deepEqual(pull(jb), [FrameKind.Silence, 0]);
    assert.deepEqual(pull(jb), [FrameKind.Silence, 0]);
    assert.deepEqual(pull(jb), [FrameKind.Audio, 6]);
    assert.equal(jb.stats.lost, 4);
    assert.equal(jb.stats.concealed, 2);
  });

  test('drops a packet that arrives after its playout time and counts it late', () => {
    const jb = new JitterBuffer({ targetDelayMs: 40 });
    jb.push(packet(0), tagDecoder);
    jb.push(packet(2), tagDecoder);
    for (let i = 0; i < 4; i++) pull(jb); // plays 0, conceals 1
    jb.push(packet(1), tagDecoder); // too late
    assert.equal(jb.stats.late, 1);
    assert.deepEqual(pull(jb), [FrameKind.Audio, 3]);
    assert.equal(jb.stats.lost, 0, 'a late packet was received, so it is not lost');
  });

  test('drops duplicates, including those repeating the same sequence number after playout', () => {
    const jb = new JitterBuffer({ targetDelayMs: 40 });
    jb.push(packet(0), tagDecoder);
    jb.push(packet(1), tagDecoder);
    jb.push(packet(1), tagDecoder);
    jb.push(packet(0), tagDecoder);
    assert.equal(jb.stats.duplicate, 2);
    assert.equal(jb.stats.received, 2);
    assert.equal(jb.bufferedSamples, 2 * FRAME);
  });

  test('keeps order, loss and duplicate counts right across the sequence wrap at 65535', () => {
    const jb = new JitterBuffer({ targetDelayMs: 40 });
    const seqBase = 65533;
    for (const n of [0, 1, 3, 2, 4, 6, 6]) jb.push(packet(n, { seqBase }), tagDecoder); // 5 lost, 6 duplicated
    const tags = Array.from({ length: 9 }, () => pull(jb)[1]);
    assert.deepEqual(tags, [0, 0, 1, 2, 3, 4, 5, 2.5, 7]);
    assert.equal(jb.stats.lost, 1);
    assert.equal(jb.stats.duplicate, 1);
  });

  test('keeps playing through the 32-bit timestamp wrap', () => {
    const jb = new JitterBuffer({ targetDelayMs: 40 });
    const tsBase = 0xffffffff - 2 * FRAME + 1;
    for (let n = 0; n < 5; n++) jb.push(packet(n, { tsBase }), tagDecoder);
    const tags = Array.from({ length: 7 }, () => pull(jb)[1]);
    assert.deepEqual(tags, [0, 0, 1, 2, 3, 4, 5]);
  });

  test('handles packets of 30 ms against 20 ms frames', () => {
    const jb = new JitterBuffer({ targetDelayMs: 40 });
    for (let n = 0; n < 4; n++)
      jb.push(makePacket({ seq: n, ts: n * 240, samples: 240, fill: n + 1 }), tagDecoder);
    const out = new Int16Array(FRAME);
    pull(jb);
    pull(jb);
    const seen: number[] = [];
    for (let i = 0; i < 6; i++) {
      assert.equal(jb.pull(out), FrameKind.Audio);
      seen.push(out[0]! / 100, out[FRAME - 1]! / 100);
    }
    assert.deepEqual(seen, [1, 1, 1, 2, 2, 2, 3, 3, 3, 4, 4, 4]);
  });

  test('resynchronises on a new SSRC instead of treating its timestamps as late or far ahead', () => {
    const jb = new JitterBuffer({ targetDelayMs: 40 });
    jb.push(packet(0), tagDecoder);
    for (let i = 0; i < 3; i++) pull(jb);
    jb.push(packet(10, { ssrc: 0x2222, tsBase: 7, seqBase: 3 }), tagDecoder);
    assert.deepEqual(pull(jb), [FrameKind.Concealed, 0.5]);
    assert.deepEqual(pull(jb), [FrameKind.Concealed, 0.25]);
    assert.deepEqual(pull(jb), [FrameKind.Audio, 11]);
    assert.equal(jb.stats.resyncs, 1);
  });

  test('re-anchors a talkspurt after silence suppression so the new speech keeps the target delay', () => {
    const jb = new JitterBuffer({ targetDelayMs: 40 });
    jb.push(packet(0), tagDecoder);
    for (let i = 0; i < 3; i++) pull(jb);
    // The sender stayed silent for 1 s but its timestamps say only 100 ms passed.
    for (let i = 0; i < 50; i++) pull(jb);
    jb.push(packet(5, { marker: true }), tagDecoder);
    jb.push(packet(6), tagDecoder);
    assert.deepEqual(pull(jb), [FrameKind.Silence, 0]);
    assert.deepEqual(pull(jb), [FrameKind.Silence, 0]);
    assert.deepEqual(pull(jb), [FrameKind.Audio, 6]);
    assert.deepEqual(pull(jb), [FrameKind.Audio, 7]);
  });

  test('recovers when a sender runs far ahead of the playout point', () => {
    const jb = new JitterBuffer({ targetDelayMs: 40, maxDelayMs: 200 });
    jb.push(packet(0), tagDecoder);
    jb.push(packet(100), tagDecoder); // 2 s ahead
    assert.equal(jb.stats.resyncs, 1);
    pull(jb);
    pull(jb);
    assert.deepEqual(pull(jb), [FrameKind.Audio, 101]);
  });

  test('drops payloads too large for its ring and counts them', () => {
    const jb = new JitterBuffer();
    jb.push(makePacket({ seq: 1, ts: 0, samples: 2000 }), tagDecoder);
    assert.equal(jb.stats.oversized, 1);
    assert.equal(jb.stats.received, 0);
  });
});

describe('JitterBuffer loss accounting', () => {
  test('does not count interleaved telephone-event packets of the same stream as lost', () => {
    const jb = new JitterBuffer();
    jb.push(packet(0), tagDecoder);
    jb.noteOtherPacket(makePacket({ seq: 1001, ts: 50_160, pt: 101, samples: 4 }));
    jb.noteOtherPacket(makePacket({ seq: 1001, ts: 50_160, pt: 101, samples: 4 })); // sipp repeats the seq
    jb.push(packet(2), tagDecoder);
    assert.equal(jb.stats.lost, 0);
    jb.push(packet(4), tagDecoder);
    assert.equal(jb.stats.lost, 1);
  });
});
