/**
 * Starts smartcall in-process on 127.0.0.1 with a fresh data directory and one account
 * ("acme", a key, a display number), for tests that talk to the API like a user would.
 */
import { type ConfigInput, configSchema } from '../../src/config.js';
import { type RunningSmartcall, startSmartcall } from '../../src/main.js';
import { silentLogger } from '../../src/observability/logger.js';
import { SecretBox } from '../../src/tenancy/secretBox.js';
import { TenancyAdmin } from '../../src/tenancy/tenancyAdmin.js';
import { tempDir } from './tempDir.js';

export const DISPLAY_NUMBER = '057188880000';
export const CALLEE = '15900001111';

export interface ApiHarness {
  running: RunningSmartcall;
  endpoint: string;
  port: number;
  admin: TenancyAdmin;
  accessKeyId: string;
  accessKeySecret: string;
  dataDir: string;
  close(): Promise<void>;
}

export async function startApiHarness(overrides: Partial<ConfigInput> = {}): Promise<ApiHarness> {
  const dir = tempDir();
  const config = configSchema.parse({
    mode: 'standalone',
    dataDir: dir.path,
    http: { host: '127.0.0.1', port: 0 },
    sip: { udpPort: 0, tcpPort: 0 },
    ...overrides,
  });
  const running = await startSmartcall(config, silentLogger());
  const admin = new TenancyAdmin(running.store, SecretBox.forConfig(config));
  admin.createAccount({ name: 'acme' });
  admin.addNumber('acme', DISPLAY_NUMBER);
  const key = admin.createKey('acme');
  return {
    running,
    endpoint: `127.0.0.1:${running.httpPort}`,
    port: running.httpPort,
    admin,
    accessKeyId: key.accessKeyId,
    accessKeySecret: key.accessKeySecret,
    dataDir: dir.path,
    async close() {
      await running.close();
      dir.remove();
    },
  };
}
