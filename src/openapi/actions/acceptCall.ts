/**
 * The last step of every call-placing action: the validated request is stored as a queued call
 * under a fresh CallId (group-committed by the CallWriter) and the dialer is told.
 */
import type { CallIdGenerator } from '../../calls/callId.js';
import type { CallWriter } from '../../calls/callWriter.js';
import { newQueuedCall } from '../../calls/newCall.js';
import type { SmartCallRequest } from '../../contract/smartCallRequest.js';
import type { ActionContext } from '../actionContext.js';

export interface AcceptCallDeps {
  callIds: CallIdGenerator;
  writer: CallWriter;
  /** Told about every accepted call (the dialer listens here). */
  onAccepted?: (callId: string) => void;
}

/** Stores `request` as a queued call; resolves with its CallId once committed. */
export async function acceptCall(
  deps: AcceptCallDeps,
  ctx: ActionContext,
  request: SmartCallRequest,
): Promise<string> {
  const json = JSON.stringify(request);
  let callId: string;
  // A collision needs two nodes with one nodeId; a fresh ID settles it.
  do {
    callId = deps.callIds.next(ctx.now);
  } while (
    !(await deps.writer.insert(
      newQueuedCall({
        callId,
        accountId: ctx.account.id,
        calledNumber: request.calledNumber,
        calledShowNumber: request.calledShowNumber,
        outId: request.outId,
        dynamicId: request.dynamicId,
        request: json,
        createdAt: ctx.now,
      }),
    ))
  );
  deps.onAccepted?.(callId);
  return callId;
}
