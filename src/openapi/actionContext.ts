import type { Logger } from '../observability/logger.js';
import type { AccountStatus } from '../store/records.js';
import type { ResponseBody } from './responseFormat.js';

/** What an action knows about the request it serves, after the gateway authenticated it. */
export interface ActionContext {
  account: { id: number; status: AccountStatus };
  requestId: string;
  now: number;
  log: Logger;
}

/**
 * An action reads its parameters and returns its response fields (besides RequestId/Code/Message).
 * It throws GatewayError or BusinessError for bad input.
 */
export type ActionHandler = (
  params: ReadonlyMap<string, string>,
  ctx: ActionContext,
) => ResponseBody | Promise<ResponseBody>;
