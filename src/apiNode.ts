/**
 * Composition root of an API node (`serve --role api`, issue 15): the RPC gateway alone, on the
 * shared PostgreSQL store. No SIP, RTP, dialer, speech engines or virtual phone network: accepted
 * calls are written `queued` for the schedulers to claim (PgCallQueue). Signatures, nonces and QPS
 * are checked as on the embedded path. Served actions: SmartCall, QueryCallDetailByCallId and
 * CancelCall (of a queued call); the console is not served here.
 */
import type { AddressInfo } from 'node:net';
import { CallIdGenerator } from './calls/callId.js';
import { CallWriter } from './calls/callWriter.js';
import { QueuedCallCancellation } from './calls/queuedCallCancellation.js';
import { systemClock } from './clock/clock.js';
import type { Config } from './config.js';
import type { Logger } from './observability/logger.js';
import type { ActionHandler } from './openapi/actionContext.js';
import { asyncSmartCallAction } from './openapi/actions/asyncSmartCall.js';
import { cancelCallAction } from './openapi/actions/cancelCall.js';
import { queryCallDetailAction } from './openapi/actions/queryCallDetailByCallId.js';
import { createApiServer } from './openapi/apiServer.js';
import { RpcGateway } from './openapi/rpcGateway.js';
import { PgStore } from './store/postgres/pgStore.js';
import { withdrawQueuedCall } from './store/postgres/queuedCallWithdrawal.js';
import { AsyncCredentialResolver } from './tenancy/credentials.js';
import { SecretBox } from './tenancy/secretBox.js';

export interface RunningApiNode {
  store: PgStore;
  httpPort: number;
  /** Never made here (no demo account, no console): present for `serve`'s banner. */
  demo: undefined;
  consoleLogin: undefined;
  /** An API node holds no call: nothing to wait for. */
  drain(timeoutMs: number): Promise<{ left: number }>;
  close(): Promise<void>;
}

/** The actions an API node answers; the others get the gateway's InvalidAction.NotFound. */
export function apiNodeActions(store: PgStore, config: Config, log: Logger): Record<string, ActionHandler> {
  return {
    SmartCall: asyncSmartCallAction({
      store,
      callIds: new CallIdGenerator(config.nodeId),
      writer: CallWriter.overAsync(store),
      outIdMaxBytes: config.api.outIdMaxBytes,
    }),
    QueryCallDetailByCallId: queryCallDetailAction({ store }),
    CancelCall: cancelCallAction({
      store,
      canceller: new QueuedCallCancellation({
        withdraw: (callId, patch, receipts) => withdrawQueuedCall(store.pool, callId, patch, receipts),
        clock: systemClock,
        log,
      }),
    }),
  };
}

export async function startApiNode(config: Config, log: Logger): Promise<RunningApiNode> {
  const store = await PgStore.open(config.store.url);
  try {
    const box = SecretBox.forConfig(config);
    const gateway = new RpcGateway({
      options: config.api,
      credentials: new AsyncCredentialResolver(store, box),
      actions: apiNodeActions(store, config, log.child({ component: 'calls' })),
      log,
    });
    // `/healthz` and the gateway; no console, no recordings, no /metrics (the media nodes' figures).
    const api = createApiServer({ gateway });
    try {
      await api.listen({ host: config.http.host, port: config.http.port });
    } catch (err) {
      await api.close();
      throw err;
    }
    const httpPort = (api.server.address() as AddressInfo).port;
    // The store's URL may hold a password: only its kind is logged.
    log.info({ host: config.http.host, port: httpPort, role: 'api', store: store.kind }, 'smartcall started');
    return {
      store,
      httpPort,
      demo: undefined,
      consoleLogin: undefined,
      drain: async () => ({ left: 0 }),
      async close() {
        await api.close();
        await store.close();
        log.info('smartcall stopped');
      },
    };
  } catch (err) {
    await store.close();
    throw err;
  }
}
