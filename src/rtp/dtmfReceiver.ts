/**
 * RFC 4733 DTMF receiver: turns a stream of telephone-event packets into digits, each reported
 * once, in order, when it ends. Pure: the caller passes arrival times and calls {@link poll} from its
 * tick, so tests drive it without sleeping.
 *
 * An event is identified by its RTP timestamp (§2.5.1: all packets of one event share the start
 * timestamp). Rules:
 * - the E bit ends the event; its retransmissions (§2.5.1.4, sipp even repeats the same sequence
 *   number) and any straggler of an ended event are ignored;
 * - a packet with a newer timestamp while an event is open ends the open one first (lost end
 *   packets, §2.5.2.2), so digits still come out in order;
 * - an open event that hears nothing for `endTimeoutMs` ends by timeout (a peer that never sends the
 *   E bit);
 * - a replayed capture may repeat the same timestamp for a new press (sipp's pcaps do): a marked
 *   packet for an already-ended timestamp that arrives at least `repeatGapMs` after that end starts
 *   a new event.
 */
import type { RtpPacket } from './rtpPacket.js';
import { tsDelta } from './serial.js';
import {
  dtmfDigit,
  eventCodeAt,
  eventDurationAt,
  eventEndAt,
  TELEPHONE_EVENT_BYTES,
} from './telephoneEvent.js';

export interface DtmfDigitEvent {
  digit: string;
  /** RFC 4733 event code (0–15). */
  event: number;
  /** Arrival time (caller's clock, ms) of the event's first packet. */
  startedAt: number;
  /** Duration reported by the sender (last duration field seen), in ms. */
  durationMs: number;
  /** What closed the event. */
  endedBy: 'end-bit' | 'next-event' | 'timeout';
}

export interface DtmfReceiverOptions {
  /** Called once per digit, in order. */
  onDigit: (digit: DtmfDigitEvent) => void;
  /** An open event without packets for this long ends (default 300 ms). */
  endTimeoutMs?: number;
  /** See the class comment (default 40 ms). */
  repeatGapMs?: number;
  /** Timestamp units per ms (default 8: telephone-event/8000). */
  samplesPerMs?: number;
}

export interface DtmfReceiverStats {
  digits: number;
  /** Packets ignored as retransmissions or stragglers of ended events. */
  duplicates: number;
  /** Packets too short or for events other than DTMF 0–15. */
  ignored: number;
  timedOut: number;
}

export class DtmfReceiver {
  readonly #onDigit: (digit: DtmfDigitEvent) => void;
  readonly #endTimeoutMs: number;
  readonly #repeatGapMs: number;
  readonly #samplesPerMs: number;
  // Open event.
  #open = false;
  #ssrc = 0;
  #ts = 0;
  #event = 0;
  #duration = 0;
  #startedAt = 0;
  #lastHeard = 0;
  // Last ended event, for dedupe.
  #ended = false;
  #endedSsrc = 0;
  #endedTs = 0;
  #endedAt = 0;
  readonly #stats: DtmfReceiverStats = { digits: 0, duplicates: 0, ignored: 0, timedOut: 0 };

  constructor(options: DtmfReceiverOptions) {
    this.#onDigit = options.onDigit;
    this.#endTimeoutMs = options.endTimeoutMs ?? 300;
    this.#repeatGapMs = options.repeatGapMs ?? 40;
    this.#samplesPerMs = options.samplesPerMs ?? 8;
  }

  get stats(): Readonly<DtmfReceiverStats> {
    return this.#stats;
  }

  /** True while an event has started and not yet ended. */
  get active(): boolean {
    return this.#open;
  }

  /** Feeds one telephone-event packet received at `now` (ms). */
  onPacket(packet: RtpPacket, now: number): void {
    if (packet.payloadLength < TELEPHONE_EVENT_BYTES) {
      this.#stats.ignored++;
      return;
    }
    // Several 4-byte blocks are only meaningful with RFC 2198 redundancy, which we do not
    // negotiate; the first block is the event.
    const bytes = packet.bytes;
    const at = packet.payloadOffset;
    const event = eventCodeAt(bytes, at);
    if (dtmfDigit(event) === undefined) {
      this.#stats.ignored++;
      return;
    }
    const ssrc = packet.ssrc;
    const ts = packet.timestamp;
    const end = eventEndAt(bytes, at);
    const duration = eventDurationAt(bytes, at);

    if (this.#open && ssrc === this.#ssrc && ts === this.#ts) {
      this.#lastHeard = now;
      if (duration > this.#duration) this.#duration = duration;
      if (end) this.#finish('end-bit', now);
      return;
    }
    if (this.#open && ssrc === this.#ssrc && tsDelta(ts, this.#ts) < 0) {
      this.#stats.duplicates++; // straggler from before the open event
      return;
    }
    if (this.#ended && ssrc === this.#endedSsrc) {
      const delta = tsDelta(ts, this.#endedTs);
      const repeat = delta === 0 && packet.marker && now - this.#endedAt >= this.#repeatGapMs;
      if (delta < 0 || (delta === 0 && !repeat)) {
        this.#stats.duplicates++;
        return;
      }
    }
    if (this.#open) this.#finish('next-event', now);
    this.#open = true;
    this.#ssrc = ssrc;
    this.#ts = ts;
    this.#event = event;
    this.#duration = duration;
    this.#startedAt = now;
    this.#lastHeard = now;
    if (end) this.#finish('end-bit', now);
  }

  /** Ends an open event that has been silent for the timeout; call once per tick. */
  poll(now: number): void {
    if (this.#open && now - this.#lastHeard >= this.#endTimeoutMs) {
      this.#stats.timedOut++;
      this.#finish('timeout', now);
    }
  }

  /** Forgets all state (e.g. after the remote changed). */
  reset(): void {
    this.#open = false;
    this.#ended = false;
  }

  #finish(endedBy: DtmfDigitEvent['endedBy'], now: number): void {
    this.#open = false;
    this.#ended = true;
    this.#endedSsrc = this.#ssrc;
    this.#endedTs = this.#ts;
    this.#endedAt = now;
    this.#stats.digits++;
    this.#onDigit({
      digit: dtmfDigit(this.#event)!,
      event: this.#event,
      startedAt: this.#startedAt,
      durationMs: this.#duration / this.#samplesPerMs,
      endedBy,
    });
  }
}
