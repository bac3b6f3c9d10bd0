/**
 * Where a placed call has got to, as the record and the business see it (spec §5.5.1): each step —
 * dialling, ringing or early media, answered — written through the ledger with its
 * VoiceCallReport and told as a `state` event, each at most once and never back from answered;
 * and the keys the callee pressed (a VoiceCallReport 300000 each, once answered).
 */
import type { Clock } from '../clock/clock.js';
import type { CallEvents } from './callEvents.js';
import type { CallLedger } from './callLedger.js';
import { CALL_PROGRESS } from './statusCodes.js';

export interface CallProgressOptions {
  callId: string;
  ledger: Pick<CallLedger, 'progress' | 'dtmf' | 'note'>;
  events: CallEvents;
  clock: Clock;
}

export class CallProgress {
  readonly #o: CallProgressOptions;
  #state: 'dialing' | 'ringing' | 'early_media' | 'answered' = 'dialing';
  #dtmf = '';

  constructor(options: CallProgressOptions) {
    this.#o = options;
  }

  /** Every key pressed so far, in order (the record's `dtmf`). */
  get dtmf(): string {
    return this.#dtmf;
  }

  /** The call is being placed through `trunk` (200101). */
  dialing(trunk: string): void {
    const o = this.#o;
    o.ledger.progress(o.callId, { trunk }, CALL_PROGRESS.calling, Math.round(o.clock.now()));
  }

  /** 180 or 183: the first of them is the ringing receipt (200201), a change after it only a note. */
  reached(state: 'ringing' | 'early_media'): void {
    if (this.#state === state || this.#state === 'answered') return;
    const o = this.#o;
    const first = this.#state === 'dialing';
    this.#state = state;
    const now = o.clock.now();
    if (first)
      o.ledger.progress(o.callId, { state, ringAt: Math.round(now) }, CALL_PROGRESS.ringing, Math.round(now));
    else o.ledger.note(o.callId, { state });
    o.events.emit('state', { callId: o.callId, state, at: now });
  }

  /** The callee answered (200102); returns when. */
  answered(): number {
    const o = this.#o;
    this.#state = 'answered';
    const at = o.clock.now();
    o.ledger.progress(
      o.callId,
      { state: 'answered', answerAt: Math.round(at) },
      CALL_PROGRESS.answered,
      Math.round(at),
    );
    o.events.emit('state', { callId: o.callId, state: 'answered', at });
    return at;
  }

  /** A key the callee pressed; it is reported (300000) only once the call is answered. */
  key(digit: string, answered: boolean): void {
    const o = this.#o;
    const at = o.clock.now();
    this.#dtmf += digit;
    if (answered) o.ledger.dtmf(o.callId, this.#dtmf, Math.round(at));
    o.events.emit('dtmf', { callId: o.callId, at, digit });
  }
}
