/**
 * Receive jitter buffer. Packets are placed by RTP timestamp into a ring of decoded samples, so
 * reordering, any packet time (10/20/30 ms...) and 32-bit timestamp wrap need no special cases;
 * sequence numbers (16-bit, wrapping) serve duplicate detection and the RFC 3550 §A.3 loss count.
 * The consumer pulls exactly one frame per media-clock tick.
 *
 * Playout point: the first packet of a stream (or of a new SSRC) anchors the playout timestamp
 * `targetDelayMs` behind it. A marked packet (talkspurt start, RFC 3551 §4.1) that finds the buffer
 * empty re-anchors the same way, which absorbs silence-suppression gaps and slow clock drift; a
 * packet beyond `maxDelayMs` ahead, or a late packet while the buffer is dry (a sender whose clock
 * runs slow, or a timestamp jump), resynchronises the anchor (counted as `resyncs`).
 *
 * Missing audio: a whole missing frame repeats the last good frame attenuated by 6 dB per frame for
 * up to `concealFrames`, then plays silence (a frame partly covered keeps what arrived and zeros the
 * rest).
 *
 * Wideband (`samplesPerUnit: 2`, G.722): the RTP clock still counts 8000 a second (RFC 3551 §4.5.2)
 * and one payload octet is one timestamp unit, but it decodes to two 16 kHz samples; the ring then
 * holds samples, two per timestamp unit, and a pulled frame has twice the samples. The decoder is
 * stateful (ADPCM) and gets the packets in arrival order.
 */
import type { RtpPacket } from './rtpPacket.js';
import { seqDelta, tsAdd, tsDelta } from './serial.js';

/**
 * Decodes `count` payload bytes (one per timestamp unit) into `count × samplesPerUnit` samples of
 * 16-bit PCM: one each for G.711, two for G.722.
 */
export interface PayloadDecoder {
  decode(src: Uint8Array, srcOffset: number, count: number, dst: Int16Array, dstOffset: number): void;
}

export interface JitterBufferOptions {
  /** Timestamp units per pulled frame (default 160 = 20 ms at 8 kHz). */
  frameSamples?: number;
  /** Decoded samples per timestamp unit: 1 (default, G.711) or 2 (G.722, 16 kHz). */
  samplesPerUnit?: 1 | 2;
  /** Samples per millisecond (default 8). */
  samplesPerMs?: number;
  /** Delay between a stream's arrival and its playout (default 40 ms). */
  targetDelayMs?: number;
  /** Buffered audio beyond this forces a resync (default 200 ms). */
  maxDelayMs?: number;
  /** Missing frames concealed by attenuated repetition before silence (default 3). */
  concealFrames?: number;
}

/** What {@link JitterBuffer.pull} produced. */
export const FrameKind = {
  /** Every sample arrived. */
  Audio: 0,
  /** Some samples arrived; the rest are zero. */
  Partial: 1,
  /** Nothing arrived; the last frame was repeated, attenuated. */
  Concealed: 2,
  /** Nothing to play: before the first packet, or after concealment ran out. */
  Silence: 3,
} as const;
export type FrameKind = (typeof FrameKind)[keyof typeof FrameKind];

export interface JitterBufferStats {
  /** Unique packets accepted (late ones included, as RFC 3550 counts them). */
  received: number;
  /** Packets missing by sequence number (RFC 3550 §A.3: expected - received), never negative. */
  lost: number;
  /** Packets that arrived after their playout time (dropped). */
  late: number;
  /** Packets whose sequence number was already seen (dropped). */
  duplicate: number;
  /** Frames filled by repeating the last frame. */
  concealed: number;
  /** Frames played with only part of their samples. */
  partial: number;
  /** Times the playout point was re-anchored (new SSRC, jump, drift). */
  resyncs: number;
  /** Packets dropped as too large for the ring. */
  oversized: number;
}

const RING = 4096; // samples: 512 ms at 8 kHz; a power of two so (timestamp & MASK) survives the wrap.
// (At two samples per unit, (2 × timestamp) & MASK survives it too: 4096 divides 2^32.)
const MASK = RING - 1;
const SEQ_WINDOW = 256;
const ATTENUATION = 0.5; // -6 dB per concealed frame

