/**
 * The web console on the API server (`/console`): server-rendered pages, htmx, one stylesheet.
 * This file wires its parts; each route file does one screen or job.
 */
import type { FastifyInstance } from 'fastify';
import { CallbackClient } from '../callback/callbackClient.js';
import type { TrunkAdmin } from '../calls/trunkAdmin.js';
import type { TrunkHealth } from '../calls/trunkMonitor.js';
import type { Clock } from '../clock/clock.js';
import type { Logger } from '../observability/logger.js';
import type { CallRecord } from '../store/records.js';
import type { Store } from '../store/repositories.js';
import type { TenancyAdmin } from '../tenancy/tenancyAdmin.js';
import { registerAssetRoutes } from './assetRoutes.js';
import { registerCallRoutes } from './callRoutes.js';
import type { CallTimelineSource } from './callTimeline.js';
import type { CallTranscripts } from './callTranscripts.js';
import { registerConsoleScripts } from './consoleScripts.js';
import { ConsoleSessions } from './consoleSessions.js';
import { ConsoleUsers } from './consoleUsers.js';
import { registerLiveRoutes } from './liveRoutes.js';
import { LoginLimiter } from './loginLimiter.js';
import { registerLoginRoutes } from './loginRoutes.js';
import { registerOverviewRoutes } from './overview/overviewRoutes.js';
import { type PlaygroundDeps, registerPlaygroundRoutes } from './playgroundRoutes.js';
import { ResourceAccess } from './resources/resourceAccess.js';
import { registerResourceRoutes } from './resources/resourceRoutes.js';
import { registerWaveformRoutes } from './waveformRoutes.js';

export interface WebConsoleOptions {
  store: Store;
  clock: Clock;
  transcripts: CallTranscripts;
  /** Each call's stored timeline events (calls/callEventLog.ts): the call detail and the live replay. */
  eventLog: CallTimelineSource;
  log: Logger;
  /** Login attempts per name and address before a pause (default 5 per 15 minutes). */
  limiter?: LoginLimiter;
  /** The phone network playground's links to the rest of the server (absent: nothing to call). */
  playground?: Pick<PlaygroundDeps, 'network' | 'placeSmartCall' | 'demoBotUrl'>;
  /**
   * A short-lived URL of a call's recording kept in object storage (no longer on this node's
   * disk once uploaded): the player and the waveform fetch it from there.
   */
  storedRecording?: (call: CallRecord) => string | undefined;
  /** The resources screens (accounts, keys, numbers, settings, media library, trunks) and their services. */
  resources?: {
    tenancy: TenancyAdmin;
    trunks: TrunkAdmin;
    dataDir: string;
    callbacks?: CallbackClient;
    trunkHealth?: (name: string) => TrunkHealth | undefined;
  };
}

export function registerWebConsole(app: FastifyInstance, o: WebConsoleOptions): void {
  const sessions = new ConsoleSessions(o.store, o.clock);
  registerAssetRoutes(app);
  registerLoginRoutes(app, {
    store: o.store,
    users: new ConsoleUsers(o.store, o.clock),
    sessions,
    limiter: o.limiter ?? new LoginLimiter({ clock: o.clock }),
    log: o.log,
  });
  const stored = o.storedRecording && { storedRecording: o.storedRecording };
  registerCallRoutes(app, { store: o.store, sessions, eventLog: o.eventLog, ...stored });
  registerConsoleScripts(app);
  registerWaveformRoutes(app, { store: o.store, sessions, log: o.log, ...stored });
  registerLiveRoutes(app, {
    store: o.store,
    sessions,
    transcripts: o.transcripts,
    eventLog: o.eventLog,
    clock: o.clock,
  });
  registerPlaygroundRoutes(app, {
    store: o.store,
    sessions,
    clock: o.clock,
    log: o.log,
    network: o.playground?.network,
    placeSmartCall: o.playground?.placeSmartCall,
    demoBotUrl: o.playground?.demoBotUrl,
  });
  const access = new ResourceAccess(o.store, sessions);
  registerOverviewRoutes(app, { store: o.store, access, clock: o.clock });
  if (o.resources)
    registerResourceRoutes(app, {
      ...o.resources,
      store: o.store,
      access,
      callbacks: o.resources.callbacks ?? new CallbackClient(),
      clock: o.clock,
      log: o.log,
    });
}
