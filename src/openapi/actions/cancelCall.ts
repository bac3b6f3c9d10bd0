/**
 * `CancelCall` (spec §6.3): Alibaba cancels ClickToDial calls with it; there are none here, so it
 * cancels any call of the account not yet answered — queued, dialling or ringing — and answers
 * `Status: true`. An answered, finished or unknown call (or another account's) is `Status: false`.
 */

import type { Store } from '../../store/repositories.js';
import type { ActionHandler } from '../actionContext.js';
import { ParamReader } from '../paramReader.js';

export interface CallCanceller {
  /** True when the call was cancelled. */
  cancel(callId: string): boolean;
}

/** A node that places no calls (`calls.dialer: false`) can cancel nothing. */
export const noCancellation: CallCanceller = { cancel: () => false };

export function cancelCallAction(deps: { store: Store; canceller: CallCanceller }): ActionHandler {
  return (params, ctx) => {
    const r = new ParamReader(params);
    r.requireAll(['CallId']);
    const callId = r.requiredString('CallId');
    const call = deps.store.calls.find(callId);
    if (!call || call.accountId !== ctx.account.id) return { Status: false };
    return { Status: deps.canceller.cancel(callId) };
  };
}
