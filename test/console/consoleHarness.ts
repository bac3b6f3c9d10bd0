/**
 * The web console on the real API server (fastify, every body as bytes) over an in-memory store,
 * driven with `inject`: accounts `acme` and `other`, an admin, a viewer of `acme`, and a login
 * helper that goes through the login form as a browser does (form token cookie, then POST).
 */
import assert from 'node:assert/strict';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { CallEventLog } from '../../src/calls/callEventLog.js';
import { CallEvents } from '../../src/calls/callEvents.js';
import { TrunkAdmin } from '../../src/calls/trunkAdmin.js';
import type { TrunkHealth } from '../../src/calls/trunkMonitor.js';
import { ManualClock } from '../../src/clock/manualClock.js';
import { CallTranscripts } from '../../src/console/callTranscripts.js';
import { ConsoleUsers } from '../../src/console/consoleUsers.js';
import { LoginLimiter } from '../../src/console/loginLimiter.js';
import { registerWebConsole, type WebConsoleOptions } from '../../src/console/webConsole.js';
import { silentLogger } from '../../src/observability/logger.js';
import { createApiServer } from '../../src/openapi/apiServer.js';
import type { RpcGateway } from '../../src/openapi/rpcGateway.js';
import type { CallRecord } from '../../src/store/records.js';
import { SqliteStore } from '../../src/store/sqlite/sqliteStore.js';
import { SecretBox } from '../../src/tenancy/secretBox.js';
import { TenancyAdmin } from '../../src/tenancy/tenancyAdmin.js';
import { tempDir } from '../helpers/tempDir.js';

export const PASSWORD = 'correct horse';

export interface ConsoleHarness {
  app: FastifyInstance;
  store: SqliteStore;
  clock: ManualClock;
  /** The call events the console's transcripts follow (tests emit here). */
  events: CallEvents;
  acme: number;
  other: number;
  tenancy: TenancyAdmin;
  trunks: TrunkAdmin;
  /** What the trunks screen shows as the OPTIONS keep-alive's view (set by a test). */
  health: Map<string, TrunkHealth>;
  dataDir: string;
  close(): Promise<void>;
}

export async function startConsole(
  options: {
    playground?: (store: SqliteStore) => WebConsoleOptions['playground'];
    /** A store on disk in this folder (kept after close: a later harness opens it again). */
    storeDir?: string;
    storedRecording?: WebConsoleOptions['storedRecording'];
  } = {},
): Promise<ConsoleHarness> {
  const store = options.storeDir ? SqliteStore.open(options.storeDir) : SqliteStore.inMemory();
  const clock = new ManualClock({ start: Date.UTC(2025, 5, 1, 2, 0, 0) });
  const data = tempDir('smartcall-console-');
  const box = SecretBox.fromMasterKey('console harness master key, not a secret');
  const tenancy = new TenancyAdmin(store, box, () => Math.round(clock.now()));
  const trunks = new TrunkAdmin(store, box);
  const health = new Map<string, TrunkHealth>();
  const account = (name: string) =>
    store.accounts.findByName(name)?.id ?? store.accounts.create({ name, now: clock.now() }).id;
  const acme = account('acme');
  const other = account('other');
  const users = new ConsoleUsers(store, clock);
  if (!store.consoleUsers.find('root')) {
    await users.add({ name: 'root', password: PASSWORD, role: 'admin' });
    await users.add({ name: 'ann', password: PASSWORD, role: 'viewer', account: 'acme' });
  }
  const events = new CallEvents();
  const eventLog = new CallEventLog({ store, events, log: silentLogger() });
  const gateway = {
    handle: async () => ({ status: 404, headers: {}, body: 'gateway' }),
  } as unknown as RpcGateway;
  const app = createApiServer({
    gateway,
    routes: (a) =>
      registerWebConsole(a, {
        store,
        clock,
        transcripts: new CallTranscripts(events),
        eventLog,
        log: silentLogger(),
        limiter: new LoginLimiter({ clock, maxFailures: 5, windowMs: 60_000 }),
        ...(options.playground && { playground: options.playground(store) }),
        ...(options.storedRecording && { storedRecording: options.storedRecording }),
        resources: { tenancy, trunks, dataDir: data.path, trunkHealth: (name) => health.get(name) },
      }),
  });
  await app.ready();
  return {
    app,
    store,
    clock,
    events,
    acme,
    other,
    tenancy,
    trunks,
    health,
    dataDir: data.path,
    close: async () => {
      await app.close();
      eventLog.close();
      store.close();
      data.remove();
    },
  };
}

