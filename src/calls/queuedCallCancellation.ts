/**
 * CancelCall on an API node (issue 15): the node places no call, so it can cancel only a call still
 * queued in the shared store. Such a call ends at once as cancelled (200003 / `CANCEL`) with its
 * VoiceReport, exactly as CallCancellation ends one on the embedded path; the schedulers then never
 * dial it. A call already dialling on a media node is `Status: false` here (reaching its owner is
 * the node registry's job).
 */
import { voiceReport } from '../callback/receiptPayloads.js';
import type { Clock } from '../clock/clock.js';
import type { Logger } from '../observability/logger.js';
import type { AccountRecord, CallRecord } from '../store/records.js';
import type { CallPatch } from '../store/repositories.js';
import { receiptUrl } from '../tenancy/receiptRoutes.js';
import { unansweredResult } from './callOutcome.js';

/** What the store offers: end a still-queued call with its receipts, in one transaction. */
export type WithdrawQueued = (
  callId: string,
  patch: CallPatch,
  receipts: (
    call: CallRecord,
    account: AccountRecord | undefined,
  ) => {
    receiptId: string;
    accountId: number;
    callId: string;
    type: 'VoiceReport';
    stream: string;
    payload: string;
    nextAttemptAt: number;
    createdAt: number;
  }[],
) => Promise<CallRecord | undefined>;

export class QueuedCallCancellation {
  readonly #withdraw: WithdrawQueued;
  readonly #clock: Clock;
  readonly #log: Logger;

  constructor(options: { withdraw: WithdrawQueued; clock: Clock; log: Logger }) {
    this.#withdraw = options.withdraw;
    this.#clock = options.clock;
    this.#log = options.log;
  }

  async cancel(callId: string): Promise<boolean> {
    const now = Math.round(this.#clock.now());
    const patch: CallPatch = { state: 'failed', endAt: now, ...unansweredResult({ kind: 'cancelled' }) };
    const ended = await this.#withdraw(callId, patch, (call, account) => {
      // The same receipt as CallLedger.finish writes (id `<call id>:report`): made once, whoever ends it.
      const url = receiptUrl(account?.receipts, 'VoiceReport');
      if (!url) return [];
      const receiptId = `${callId}:report`;
      return [
        {
          receiptId,
          accountId: call.accountId,
          callId,
          type: 'VoiceReport',
          stream: url,
          payload: JSON.stringify({
            ...voiceReport(call, { earlyMediaAsr: false }),
            receipt_id: receiptId,
          }),
          nextAttemptAt: 0,
          createdAt: now,
        },
      ];
    });
    if (ended) this.#log.info({ callId }, 'queued call cancelled');
    return ended !== undefined;
  }
}
