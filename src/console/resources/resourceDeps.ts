import type { CallbackClient } from '../../callback/callbackClient.js';
import type { TrunkAdmin } from '../../calls/trunkAdmin.js';
import type { TrunkHealth } from '../../calls/trunkMonitor.js';
import type { Clock } from '../../clock/clock.js';
import type { Logger } from '../../observability/logger.js';
import type { Store } from '../../store/repositories.js';
import type { TenancyAdmin } from '../../tenancy/tenancyAdmin.js';
import type { ResourceAccess } from './resourceAccess.js';

/** What the resources screens use: the same services the admin CLI uses. */
export interface ResourceDeps {
  store: Store;
  access: ResourceAccess;
  tenancy: TenancyAdmin;
  trunks: TrunkAdmin;
  /** Where voice files live (`<dataDir>/voices`). */
  dataDir: string;
  callbacks: CallbackClient;
  clock: Clock;
  log: Logger;
  /** The OPTIONS keep-alive's view of a trunk, when the server pings it. */
  trunkHealth?: ((name: string) => TrunkHealth | undefined) | undefined;
}
