/**
 * The platform a suite runs against when no `--endpoint` is given: one smartcall started in this
 * process on a temporary data directory with free ports (its phone network included), removed
 * again by `close()`. Each case gets its own account (key, display number, callback URL, receipt
 * URL) and its own callee number; the runner's small HTTP helper acknowledges receipts and can
 * hold callbacks back (`callback.delayMs`, a slow bot without touching the bot).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CallEventMap } from '../../calls/callEvents.js';
import { systemClock } from '../../clock/clock.js';
import { sleep, within } from '../../clock/within.js';
import type { Config } from '../../config.js';
import { DEMO_BOT_PATH } from '../../demo/demoBotRoute.js';
import { type RunningSmartcall, startSmartcall } from '../../main.js';
import { createLogger } from '../../observability/logger.js';
import type { Persona } from '../../phonenet/index.js';
import { SecretBox } from '../../tenancy/secretBox.js';
import { TenancyAdmin } from '../../tenancy/tenancyAdmin.js';
import { SmartcallClient } from '../smartcallClient.js';
import { type Observation, observe, type RawCallEvent } from './observation.js';
import { type PlacedCall, type SuitePlatform, smartCallParams } from './suitePlatform.js';
import { caseNumber, casePersona, type SuiteCase } from './suiteSchema.js';

const EVENT_TYPES = [
  'state',
  'said',
  'heard',
  'dtmf',
  'callback',
  'interrupted',
  'playStarted',
  'ended',
] as const satisfies readonly (keyof CallEventMap)[];

/** How long receipts may take after the end of the call to reach the runner. */
const RECEIPT_WAIT_MS = 5000;

interface CaseAccount {
  client: SmartcallClient;
  displayNumber: string;
}

export interface EmbeddedPlatformOptions {
  /** The loaded configuration; ports, data directory and mode are replaced. */
  config: Config;
  /** The default callback URL (else the demo bot of the embedded server). */
  callback: string | undefined;
}

export class EmbeddedPlatform implements SuitePlatform {
  readonly #running: RunningSmartcall;
  readonly #dataDir: string;
  readonly #helper: Server;
  readonly #helperUrl: string;
  readonly #admin: TenancyAdmin;
  readonly #defaultCallback: string;
  readonly #events = new Map<string, RawCallEvent[]>();
  readonly #ended = new Map<string, () => void>();
  readonly #numberCall = new Map<string, string>();
  readonly #accounts = new Map<number, CaseAccount>();
  readonly #delays = new Map<number, { url: string; delayMs: number }>();
  readonly #runTag = Math.round(systemClock.now()).toString(36).slice(-6);

