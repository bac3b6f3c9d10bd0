/**
 * Composition root: config → store → engines → servers. `startSmartcall` returns a handle whose
 * `close()` stops everything it started, in reverse order.
 */
import type { AddressInfo } from 'node:net';
import { CallIdGenerator } from './calls/callId.js';
import { CallWriter } from './calls/callWriter.js';
import type { Config } from './config.js';
import type { Logger } from './observability/logger.js';
import type { ActionHandler } from './openapi/actionContext.js';
import { queryCallDetailAction } from './openapi/actions/queryCallDetailByCallId.js';
import { smartCallAction } from './openapi/actions/smartCall.js';
import { noParallelLegs, smartCallOperateAction } from './openapi/actions/smartCallOperate.js';
import { createApiServer } from './openapi/apiServer.js';
import { RpcGateway } from './openapi/rpcGateway.js';
import type { Store } from './store/repositories.js';
import { SqliteStore } from './store/sqlite/sqliteStore.js';
import { CredentialResolver } from './tenancy/credentials.js';
import { type DemoAccount, ensureDemoAccount } from './tenancy/demoAccount.js';
import { SecretBox } from './tenancy/secretBox.js';
import { TenancyAdmin } from './tenancy/tenancyAdmin.js';

export interface RunningSmartcall {
  store: Store;
  /** The port the API listens on (useful when configured as 0). */
  httpPort: number;
  /** Present on the first start in embedded mode only. */
  demo: DemoAccount | undefined;
  close(): Promise<void>;
}

export function buildActions(store: Store, config: Config): Record<string, ActionHandler> {
  return {
    SmartCall: smartCallAction({
      store,
      callIds: new CallIdGenerator(config.nodeId),
      writer: new CallWriter(store),
      outIdMaxBytes: config.api.outIdMaxBytes,
    }),
    QueryCallDetailByCallId: queryCallDetailAction({ store }),
    SmartCallOperate: smartCallOperateAction({ store, bridger: noParallelLegs }),
  };
}

export async function startSmartcall(config: Config, log: Logger): Promise<RunningSmartcall> {
  const store = SqliteStore.open(config.dataDir);
  const box = SecretBox.forConfig(config);
  try {
    const demo =
      config.mode === 'embedded' ? ensureDemoAccount(store, new TenancyAdmin(store, box)) : undefined;
    const gateway = new RpcGateway({
      options: config.api,
      credentials: new CredentialResolver(store, box),
      actions: buildActions(store, config),
      log,
    });
    const api = createApiServer({ gateway });
    await api.listen({ host: config.http.host, port: config.http.port });
    const httpPort = (api.server.address() as AddressInfo).port;
    log.info(
      { host: config.http.host, port: httpPort, dataDir: config.dataDir, mode: config.mode },
      'smartcall started',
    );
    return {
      store,
      httpPort,
      demo,
      async close() {
        await api.close();
        store.close();
        log.info('smartcall stopped');
      },
    };
  } catch (err) {
    store.close();
    throw err;
  }
}
