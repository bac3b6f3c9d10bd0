/**
 * CancelCall (spec §6.3 names it for ClickToDial calls, which do not exist here): a call of the
 * account that has not been answered is cancelled. A queued call never dials: it ends at once as
 * cancelled (200003 / `CANCEL`) with its VoiceReport. A call dialling or ringing on this node is
 * cancelled on the wire (SIP CANCEL) and ends the same way through its session. An answered or
 * finished call, or one another node places, is left alone.
 */
import type { Clock } from '../clock/clock.js';
import type { Logger } from '../observability/logger.js';
import type { Store } from '../store/repositories.js';
import type { CallLedger } from './callLedger.js';
import { unansweredResult } from './callOutcome.js';

export interface CallCancellationOptions {
  store: Pick<Store, 'calls'>;
  ledger: Pick<CallLedger, 'finish'>;
  /** Live sessions by CallId. */
  live: ReadonlyMap<string, { cancel(): boolean }>;
  clock: Clock;
  log: Logger;
}

export class CallCancellation {
  readonly #o: CallCancellationOptions;

  constructor(options: CallCancellationOptions) {
    this.#o = options;
  }

  /** True when the call was cancelled (it will not be, or is no longer being, placed). */
  cancel(callId: string): boolean {
    const o = this.#o;
    const session = o.live.get(callId);
    if (session) {
      const cancelled = session.cancel();
      if (cancelled) o.log.info({ callId }, 'call cancelled while dialling');
      return cancelled;
    }
    // The dialer takes a queued call and marks it dialling in one turn of the event loop, and this
    // runs in one turn too: a call read as queued here cannot be placed meanwhile.
    if (o.store.calls.find(callId)?.state !== 'queued') return false;
    o.ledger.finish(
      callId,
      { state: 'failed', endAt: Math.round(o.clock.now()), ...unansweredResult({ kind: 'cancelled' }) },
      { earlyMediaAsr: false, recorded: false },
    );
    o.log.info({ callId }, 'queued call cancelled');
    return true;
  }
}
