/**
 * Operations on a live call from any API node (issue 15): the API node looks up the call's owner
 * (CallOwners), finds the owner's internal URL on its card (NodeRegistry), and forwards the
 * operation there; the media node runs it on its live session and answers the result.
 *
 * The internal endpoint is never open: each request carries `x-smartcall-at` (epoch ms) and
 * `x-smartcall-signature`, the HMAC-SHA256 of `<at>\n<body>` under a key derived from the cluster's
 * master key (HKDF, its own purpose, so it opens no sealed secret). A request older or newer than
 * 30 s, or whose signature does not match, gets 401 and runs nothing.
 */
import { createHmac, hkdfSync, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Clock } from '../clock/clock.js';
import type { Logger } from '../observability/logger.js';
import type { CallOwners } from './callOwners.js';
import type { NodeRegistry } from './nodeRegistry.js';

/** What an API node forwards. */
export interface CallOperation {
  callId: string;
  command: 'parallelBridge';
  param?: string | undefined;
}

export const OPERATE_PATH = '/internal/v1/operate';
const MAX_BODY = 16 * 1024;
const WINDOW_MS = 30_000;

/** The key internal requests are signed with, derived from the master key every node shares. */
export function clusterSecret(masterKey: string): Buffer {
  return Buffer.from(hkdfSync('sha256', masterKey, Buffer.alloc(0), 'smartcall cluster internal v1', 32));
}

export function signInternal(secret: Buffer, at: number, body: string): string {
  return createHmac('sha256', secret).update(`${at}\n${body}`).digest('hex');
}

function signatureOk(
  secret: Buffer,
  at: string | undefined,
  sig: string | undefined,
  body: string,
  now: number,
) {
  if (!at || !sig || !/^\d{1,16}$/.test(at) || !/^[0-9a-f]{64}$/.test(sig)) return false;
  if (Math.abs(now - Number(at)) > WINDOW_MS) return false;
  const want = Buffer.from(signInternal(secret, Number(at), body), 'hex');
  return timingSafeEqual(want, Buffer.from(sig, 'hex'));
}

function readBody(req: IncomingMessage): Promise<string | undefined> {
  return new Promise((resolve) => {
    let size = 0;
    const chunks: Buffer[] = [];
    req.on('data', (d: Buffer) => {
      size += d.length;
      if (size > MAX_BODY) {
        resolve(undefined);
        req.destroy();
      } else chunks.push(d);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', () => resolve(undefined));
  });
}

export interface InternalEndpointOptions {
  host: string;
  port: number;
  secret: Buffer;
  clock: Clock;
  log: Logger;
  /** Runs the operation on this node's live call: the same code as role `all`. */
  operate: (op: CallOperation) => boolean;
}

/** The media node's internal endpoint (POST {@link OPERATE_PATH}). */
export class InternalEndpoint {
  readonly #server: Server;
  readonly #o: InternalEndpointOptions;

  private constructor(o: InternalEndpointOptions) {
    this.#o = o;
    this.#server = createServer((req, res) => {
      void this.#handle(req).then(([status, body]) => {
        res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
      });
    });
  }

  static async listen(o: InternalEndpointOptions): Promise<InternalEndpoint> {
    const e = new InternalEndpoint(o);
    await new Promise<void>((resolve, reject) => {
      e.#server.once('error', reject);
      e.#server.listen(o.port, o.host, () => {
        e.#server.off('error', reject);
        resolve();
      });
    });
    return e;
  }

  /** `http://host:port`, as the node card carries it. */
  get url(): string {
    const a = this.#server.address() as AddressInfo;
    const host = a.family === 'IPv6' ? `[${a.address}]` : a.address;
    return `http://${host}:${a.port}`;
  }

  async #handle(req: IncomingMessage): Promise<[number, unknown]> {
    if (req.method !== 'POST' || req.url !== OPERATE_PATH) return [404, { error: 'not found' }];
    const body = await readBody(req);
    if (body === undefined) return [413, { error: 'body too large' }];
    const at = req.headers['x-smartcall-at'];
    const sig = req.headers['x-smartcall-signature'];
    if (
      !signatureOk(
        this.#o.secret,
        typeof at === 'string' ? at : undefined,
        typeof sig === 'string' ? sig : undefined,
        body,
        Math.round(this.#o.clock.now()),
      )
    ) {
      this.#o.log.warn(
        { from: req.socket.remoteAddress },
        'internal request refused: bad or missing signature (is SMARTCALL_MASTER_KEY the same on every node?)',
      );
      return [401, { error: 'bad signature' }];
    }
    let op: CallOperation;
    try {
      op = JSON.parse(body) as CallOperation;
      if (typeof op.callId !== 'string' || op.command !== 'parallelBridge') throw new Error('bad operation');
    } catch (err) {
      return [400, { error: (err as Error).message }];
    }
    try {
      return [200, { status: this.#o.operate(op) }];
    } catch (err) {
      this.#o.log.error({ err, callId: op.callId }, 'internal operation failed');
      return [500, { error: 'operation failed' }];
    }
  }

  close(): Promise<void> {
    this.#server.closeAllConnections();
    return new Promise((r) => this.#server.close(() => r()));
  }
}

export interface OperationForwarderOptions {
  owners: CallOwners;
  registry: NodeRegistry;
  secret: Buffer;
  clock: Clock;
  log: Logger;
  /** Default 3000 ms. */
  timeoutMs?: number;
}

/**
 * An API node's way to a call's owner. The answer is false — as for a call that is not live on
 * role `all` — when no node owns the call, the owner has no internal URL, or it does not answer;
 * the last two are logged with their cause.
 */
export class OperationForwarder {
  readonly #o: OperationForwarderOptions;

  constructor(o: OperationForwarderOptions) {
    this.#o = o;
  }

  async operate(op: CallOperation): Promise<boolean> {
    const { log } = this.#o;
    let url: string | undefined;
    let owner: string | undefined;
    try {
      owner = await this.#o.owners.owner(op.callId);
      if (owner === undefined) return false;
      url = (await this.#o.registry.get(owner))?.internalUrl;
    } catch (err) {
      log.warn({ callId: op.callId, cause: (err as Error).message }, 'call owner lookup failed (redis)');
      return false;
    }
    if (!url) {
      log.warn({ callId: op.callId, owner }, 'the call’s owner has no internal URL (node card gone or old)');
      return false;
    }
    const body = JSON.stringify(op);
    const at = Math.round(this.#o.clock.now());
    try {
      const res = await fetch(url + OPERATE_PATH, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'x-smartcall-at': String(at),
          'x-smartcall-signature': signInternal(this.#o.secret, at, body),
        },
        body,
        signal: AbortSignal.timeout(this.#o.timeoutMs ?? 3000),
      });
      const answer = (await res.json()) as { status?: unknown; error?: unknown };
      if (res.status !== 200) {
        log.warn(
          { callId: op.callId, owner, status: res.status, cause: answer.error },
          'the call’s owner refused',
        );
        return false;
      }
      return answer.status === true;
    } catch (err) {
      log.warn(
        { callId: op.callId, owner, url, cause: (err as Error).message },
        'the call’s owner did not answer',
      );
      return false;
    }
  }
}
