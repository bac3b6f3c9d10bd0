/**
 * `SmartCallOperate` (spec §6.2): only `parallelBridge`, which bridges the callee with the agent of
 * a parallel-transfer leg. `Status` is true only when that leg exists and the bridge was made.
 */
import type { Store } from '../../store/repositories.js';
import type { ActionHandler } from '../actionContext.js';
import { businessErrors } from '../apiErrors.js';
import { ParamReader } from '../paramReader.js';

export interface ParallelBridger {
  /** Bridges the call's parallel leg; false when the call has none (or is over). */
  parallelBridge(callId: string, param: string | undefined): boolean;
}

/** Until calls can hold a parallel leg, no bridge can be made. */
export const noParallelLegs: ParallelBridger = { parallelBridge: () => false };

export function smartCallOperateAction(deps: { store: Store; bridger: ParallelBridger }): ActionHandler {
  return (params, ctx) => {
    const r = new ParamReader(params);
    r.requireAll(['CallId', 'Command']);
    const callId = r.requiredString('CallId');
    const command = r.requiredString('Command');
    const param = r.string('Param');
    if (command !== 'parallelBridge')
      throw businessErrors.invalidParameters('Command must be parallelBridge');
    const call = deps.store.calls.find(callId);
    if (!call || call.accountId !== ctx.account.id) return { Status: false };
    return { Status: deps.bridger.parallelBridge(callId, param) };
  };
}