let serial = 0;
export function call(accountId: number, createdAt: number, extra: Partial<CallRecord> = {}): CallRecord {
  serial++;
  return {
    callId: `${String(createdAt).padStart(15, '0')}^${String(serial).padStart(6, '0')}`,
    accountId,
    state: 'ended',
    calledNumber: '13800000000',
    calledShowNumber: '057188880000',
    outId: null,
    dynamicId: null,
    request: '{}',
    createdAt,
    originateAt: null,
    ringAt: null,
    answerAt: null,
    endAt: null,
    statusCode: '200000',
    smartStatusCode: null,
    statusMsg: null,
    hangupDirection: null,
    trunk: null,
    sipStatus: null,
    sipReason: null,
    dtmf: null,
    earlyMediaCode: null,
    recordPath: null,
    recordBeginAt: null,
    parallelLegHangupCause: null,
    ...extra,
  };
}

/** `name=value` of each Set-Cookie, and the raw headers. */
export function setCookies(res: LightMyRequestResponse): { jar: Map<string, string>; raw: string[] } {
  const h = res.headers['set-cookie'];
  const raw = h === undefined ? [] : Array.isArray(h) ? h : [String(h)];
  const jar = new Map<string, string>();
  for (const c of raw) {
    const [pair = ''] = c.split(';');
    const eq = pair.indexOf('=');
    jar.set(pair.slice(0, eq), decodeURIComponent(pair.slice(eq + 1)));
  }
  return { jar, raw };
}

export function cookieHeader(jar: Map<string, string>): string {
  return [...jar].map(([k, v]) => `${k}=${encodeURIComponent(v)}`).join('; ');
}

export const tokenIn = (body: string) => /name="_csrf" value="([^"]+)"/.exec(body)?.[1];

export interface Browser {
  jar: Map<string, string>;
  get(url: string, headers?: Record<string, string>): Promise<LightMyRequestResponse>;
  post(url: string, form: Record<string, string>, address?: string): Promise<LightMyRequestResponse>;
}

export function browser(app: FastifyInstance, address = '127.0.0.1'): Browser {
  const jar = new Map<string, string>();
  const keep = (res: LightMyRequestResponse) => {
    for (const [k, v] of setCookies(res).jar) {
      if (v === '') jar.delete(k);
      else jar.set(k, v);
    }
    return res;
  };
  return {
    jar,
    get: async (url, headers = {}) =>
      keep(
        await app.inject({
          method: 'GET',
          url,
          remoteAddress: address,
          headers: { cookie: cookieHeader(jar), ...headers },
        }),
      ),
    post: async (url, form, from = address) =>
      keep(
        await app.inject({
          method: 'POST',
          url,
          remoteAddress: from,
          headers: { cookie: cookieHeader(jar), 'content-type': 'application/x-www-form-urlencoded' },
          payload: new URLSearchParams(form).toString(),
        }),
      ),
  };
}

/** Logs in through the form; the browser then carries the session cookie. */
export async function loggedIn(app: FastifyInstance, name: string): Promise<Browser & { csrf: string }> {
  const b = browser(app);
  const page = await b.get('/console/login');
  const res = await b.post('/console/login', { _csrf: tokenIn(page.body)!, name, password: PASSWORD });
  assert.equal(res.statusCode, 303, res.body);
  const calls = await b.get('/console/calls');
  assert.equal(calls.statusCode, 200);
  return Object.assign(b, { csrf: tokenIn(calls.body)! });
}