  private constructor(
    running: RunningSmartcall,
    dataDir: string,
    helper: Server,
    admin: TenancyAdmin,
    defaultCallback: string,
  ) {
    this.#running = running;
    this.#dataDir = dataDir;
    this.#helper = helper;
    this.#helperUrl = `http://127.0.0.1:${(helper.address() as AddressInfo).port}`;
    this.#admin = admin;
    this.#defaultCallback = defaultCallback;
    for (const type of EVENT_TYPES)
      running.events.on(type, (data: { callId: string }) => this.#record({ type, data } as RawCallEvent));
    const carrier = running.phonenet?.carrier;
    if (carrier)
      carrier.promptSource = (number) => {
        const callId = this.#numberCall.get(number.slice(-11));
        const said = callId ? this.#events.get(callId)?.findLast((e) => e.type === 'said') : undefined;
        return said?.type === 'said' ? said.data.texts.join(' ') : undefined;
      };
  }

  static async start(options: EmbeddedPlatformOptions): Promise<EmbeddedPlatform> {
    const dataDir = mkdtempSync(join(tmpdir(), 'smartcall-test-'));
    const base = options.config;
    const rtp = portWindow(20_000, 29_999, 2000);
    const phonenetRtp = portWindow(41_000, 49_999, 1000);
    const config: Config = {
      ...base,
      mode: 'embedded',
      dataDir,
      http: { ...base.http, host: '127.0.0.1', port: 0 },
      sip: { ...base.sip, udpPort: 0, tcpPort: 0, tls: { ...base.sip.tls, port: undefined } },
      rtp: { ...base.rtp, portMin: rtp.min, portMax: rtp.max },
      phonenet: {
        ...base.phonenet,
        enabled: true,
        sipPort: 0,
        rtpPortMin: phonenetRtp.min,
        rtpPortMax: phonenetRtp.max,
        runDir: undefined,
      },
      calls: { ...base.calls, dialer: true },
    };
    const log = createLogger({ level: config.log.level });
    let running: RunningSmartcall | undefined;
    let helper: Server | undefined;
    try {
      running = await startSmartcall(config, log);
      const platform: { current?: EmbeddedPlatform } = {};
      helper = await listen((req, res) => {
        if (!platform.current) return void res.writeHead(503).end();
        platform.current.#serve(req, res).catch(() => {
          if (!res.headersSent) res.writeHead(502);
          res.end();
        });
      });
      const admin = new TenancyAdmin(running.store, SecretBox.forConfig(config));
      platform.current = new EmbeddedPlatform(
        running,
        dataDir,
        helper,
        admin,
        options.callback ?? `http://127.0.0.1:${running.httpPort}${DEMO_BOT_PATH}`,
      );
      return platform.current;
    } catch (err) {
      if (helper) await closeServer(helper);
      await running?.close();
      rmSync(dataDir, { recursive: true, force: true });
      throw err;
    }
  }

  get endpoint(): string {
    return `127.0.0.1:${this.#running.httpPort}`;
  }

  #record(e: RawCallEvent): void {
    const callId = e.data.callId;
    let list = this.#events.get(callId);
    if (!list) {
      list = [];
      this.#events.set(callId, list);
    }
    list.push(e);
    if (e.type === 'ended') this.#ended.get(callId)?.();
  }

  /** An account, a key, a display number and a callee persona for every case. */
  async prepare(cases: readonly SuiteCase[]): Promise<void> {
    const personas: Persona[] = [];
    for (const c of cases) {
      const name = `case-${this.#runTag}-${c.index + 1}`;
      this.#admin.createAccount({ name });
      const key = this.#admin.createKey(name);
      const displayNumber = `0571${String(c.index + 1).padStart(8, '0')}`;
      this.#admin.addNumber(name, displayNumber);
      const target = c.callback?.url ?? this.#defaultCallback;
      const delayMs = c.callback?.delayMs;
      if (delayMs) this.#delays.set(c.index, { url: target, delayMs });
      this.#admin.setCallback(name, {
        url: delayMs ? `${this.#helperUrl}/slow/${c.index}` : target,
        ...(c.callback?.timeoutMs !== undefined && { timeoutMs: c.callback.timeoutMs }),
      });
      this.#admin.setReceipts(name, {
        url: `${this.#helperUrl}/receipts`,
        types: ['VoiceCallReport', 'VoiceReport', 'VoiceRecordReport'],
      });
      this.#accounts.set(c.index, {
        client: new SmartcallClient({ endpoint: this.endpoint, ...key }),
        displayNumber,
      });
      // The runner reads what it needs from the platform; recordings would only cost time.
      const persona = casePersona(c, this.#runTag);
      if (persona) personas.push({ ...persona, record: false });
    }
    const carrier = this.#running.phonenet?.carrier;
    if (personas.length > 0) {
      if (!carrier) throw new Error('the embedded phone network did not start');
      carrier.addPersonas(personas);
    }
  }

  async place(c: SuiteCase): Promise<PlacedCall> {
    const account = this.#accounts.get(c.index);
    if (!account) throw new Error(`case ${c.name} was not prepared`);
    const number = c.callee.kind === 'number' ? c.callee.number : caseNumber(c.index);
    const startedAt = systemClock.now();
    const body = await account.client.call('SmartCall', {
      CalledShowNumber: account.displayNumber,
      CalledNumber: number,
      ...smartCallParams(c),
    });
    if (body.Code !== 'OK') throw new Error(`SmartCall refused: ${body.Code}: ${body.Message}`);
    const callId = String(body.CallId);
    this.#numberCall.set(number, callId);
    return { callId, startedAt };
  }

  async waitForEnd(callId: string, timeoutMs: number): Promise<boolean> {
    if (this.#events.get(callId)?.some((e) => e.type === 'ended')) return true;
    const ended = new Promise<void>((resolve) => this.#ended.set(callId, resolve));
    const done = await within(ended, timeoutMs);
    this.#ended.delete(callId);
    return done;
  }

  async observe(c: SuiteCase, call: PlacedCall): Promise<Observation> {
    const store = this.#running.store;
    const wanted = c.expect.receipts ?? [];
    const delivered = () =>
      store.receipts
        .listByCall(call.callId)
        .filter((r) => r.state === 'delivered')
        .map((r) => r.type);
    const deadline = systemClock.now() + RECEIPT_WAIT_MS;
    while (!wanted.every((t) => delivered().includes(t)) && systemClock.now() < deadline) await sleep(100);
    return observe({
      callId: call.callId,
      startedAt: call.startedAt,
      events: this.#events.get(call.callId) ?? [],
      exchanges: store.callbackExchanges.listByCall(call.callId),
      receipts: [...new Set(delivered())],
    });
  }

  async close(): Promise<void> {
    await closeServer(this.#helper);
    await this.#running.close();
    rmSync(this.#dataDir, { recursive: true, force: true });
  }

  /** Receipts are acknowledged; `/slow/<case>` holds a callback back, then passes it on. */
  async #serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const body = await readBody(req);
    const url = new URL(req.url ?? '/', this.#helperUrl);
    if (url.pathname === '/receipts') {
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"code":0,"msg":"成功"}');
      return;
    }
    const slow = /^\/slow\/(\d+)$/.exec(url.pathname);
    const delay = slow ? this.#delays.get(Number(slow[1])) : undefined;
    if (!delay) return void res.writeHead(404).end();
    await sleep(delay.delayMs);
    const target = new URL(delay.url);
    for (const [k, v] of url.searchParams) target.searchParams.append(k, v);
    const headers: Record<string, string> = {};
    for (const h of ['content-type', 'x-smartcall-signature']) {
      const v = req.headers[h];
      if (typeof v === 'string') headers[h] = v;
    }
    const reply = await fetch(target, {
      method: req.method ?? 'POST',
      headers,
      ...(body.length > 0 && { body }),
    });
    res
      .writeHead(reply.status, { 'content-type': reply.headers.get('content-type') ?? 'application/json' })
      .end(Buffer.from(await reply.arrayBuffer()));
  }
}

/**
 * A window of `size` ports at a random even start within [min, max]. Port pools hand out ports in
 * order from their start, so two servers started together on the same range (a `serve` on this
 * machine, another suite run) would collide port after port; random windows keep them apart.
 */
function portWindow(min: number, max: number, size: number): { min: number; max: number } {
  const start = min + 2 * Math.floor((Math.random() * (max - min + 1 - size)) / 2);
  return { min: start, max: start + size - 1 };
}

function listen(handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = createServer(handler);
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve(server));
  });
}

function closeServer(server: Server): Promise<void> {
  server.closeAllConnections();
  return new Promise((resolve) => server.close(() => resolve()));
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}
