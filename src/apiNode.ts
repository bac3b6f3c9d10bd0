/**
 * Composition root of an API node (`serve --role api`, issue 15): the RPC gateway alone, on the
 * shared PostgreSQL store. No SIP, RTP, dialer, speech engines or virtual phone network: accepted
 * calls are written `queued` for the schedulers to claim (PgCallQueue). Signatures, nonces and QPS
 * are checked as on the embedded path (shared through Redis with `redis.url`, and this node's card
 * kept in the node registry). Served actions: SmartCall, QueryCallDetailByCallId,
 * CancelCall (of a queued call) and, with Redis, SmartCallOperate (forwarded to the media node that
 * owns the call, src/cluster/callOperations.ts); the console is not served here.
 */
import type { AddressInfo } from 'node:net';
import { CallIdGenerator } from './calls/callId.js';
import { CallWriter } from './calls/callWriter.js';
import { QueuedCallCancellation } from './calls/queuedCallCancellation.js';
import { systemClock } from './clock/clock.js';
import { clusterSecret, OperationForwarder } from './cluster/callOperations.js';
import { CallOwners } from './cluster/callOwners.js';
import { NodeHeartbeat } from './cluster/nodeHeartbeat.js';
import { NodeRegistry } from './cluster/nodeRegistry.js';
import { RedisConnection } from './cluster/redisConnection.js';
import type { Config } from './config.js';
import type { RunningNode } from './nodeParts.js';
import type { Logger } from './observability/logger.js';
import type { ActionHandler } from './openapi/actionContext.js';
import { asyncSmartCallAction } from './openapi/actions/asyncSmartCall.js';
import { cancelCallAction } from './openapi/actions/cancelCall.js';
import { queryCallDetailAction } from './openapi/actions/queryCallDetailByCallId.js';
import { smartCallOperateAction } from './openapi/actions/smartCallOperate.js';
import { createApiServer } from './openapi/apiServer.js';
import { RpcGateway } from './openapi/rpcGateway.js';
import { SharedAdmission } from './openapi/sharedAdmission.js';
import { PgStore } from './store/postgres/pgStore.js';
import { withdrawQueuedCall } from './store/postgres/queuedCallWithdrawal.js';
import { AsyncCredentialResolver } from './tenancy/credentials.js';
import { SecretBox } from './tenancy/secretBox.js';

export interface RunningApiNode extends RunningNode {
  httpPort: number;
}

/** The actions an API node answers; the others get the gateway's InvalidAction.NotFound. */
export function apiNodeActions(
  store: PgStore,
  config: Config,
  log: Logger,
  callIds = new CallIdGenerator(config.nodeId),
  forwarder?: OperationForwarder,
): Record<string, ActionHandler> {
  return {
    ...(forwarder && {
      SmartCallOperate: smartCallOperateAction({
        store,
        bridger: {
          parallelBridge: (callId, param) => forwarder.operate({ callId, command: 'parallelBridge', param }),
        },
      }),
    }),
    SmartCall: asyncSmartCallAction({
      store,
      callIds,
      writer: CallWriter.overAsync(store.calls),
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
  let redis: RedisConnection | undefined;
  let heartbeat: NodeHeartbeat | undefined;
  try {
    const box = SecretBox.forConfig(config);
    const callIds = new CallIdGenerator(config.nodeId);
    // Redis, when configured, shares nonces and QPS with the other API nodes (docs/scale-out.md).
    if (config.redis.url !== undefined) {
      redis = new RedisConnection({
        url: config.redis.url,
        keyPrefix: config.redis.keyPrefix,
        log: log.child({ component: 'redis' }),
      });
      await redis.connect();
    }
    const shared = redis;
    const owners = shared && new CallOwners(shared);
    const forwarder =
      shared && owners && config.masterKey !== undefined
        ? new OperationForwarder({
            owners,
            registry: new NodeRegistry(shared),
            secret: clusterSecret(config.masterKey),
            clock: systemClock,
            log: log.child({ component: 'cluster' }),
          })
        : undefined;
    const gateway = new RpcGateway({
      options: config.api,
      ...(shared && {
        shared: {
          admission: (local, now) =>
            new SharedAdmission({ redis: shared, local, nonceTtlSeconds: config.api.nonceTtlSeconds, now }),
        },
      }),
      credentials: new AsyncCredentialResolver(store, box),
      actions: apiNodeActions(store, config, log.child({ component: 'calls' }), callIds, forwarder),
      log,
    });
    if (shared && owners) {
      heartbeat = new NodeHeartbeat({
        redis: shared,
        registry: new NodeRegistry(shared),
        owners,
        card: () => ({ nodeId: callIds.nodeId, role: 'api', sipAddress: '', capacity: 0, calls: 0 }),
        liveCalls: () => [],
        clock: systemClock,
      });
      heartbeat.start();
    }
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
    log.info(
      {
        host: config.http.host,
        port: httpPort,
        role: 'api',
        store: store.kind,
        ...(shared && { redis: shared.up ? 'connected' : 'unreachable' }),
      },
      'smartcall started',
    );
    const stopShared = async () => {
      await heartbeat?.stop();
      await redis?.close();
    };
    return {
      store,
      httpPort,
      demo: undefined,
      consoleLogin: undefined,
      drain: async () => ({ left: 0 }),
      async close() {
        await api.close();
        await stopShared();
        await store.close();
        log.info('smartcall stopped');
      },
    };
  } catch (err) {
    await heartbeat?.stop();
    await redis?.close();
    await store.close();
    throw err;
  }
}
