/**
 * `QueryCallDetailByCallId` (spec §6.1): the call detail record of one call, as a JSON string in
 * `Data`. A call that is unknown, belongs to another account or product, or lies outside the
 * QueryDate window is "not found": `Code: OK` without `Data` (spec §10 Q8).
 */

import { currentStateCode } from '../../calls/statusCodes.js';
import { chinaDay, chinaTimeOrEmpty } from '../../contract/chinaTime.js';
import { PROD_IDS } from '../../contract/scriptedCall.js';
import type { SmartCallRequest } from '../../contract/smartCallRequest.js';
import type { CallRecord } from '../../store/records.js';
import type { ActionHandler } from '../actionContext.js';
import { ParamReader } from '../paramReader.js';

/** ProdId of intelligent outbound calls (SmartCall). */
export const SMART_CALL_PROD_ID = PROD_IDS.SmartCall;
const DAY_MS = 86_400_000;

/** The product a call belongs to (spec §6.1): SmartCall, or the action of a scripted call. */
export function prodIdOf(call: CallRecord): number {
  try {
    const script = (JSON.parse(call.request) as Partial<SmartCallRequest>).script;
    return PROD_IDS[script?.action ?? 'SmartCall'];
  } catch {
    return SMART_CALL_PROD_ID;
  }
}

/** Spec §10 Q22: within 24 h from QueryDate, or on the same China calendar day. */
function withinQueryWindow(createdAt: number, queryDate: number): boolean {
  return (
    (createdAt >= queryDate && createdAt < queryDate + DAY_MS) || chinaDay(createdAt) === chinaDay(queryDate)
  );
}

/**
 * The `Data` of spec §6.1. `stateDesc` repeats the code, as every sample does. The call has two
 * sides: the A leg is smartcall's own (the robot), which hears ringback from the moment the call is
 * sent to the carrier until the callee answers or the attempt ends; the B leg is the callee, ringing
 * from its first 180/183 until the same moment.
 */
export function callDetailData(call: CallRecord): Record<string, string | number> {
  const durationMs = call.answerAt != null && call.endAt != null ? call.endAt - call.answerAt : 0;
  const state = currentStateCode(call);
  return {
    caller: call.calledShowNumber,
    callerShowNumber: call.calledShowNumber,
    callee: call.calledNumber,
    calleeShowNumber: call.calledShowNumber,
    gmtCreate: chinaTimeOrEmpty(call.createdAt),
    startDate: chinaTimeOrEmpty(call.answerAt),
    endDate: chinaTimeOrEmpty(call.answerAt == null ? null : call.endAt),
    duration: Math.round(durationMs / 1000),
    state,
    stateDesc: state,
    aRingTime: chinaTimeOrEmpty(call.originateAt),
    aEndTime: chinaTimeOrEmpty(call.originateAt == null ? null : (call.answerAt ?? call.endAt)),
    bRingTime: chinaTimeOrEmpty(call.ringAt),
    bEndTime: chinaTimeOrEmpty(call.ringAt == null ? null : (call.answerAt ?? call.endAt)),
  };
}

/** Where a call is found: the embedded store at once, the async one (an API node) by Promise. */
export interface CallFinder {
  calls: { find(callId: string): CallRecord | undefined | Promise<CallRecord | undefined> };
}

export function queryCallDetailAction(deps: { store: CallFinder }): ActionHandler {
  return (params, ctx) => {
    const r = new ParamReader(params);
    r.requireAll(['CallId', 'ProdId', 'QueryDate']);
    const callId = r.requiredString('CallId');
    const prodId = r.int64('ProdId')!;
    const queryDate = r.int64('QueryDate')!;
    const answer = (call: CallRecord | undefined) => {
      if (
        !call ||
        call.accountId !== ctx.account.id ||
        prodId !== prodIdOf(call) ||
        !withinQueryWindow(call.createdAt, queryDate)
      ) {
        return {};
      }
      return { Data: JSON.stringify(callDetailData(call)) };
    };
    const found = deps.store.calls.find(callId);
    return found instanceof Promise ? found.then(answer) : answer(found);
  };
}
