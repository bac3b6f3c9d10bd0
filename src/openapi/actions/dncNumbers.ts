/**
 * smartcall's own actions (not Alibaba's) for the account's do-not-call list, on the same signed RPC
 * transport: `AddDncNumbers` / `RemoveDncNumbers` take `Numbers` (comma-separated), `ListDncNumbers`
 * answers `Data` (JSON list). The policy gate refuses SmartCalls to listed numbers and skips them in
 * campaigns.
 */
import type { Store } from '../../store/repositories.js';
import type { ActionHandler } from '../actionContext.js';
import { businessErrors } from '../apiErrors.js';
import { ParamReader } from '../paramReader.js';

export function dncActions(deps: { store: Store; time: { now(): number } }): Record<string, ActionHandler> {
  const numbers = (params: ReadonlyMap<string, string>) => {
    const r = new ParamReader(params);
    r.requireAll(['Numbers']);
    const list = r
      .requiredString('Numbers')
      .split(',')
      .map((n) => n.trim())
      .filter((n) => n !== '');
    if (list.length === 0 || list.length > 10_000)
      throw businessErrors.invalidParameters('Numbers lists 1 to 10000 numbers');
    if (list.some((n) => !/^\+?\d{3,20}$/.test(n))) throw businessErrors.mobileNumberIllegal();
    return list;
  };
  return {
    AddDncNumbers: (params, ctx) => ({
      Added: deps.store.policies.addDnc(ctx.account.id, numbers(params), 'api', deps.time.now()),
    }),
    RemoveDncNumbers: (params, ctx) => ({
      Removed: deps.store.policies.removeDnc(ctx.account.id, numbers(params)),
    }),
    ListDncNumbers: (_params, ctx) => ({
      Data: JSON.stringify(
        deps.store.policies
          .listDnc(ctx.account.id)
          .map((r) => ({ number: r.number, reason: r.reason, createdAt: r.createdAt })),
      ),
    }),
  };
}
