/**
 * `SmartCallOperate` (spec §6.2): only `parallelBridge`, which bridges the callee with the agent of
 * a parallel-transfer leg. `Status` is true only when that leg exists and the bridge was made.
 * The same handler serves role `all` (synchronous store, the live session in this process) and an
 * API node (PostgreSQL, the bridge forwarded to the media node that owns the call, issue 15).
 */
import type { CallRecord } from '../../store/records.js';
import type { ActionHandler } from '../actionContext.js';
import { businessErrors } from '../apiErrors.js';
import { ParamReader } from '../paramReader.js';

export interface ParallelBridger {
  /** Bridges the call's parallel leg; false when the call has none (or is over). */
  parallelBridge(callId: string, param: string | undefined): boolean | Promise<boolean>;
}

type Found = CallRecord | undefined;

/** Until calls can hold a parallel leg, no bridge can be made. */
export const noParallelLegs: ParallelBridger = { parallelBridge: () => false };

export function smartCallOperateAction(deps: {
  store: { calls: { find(callId: string): Found | Promise<Found> } };
  bridger: ParallelBridger;
}): ActionHandler {
  return (params, ctx) => {
    const r = new ParamReader(params);
    r.requireAll(['CallId', 'Command']);
    const callId = r.requiredString('CallId');
    const command = r.requiredString('Command');
    const param = r.string('Param');
    if (command !== 'parallelBridge')
      throw businessErrors.invalidParameters('Command must be parallelBridge');
    const bridge = (call: Found) => {
      if (!call || call.accountId !== ctx.account.id) return { Status: false };
      const status = deps.bridger.parallelBridge(callId, param);
      return status instanceof Promise ? status.then((Status) => ({ Status })) : { Status: status };
    };
    const found = deps.store.calls.find(callId);
    // Role `all` stays synchronous end to end; the API node's store and bridge are awaited.
    return found instanceof Promise ? found.then(bridge) : bridge(found);
  };
}
