/**
 * The last write of a call: its final record with the receipts it owes (VoiceReport, and the
 * closing VoiceCallReport / VoiceRecordReport where due) through the ledger, then the `ended`
 * event. A write that fails is retried; after the last retry the call is left in progress for the
 * orphan reaper, which finalises it — exactly one VoiceReport either way, since the ledger's
 * receipt ids are unique. Holds nothing open between calls to `finish` (a retry waits on the clock).
 */
import type { Clock } from '../clock/clock.js';
import { sleep } from '../clock/within.js';
import type { SmartCallRequest } from '../contract/smartCallRequest.js';
import type { Logger } from '../observability/logger.js';
import type { CallRecord } from '../store/records.js';
import type { CallPatch } from '../store/repositories.js';
import type { CallEvents } from './callEvents.js';
import type { CallLedger } from './callLedger.js';
import { internalFailureResult } from './callOutcome.js';
import { quietly } from './quietly.js';

/** Waits before each retry of a final write that failed. */
export const FINISH_RETRIES_MS: readonly number[] = [1000, 5000];

/** What the VoiceReport needs to know beyond the record. */
export interface FinishReceipts {
  earlyMediaAsr: boolean;
  recorded: boolean;
}

export interface CallFinisherOptions {
  callId: string;
  ledger: Pick<CallLedger, 'finish'>;
  events: CallEvents;
  clock: Clock;
  /** The call's logger (it carries the CallId). */
  log: Logger;
  /** Waits before retrying a failed write; after the last, the orphan reaper finalises. */
  retriesMs?: readonly number[];
}

export class CallFinisher {
  readonly #o: CallFinisherOptions;

  constructor(options: CallFinisherOptions) {
    this.#o = options;
  }

  /**
   * Writes the final record (`endAt` is now) and tells the end. Never rejects: resolves once the
   * record is final, or once the retries are spent and the call is left to the reaper.
   */
  async finish(patch: CallPatch, receipts: FinishReceipts): Promise<void> {
    const o = this.#o;
    const full: CallPatch = { ...patch, endAt: Math.round(o.clock.now()) };
    const retries = o.retriesMs ?? FINISH_RETRIES_MS;
    for (let attempt = 0; ; attempt++) {
      let record: CallRecord | undefined;
      try {
        record = o.ledger.finish(o.callId, full, receipts);
      } catch (err) {
        const retryInMs = retries[attempt];
        if (retryInMs === undefined) {
          o.log.error({ err }, 'the call could not be finalised: the orphan reaper will');
          return;
        }
        o.log.error({ err, retryInMs }, 'the call could not be finalised: retrying');
        await sleep(retryInMs, o.clock);
        continue;
      }
      if (record)
        quietly(o.log, 'telling the end', () => o.events.emit('ended', { callId: o.callId, record }));
      return;
    }
  }
}

/**
 * Finalises a call that never got a session (its account is gone, an internal error): the failed
 * record and its VoiceReport through the ledger. Never throws; false when the write failed (the
 * orphan reaper finalises the call later).
 */
export function finishUnplaced(
  deps: { ledger: Pick<CallLedger, 'finish'>; time: Clock; log: Logger },
  call: CallRecord,
  why: string,
): boolean {
  try {
    deps.ledger.finish(
      call.callId,
      { state: 'failed', endAt: Math.round(deps.time.now()), ...internalFailureResult(why) },
      { earlyMediaAsr: requestOf(call)?.earlyMediaAsr ?? false, recorded: false },
    );
    return true;
  } catch (err) {
    deps.log.error({ err, callId: call.callId }, 'the failed call could not be recorded: left to the reaper');
    return false;
  }
}

function requestOf(call: CallRecord): SmartCallRequest | undefined {
  try {
    return JSON.parse(call.request) as SmartCallRequest;
  } catch {
    return undefined;
  }
}
