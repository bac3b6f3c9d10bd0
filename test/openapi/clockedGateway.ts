/**
 * The gateway on 127.0.0.1 with the real actions, an in-memory store and a ManualClock as its
 * `now`: tests move time (token expiry, throttle refill) by hand while the real clients sign with
 * the wall clock, which stays within the ±15 min window as long as a test moves less than that.
 */
import type { AddressInfo } from 'node:net';
import { ManualClock } from '../../src/clock/manualClock.js';
import { configSchema } from '../../src/config.js';
import { buildActions } from '../../src/main.js';
import { silentLogger } from '../../src/observability/logger.js';
import { createApiServer } from '../../src/openapi/apiServer.js';
import { RpcGateway } from '../../src/openapi/rpcGateway.js';
import { SqliteStore } from '../../src/store/sqlite/sqliteStore.js';
import { CredentialResolver } from '../../src/tenancy/credentials.js';
import { SecretBox } from '../../src/tenancy/secretBox.js';
import { TenancyAdmin } from '../../src/tenancy/tenancyAdmin.js';
import { DISPLAY_NUMBER } from '../helpers/apiHarness.js';

export const MASTER_KEY = 'clocked gateway test master key';

export interface ClockedGateway {
  clock: ManualClock;
  store: SqliteStore;
  /** Issues with the same clock as the gateway's. */
  admin: TenancyAdmin;
  endpoint: string;
  /** The permanent key of account "acme". */
  key: { accessKeyId: string; accessKeySecret: string };
  close(): Promise<void>;
}

export async function startClockedGateway(): Promise<ClockedGateway> {
  const clock = new ManualClock({ start: Date.now() });
  const now = () => clock.now();
  const store = SqliteStore.inMemory();
  const box = SecretBox.fromMasterKey(MASTER_KEY);
  const admin = new TenancyAdmin(store, box, now);
  admin.createAccount({ name: 'acme' });
  admin.addNumber('acme', DISPLAY_NUMBER);
  const key = admin.createKey('acme');
  const config = configSchema.parse({ mode: 'standalone', dataDir: '/nonexistent' });
  const gateway = new RpcGateway({
    options: config.api,
    credentials: new CredentialResolver(store, box),
    actions: buildActions(store, config),
    log: silentLogger(),
    now,
  });
  const app = createApiServer({ gateway });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const { port } = app.server.address() as AddressInfo;
  return {
    clock,
    store,
    admin,
    endpoint: `127.0.0.1:${port}`,
    key,
    async close() {
      await app.close();
      store.close();
    },
  };
}
