/**
 * Every change to a running call goes through here: the call record and the receipts it owes are
 * written in one transaction, so a crash can never leave a state change without its
 * VoiceCallReport, or a final record without its VoiceReport — nor make one twice (receipt ids are
 * unique: `<call id>:<kind>:<n>`).
 */
import {
  type Payload,
  type SecondLegReport,
  secondLegReport,
  voiceCallReport,
  voiceRecordReport,
  voiceReport,
} from '../callback/receiptPayloads.js';
import { type Clock, systemClock } from '../clock/clock.js';
import type { Logger } from '../observability/logger.js';
import type { CallRecord, ReceiptType } from '../store/records.js';
import type { CallPatch, Store } from '../store/repositories.js';
import { receiptUrl } from '../tenancy/receiptRoutes.js';
import { CALL_PROGRESS } from './statusCodes.js';

export interface RecordingLinks {
  /** A signed, expiring URL of the call's recording. */
  urlFor(call: CallRecord): string;
  /**
   * Recordings go to object storage after the call: the VoiceRecordReport is written by
   * {@link CallLedger.recordingStored} once the upload landed (its URL works when it arrives),
   * not with the final record.
   */
  readonly afterUpload?: boolean;
}

export class CallLedger {
  readonly #store: Store;
  readonly #links: RecordingLinks;
  readonly #log: Logger;
  readonly #clock: Clock;
  /** Told after a write that added receipts (the pusher wakes up). */
  onReceipts: (() => void) | undefined;
  /** Told after a write that moved a call to a new state (metrics). */
  onStateChange: ((call: CallRecord) => void) | undefined;

  constructor(store: Store, links: RecordingLinks, log: Logger, clock: Clock = systemClock) {
    this.#store = store;
    this.#links = links;
    this.#log = log;
    this.#clock = clock;
  }

  /** A progress state (dialing, ringing/early media, answered) with its VoiceCallReport. */
  progress(
    callId: string,
    patch: CallPatch,
    code: (typeof CALL_PROGRESS)['calling' | 'ringing' | 'answered'],
    at: number,
  ): CallRecord | undefined {
    return this.#write(callId, patch, { rethrow: false }, (call, add) => {
      add(
        'VoiceCallReport',
        `progress-${code}`,
        voiceCallReport(
          call,
          code,
          at,
          code === CALL_PROGRESS.answered ? { smartStatusCode: 'ANSWERED' } : {},
        ),
      );
    });
  }

  /** A key the callee pressed: VoiceCallReport 300000 (spec §5.5.1, §10 Q20). */
  dtmf(callId: string, digits: string, at: number): void {
    this.#write(callId, { dtmf: digits }, { rethrow: false }, (call, add) => {
      add(
        'VoiceCallReport',
        `dtmf-${digits.length}`,
        voiceCallReport(call, CALL_PROGRESS.dtmf, at, {
          smartStatusCode: 'ANSWERED',
          dtmf: digits.slice(-1),
        }),
      );
    });
  }

  /**
   * A transfer or parallel leg ended: its own VoiceReport (`voice_type` `smart_transfer`), and for
   * the parallel leg its result code as the call's `parallel_leg_hangup_cause`, in one write (the
   * call's VoiceReport, written later, carries it). Once per leg: its receipt id names the leg.
   */
  secondLeg(callId: string, leg: SecondLegReport): void {
    const patch: CallPatch = leg.kind === 'parallel' ? { parallelLegHangupCause: leg.statusCode } : {};
    this.#write(callId, patch, { rethrow: false }, (call, add) => {
      add('VoiceReport', `leg-${leg.index}-report`, secondLegReport(call, leg));
    });
  }

  /** Any other field (no receipt). */
  note(callId: string, patch: CallPatch): void {
    this.#write(callId, patch, { rethrow: false }, () => {});
  }

  /**
   * The end: the final record, VoiceCallReport 200100 for answered calls, the VoiceReport, and the
   * VoiceRecordReport when a recording exists. Idempotent: a call already final is left alone
   * (and returned). Unlike the other writes, a failure throws (nothing was written): the caller
   * retries, or leaves the call to the orphan reaper.
   */
  finish(
    callId: string,
    patch: CallPatch,
    options: { earlyMediaAsr: boolean; recorded: boolean },
  ): CallRecord | undefined {
    let current: CallRecord | undefined;
    try {
      current = this.#store.calls.find(callId);
    } catch (err) {
      this.#log.error({ err, callId, patch }, 'could not record the end of the call');
      throw err;
    }
    if (!current || current.state === 'ended' || current.state === 'failed') return current;
    return this.#write(callId, patch, { rethrow: true }, (call, add) => {
      if (call.answerAt != null) {
        add(
          'VoiceCallReport',
          `progress-${CALL_PROGRESS.ended}`,
          voiceCallReport(call, CALL_PROGRESS.ended, call.endAt ?? Math.round(this.#clock.now()), {
            smartStatusCode: call.smartStatusCode ?? '',
          }),
        );
      }
      add('VoiceReport', 'report', voiceReport(call, options));
      if (options.recorded && call.recordPath && !this.#links.afterUpload)
        add('VoiceRecordReport', 'record', voiceRecordReport(call, this.#links.urlFor(call)));
    });
  }

  /**
   * The call's recording is in object storage: its VoiceRecordReport, with a URL to the object.
   * Only for a final call with a recording; once per call (the receipt id), so an upload repeated
   * after a crash adds nothing. False when the call is not (yet) one to report; a failed write
   * throws (the upload is retried, the local copy kept).
   */
  recordingStored(callId: string): boolean {
    const call = this.#store.calls.find(callId);
    if (!call?.recordPath || (call.state !== 'ended' && call.state !== 'failed')) return false;
    this.#write(callId, {}, { rethrow: true }, (c, add) =>
      add('VoiceRecordReport', 'record', voiceRecordReport(c, this.#links.urlFor(c))),
    );
    return true;
  }

  #told(call: CallRecord): void {
    try {
      this.onStateChange?.(call);
    } catch (err) {
      this.#log.error({ err, callId: call.callId }, 'a state change listener failed');
    }
  }

  #write(
    callId: string,
    patch: CallPatch,
    options: { rethrow: boolean },
    receipts: (call: CallRecord, add: (type: ReceiptType, kind: string, payload: Payload) => void) => void,
  ): CallRecord | undefined {
    let added = 0;
    try {
      const call = this.#store.transaction(() => {
        this.#store.calls.update(callId, patch);
        const call = this.#store.calls.find(callId);
        if (!call) return undefined;
        const settings = this.#store.accounts.findById(call.accountId)?.receipts;
        receipts(call, (type, kind, payload) => {
          const url = receiptUrl(settings, type);
          if (!url) return;
          const receiptId = `${callId}:${kind}`;
          added++;
          this.#store.receipts.append({
            receiptId,
            accountId: call.accountId,
            callId,
            type,
            stream: url,
            payload: JSON.stringify({ ...payload, receipt_id: receiptId }),
            nextAttemptAt: 0,
            createdAt: Math.round(this.#clock.now()),
          });
        });
        return call;
      });
      if (added > 0) this.onReceipts?.();
      if (call && patch.state !== undefined) this.#told(call);
      return call;
    } catch (err) {
      this.#log.error({ err, callId, patch }, 'could not record the call change');
      if (options.rethrow) throw err;
      return undefined;
    }
  }
}