export class JitterBuffer {
  readonly #frame: number;
  readonly #unit: number;
  readonly #target: number;
  readonly #maxDelay: number;
  readonly #concealFrames: number;
  readonly #ring = new Int16Array(RING);
  readonly #present = new Uint8Array(RING);
  readonly #lastFrame: Int16Array;
  readonly #seen = new Int32Array(SEQ_WINDOW).fill(-1);
  #started = false;
  #ssrc = 0;
  #playTs = 0;
  #buffered = 0;
  #haveLast = false;
  #concealRun = 0;
  // RFC 3550 §A.1 sequence state for the loss count.
  #baseSeq = 0;
  #maxSeq = 0;
  #cycles = 0;
  #streamReceived = 0;
  #lostBefore = 0;
  readonly #stats: JitterBufferStats = {
    received: 0,
    lost: 0,
    late: 0,
    duplicate: 0,
    concealed: 0,
    partial: 0,
    resyncs: 0,
    oversized: 0,
  };

  constructor(options: JitterBufferOptions = {}) {
    this.#frame = options.frameSamples ?? 160;
    this.#unit = options.samplesPerUnit ?? 1;
    const perMs = options.samplesPerMs ?? 8;
    this.#target = Math.round((options.targetDelayMs ?? 40) * perMs);
    this.#maxDelay = Math.min(
      RING / this.#unit - 2 * this.#frame,
      Math.round((options.maxDelayMs ?? 200) * perMs),
    );
    this.#concealFrames = options.concealFrames ?? 3;
    this.#lastFrame = new Int16Array(this.#frame * this.#unit);
    if (this.#target + this.#frame > this.#maxDelay)
      throw new RangeError('target delay must be below max delay');
  }

  get stats(): Readonly<JitterBufferStats> {
    return this.#stats;
  }

  /** Audio buffered ahead of the playout point, in samples. */
  get bufferedSamples(): number {
    return this.#buffered;
  }

  /** Accepts one audio packet; its payload is decoded into the ring right away. */
  push(packet: RtpPacket, decoder: PayloadDecoder): void {
    const n = packet.payloadLength;
    if (n === 0) return;
    if (n * this.#unit > RING / 4) {
      this.#stats.oversized++;
      return;
    }
    const ssrc = packet.ssrc;
    const seq = packet.sequenceNumber;
    const ts = packet.timestamp;
    if (!this.#started || ssrc !== this.#ssrc) {
      if (this.#started) this.#stats.resyncs++;
      this.#startStream(ssrc, seq);
      this.#anchor(ts);
    } else if (this.#seen[seq % SEQ_WINDOW] === seq) {
      this.#stats.duplicate++;
      return;
    } else {
      this.#countSequence(seq);
    }
    this.#seen[seq % SEQ_WINDOW] = seq;
    this.#stats.received++;
    this.#streamReceived++;
    this.#updateLost();

    let rel = tsDelta(ts, this.#playTs);
    if (this.#buffered === 0 && (packet.marker || rel + n <= 0)) {
      // Talkspurt start, or a dry buffer hit by late packets: nothing buffered would be lost by
      // moving the playout point, so put this packet exactly `target` ahead of it.
      if (rel !== this.#target) {
        if (rel + n <= 0) this.#stats.resyncs++;
        this.#anchor(ts);
        rel = this.#target;
      }
    } else if (rel + n <= 0) {
      this.#stats.late++;
      return;
    } else if (rel + n > this.#maxDelay) {
      this.#stats.resyncs++;
      this.#clearRing();
      this.#anchor(ts);
      rel = this.#target;
    }
    // Write the samples that are still in the future (a packet can be partly late).
    const skip = rel < 0 ? -rel : 0;
    this.#write(packet.bytes, packet.payloadOffset + skip, n - skip, tsAdd(ts, skip), decoder);
  }

  /**
   * Notes a packet of the same RTP stream that carries no audio (an RFC 4733 event shares the
   * audio's SSRC and sequence space): without it, those sequence numbers would count as lost.
   */
  noteOtherPacket(packet: RtpPacket): void {
    if (!this.#started || packet.ssrc !== this.#ssrc) return;
    const seq = packet.sequenceNumber;
    if (this.#seen[seq % SEQ_WINDOW] === seq) return;
    this.#seen[seq % SEQ_WINDOW] = seq;
    this.#countSequence(seq);
    this.#streamReceived++;
    this.#updateLost();
  }

  /**
   * Writes exactly one frame into `out` (length >= frameSamples × samplesPerUnit) and advances the
   * playout point. Returns what kind of frame it was.
   */
  pull(out: Int16Array): FrameKind {
    const frame = this.#frame * this.#unit;
    if (!this.#started) {
      out.fill(0, 0, frame);
      return FrameKind.Silence;
    }
    const ring = this.#ring;
    const present = this.#present;
    const start = (this.#playTs * this.#unit) & MASK;
    let got = 0;
    for (let i = 0; i < frame; i++) {
      const at = (start + i) & MASK;
      if (present[at] === 1) {
        out[i] = ring[at]!;
        present[at] = 0;
        got++;
      } else {
        out[i] = 0;
      }
    }
    this.#buffered -= got;
    this.#playTs = tsAdd(this.#playTs, this.#frame);
    if (got === frame) {
      this.#remember(out);
      return FrameKind.Audio;
    }
    if (got > 0) {
      this.#stats.partial++;
      this.#remember(out);
      return FrameKind.Partial;
    }
    if (this.#haveLast && this.#concealRun < this.#concealFrames) {
      this.#concealRun++;
      const gain = ATTENUATION ** this.#concealRun;
      const last = this.#lastFrame;
      for (let i = 0; i < frame; i++) out[i] = (last[i]! * gain) | 0;
      this.#stats.concealed++;
      return FrameKind.Concealed;
    }
    this.#haveLast = false;
    return FrameKind.Silence;
  }

  /** Forgets the stream (statistics are kept). */
  reset(): void {
    if (this.#started) this.#lostBefore = this.#stats.lost;
    this.#started = false;
    this.#clearRing();
    this.#haveLast = false;
  }

  #remember(frame: Int16Array): void {
    this.#lastFrame.set(frame.subarray(0, this.#lastFrame.length));
    this.#haveLast = true;
    this.#concealRun = 0;
  }

  #write(src: Uint8Array, srcOffset: number, units: number, ts: number, decoder: PayloadDecoder): void {
    const ring = this.#ring;
    const present = this.#present;
    const unit = this.#unit;
    const count = units * unit; // samples
    const at = (ts * unit) & MASK;
    const first = Math.min(count, RING - at); // a multiple of `unit`: `at` and RING are
    let added = 0;
    for (let i = 0; i < first; i++) added += 1 - present[at + i]!;
    for (let i = 0; i < count - first; i++) added += 1 - present[i]!;
    decoder.decode(src, srcOffset, first / unit, ring, at);
    present.fill(1, at, at + first);
    if (count > first) {
      decoder.decode(src, srcOffset + first / unit, (count - first) / unit, ring, 0);
      present.fill(1, 0, count - first);
    }
    this.#buffered += added;
  }

  #anchor(ts: number): void {
    this.#playTs = tsAdd(ts, -this.#target);
  }

  #clearRing(): void {
    this.#present.fill(0);
    this.#buffered = 0;
  }

  #startStream(ssrc: number, seq: number): void {
    if (this.#started) {
      this.#lostBefore = this.#stats.lost;
      this.#clearRing();
    }
    this.#started = true;
    this.#ssrc = ssrc;
    this.#seen.fill(-1);
    this.#baseSeq = seq;
    this.#maxSeq = seq;
    this.#cycles = 0;
    this.#streamReceived = 0;
    this.#concealRun = 0;
  }

  /** RFC 3550 §A.1: extend the highest sequence number across wraps. */
  #countSequence(seq: number): void {
    const delta = seqDelta(seq, this.#maxSeq);
    if (delta > 0) {
      if (seq < this.#maxSeq) this.#cycles += 0x10000;
      this.#maxSeq = seq;
    }
  }

  #updateLost(): void {
    const expected = this.#cycles + this.#maxSeq - this.#baseSeq + 1;
    this.#stats.lost = this.#lostBefore + Math.max(0, expected - this.#streamReceived);
  }
}
