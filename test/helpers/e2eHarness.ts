/**
 * A whole smartcall in embedded mode, in-process, for end-to-end tests: the API on a free port, SIP
 * and the virtual phone network on free ports, a fresh data directory, the demo account with its
 * key, and a callback server on 127.0.0.1 whose replies the test scripts.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type ConfigInput, configSchema } from '../../src/config.js';
import { type RunningSmartcall, startSmartcall } from '../../src/main.js';
import { createLogger, silentLogger } from '../../src/observability/logger.js';
import { SecretBox } from '../../src/tenancy/secretBox.js';
import { TenancyAdmin } from '../../src/tenancy/tenancyAdmin.js';
import { type CallOutcome, callAction } from './aliClients.js';
import { lanePortRange, laneRtpPorts } from './lanes.js';
import { tempDir } from './tempDir.js';

export interface ReceivedCallback {
  callId: string;
  timestamp: number;
  contentType: string;
  content: Record<string, unknown>;
  at: number;
}

export type ReplyScript = (cb: ReceivedCallback, all: ReceivedCallback[]) => unknown;

/** The business's callback endpoint: records every callback and answers with the script's reply. */
export class CallbackServer {
  readonly received: ReceivedCallback[] = [];
  script: ReplyScript = () => ({ action: 'donothing' });
  /** Delay before answering, ms (to test timeouts). */
  delayMs = 0;
  readonly #server: Server;
  port = 0;

  constructor() {
    this.#server = createServer((req: IncomingMessage, res) => {
      const url = new URL(req.url ?? '/', 'http://x');
      req.resume();
      req.on('end', () => {
        const q = url.searchParams;
        const cb: ReceivedCallback = {
          callId: q.get('call_id') ?? '',
          timestamp: Number(q.get('timestamp')),
          contentType: q.get('content_type') ?? '',
          content: JSON.parse(q.get('content') ?? '{}'),
          at: Date.now(),
        };
        this.received.push(cb);
        const data = this.script(cb, this.received);
        const body =
          typeof data === 'string' ? data : JSON.stringify({ result: 'success', msg: '成功', data });
        setTimeout(() => {
          res.setHeader('content-type', 'application/json');
          res.end(body);
        }, this.delayMs);
      });
    });
  }

  async start(): Promise<void> {
    await new Promise<void>((r) => this.#server.listen(0, '127.0.0.1', r));
    this.port = (this.#server.address() as AddressInfo).port;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}/callback`;
  }

  forCall(callId: string): ReceivedCallback[] {
    return this.received.filter((c) => c.callId === callId);
  }

  async close(): Promise<void> {
    this.#server.closeAllConnections();
    await new Promise((r) => this.#server.close(r));
  }
}

export interface E2e {
  running: RunningSmartcall;
  callbacks: CallbackServer;
  admin: TenancyAdmin;
  endpoint: string;
  accessKeyId: string;
  accessKeySecret: string;
  displayNumber: string;
  dataDir: string;
  smartCall(params: Record<string, string>): Promise<CallOutcome>;
  /** Resolves with the final record once the call has ended (or after `timeoutMs`). */
  waitForEnd(callId: string, timeoutMs?: number): Promise<import('../../src/store/records.js').CallRecord>;
  close(): Promise<void>;
}

export async function startE2e(
  overrides: Partial<ConfigInput> = {},
  /** Where smartcall logs (default: nowhere, or stdout at E2E_LOG's level). */
  options: {
    log?: import('../../src/observability/logger.js').Logger;
    /** The calling policy's clock (a ManualClock runs windows without waiting). */
    policyClock?: import('../../src/clock/clock.js').Clock;
  } = {},
): Promise<E2e> {
  const dir = tempDir('smartcall-e2e-');
  const callbacks = new CallbackServer();
  await callbacks.start();
  const config = configSchema.parse({
    mode: 'embedded',
    dataDir: dir.path,
    http: { host: '127.0.0.1', port: 0 },
    sip: { udpPort: 0, tcpPort: 0, t1Ms: 200 },
    rtp: lanePortRange('rtp'),
    phonenet: { sipPort: 0, ...laneRtpPorts('phonenet') },
    media: { allowPrivateUrls: true },
    ...overrides,
  });
  const log =
    options.log ?? (process.env.E2E_LOG ? createLogger({ level: process.env.E2E_LOG }) : silentLogger());
  const running = await startSmartcall(
    config,
    log,
    options.policyClock ? { policyClock: options.policyClock } : {},
  );
  const demo = running.demo!;
  const admin = new TenancyAdmin(running.store, SecretBox.forConfig(config));
  admin.setCallback('demo', { url: callbacks.url });
  const creds = {
    endpoint: `127.0.0.1:${running.httpPort}`,
    accessKeyId: demo.accessKeyId,
    accessKeySecret: demo.accessKeySecret,
  };
  return {
    running,
    callbacks,
    admin,
    endpoint: creds.endpoint,
    accessKeyId: demo.accessKeyId,
    accessKeySecret: demo.accessKeySecret,
    displayNumber: demo.displayNumber,
    dataDir: dir.path,
    smartCall: (params) =>
      callAction('core', creds, 'SmartCall', { CalledShowNumber: demo.displayNumber, ...params }),
    waitForEnd(callId, timeoutMs = 60_000) {
      return new Promise((resolve, reject) => {
        const done = (record: import('../../src/store/records.js').CallRecord) => {
          clearTimeout(timer);
          running.events.off('ended', onEnded);
          resolve(record);
        };
        const onEnded = (e: { callId: string; record: import('../../src/store/records.js').CallRecord }) => {
          if (e.callId === callId) done(e.record);
        };
        const timer = setTimeout(() => {
          running.events.off('ended', onEnded);
          reject(new Error(`call ${callId} did not end within ${timeoutMs} ms`));
        }, timeoutMs);
        running.events.on('ended', onEnded);
        const now = running.store.calls.find(callId);
        if (now && (now.state === 'ended' || now.state === 'failed')) done(now);
      });
    },
    async close() {
      await running.close();
      await callbacks.close();
      dir.remove();
    },
  };
}
