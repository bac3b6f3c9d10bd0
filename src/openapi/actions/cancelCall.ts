/**
 * `CancelCall` (spec §6.3): Alibaba cancels ClickToDial calls with it; there are none here, so it
 * cancels any call of the account not yet answered — queued, dialling or ringing — and answers
 * `Status: true`. An answered, finished or unknown call (or another account's) is `Status: false`.
 */

import type { CallRecord } from '../../store/records.js';
import type { ActionHandler } from '../actionContext.js';
import { ParamReader } from '../paramReader.js';
import type { CallFinder } from './queryCallDetailByCallId.js';

export interface CallCanceller {
  /** True when the call was cancelled (a Promise of it on an API node). */
  cancel(callId: string): boolean | Promise<boolean>;
}

/** A node that places no calls (`calls.dialer: false`) can cancel nothing. */
export const noCancellation: CallCanceller = { cancel: () => false };

export function cancelCallAction(deps: { store: CallFinder; canceller: CallCanceller }): ActionHandler {
  return (params, ctx) => {
    const r = new ParamReader(params);
    r.requireAll(['CallId']);
    const callId = r.requiredString('CallId');
    const answer = (call: CallRecord | undefined) => {
      if (!call || call.accountId !== ctx.account.id) return { Status: false };
      const cancelled = deps.canceller.cancel(callId);
      return cancelled instanceof Promise ? cancelled.then((Status) => ({ Status })) : { Status: cancelled };
    };
    const found = deps.store.calls.find(callId);
    return found instanceof Promise ? found.then(answer) : answer(found);
  };
}
