import type { Logger } from '../observability/logger.js';
import { ClientInviteTransaction } from './clientInviteTransaction.js';
import { ClientNonInviteTransaction } from './clientNonInviteTransaction.js';
import { newBranch } from './ids.js';
import { serializeMessage } from './messageSerializer.js';
import { ServerInviteTransaction } from './serverInviteTransaction.js';
import { ServerNonInviteTransaction } from './serverNonInviteTransaction.js';
import type { SipMessage, SipRequest, SipResponse } from './sipMessage.js';
import { uriHost } from './sipUri.js';
import { DEFAULT_TIMER_CONFIG, type SipTimerConfig, type Timers } from './timers.js';
import type { ClientTransactionHandler, TransactionContext } from './transaction.js';
import type { Endpoint, Inbound, TransportError } from './transport.js';
import type { TransportLayer } from './transportLayer.js';
import { MAGIC_COOKIE, Via } from './via.js';

export type ClientTransaction = ClientInviteTransaction | ClientNonInviteTransaction;
export type ServerTransaction = ServerInviteTransaction | ServerNonInviteTransaction;

/** The transaction user (the UA core) above this layer (§17). */
export interface TransactionUser {
  /** A new request other than ACK and CANCEL, with its server transaction (already sent 100 for INVITE). */
  onRequest(request: SipRequest, tx: ServerTransaction, inbound: Inbound): void;
  /** A CANCEL (§9.2) with its own transaction and the INVITE transaction it targets, if any. */
  onCancel(
    request: SipRequest,
    tx: ServerNonInviteTransaction,
    invite: ServerInviteTransaction | undefined,
  ): void;
  /** An ACK matching no transaction: the ACK of a 2xx (§13.3.1.4, §17.2.1). */
  onAck(request: SipRequest, inbound: Inbound): void;
  /** A response matching no client transaction, e.g. a 2xx retransmitted after Timer M (§13.2.2.4). */
  onStrayResponse(response: SipResponse, inbound: Inbound): void;
}

export interface TransactionLayerOptions {
  transport: TransportLayer;
  timers: Timers;
  config?: Partial<SipTimerConfig>;
  logger: Logger;
}

/**
 * Creates and matches transactions (§17.1.3, §17.2.3) between the transport layer and the UA core.
 * It owns every transaction: `clear()` terminates them all (their timers included).
 */
export class TransactionLayer {
  readonly config: SipTimerConfig;
  readonly #transport: TransportLayer;
  readonly #client = new Map<string, ClientTransaction>();
  readonly #server = new Map<string, ServerTransaction>();
  readonly #ctx: TransactionContext;
  readonly #log: Logger;
  #user: TransactionUser | undefined;

  constructor(options: TransactionLayerOptions) {
    this.config = { ...DEFAULT_TIMER_CONFIG, ...options.config };
    this.#transport = options.transport;
    this.#log = options.logger;
    const transport = options.transport;
    this.#ctx = {
      timers: options.timers,
      config: this.config,
      sendBytes: (data, target, connectionId, onError) =>
        transport.sendBytes(data, target, connectionId, onError),
      serialize: serializeMessage,
      removed: (key, client) => {
        if (client) this.#client.delete(key);
        else this.#server.delete(key);
      },
    };
    transport.setHandler((message, inbound) => this.#receive(message, inbound));
  }

  setUser(user: TransactionUser): void {
    this.#user = user;
  }

  get clientCount(): number {
    return this.#client.size;
  }

  get serverCount(): number {
    return this.#server.size;
  }

  /**
   * Sends a request in a new client transaction. A request without Via gets ours with a fresh
   * branch; a CANCEL keeps the INVITE's Via (§9.1). Transport problems reach the handler, never
   * the caller.
   */
  sendRequest(request: SipRequest, target: Endpoint, handler: ClientTransactionHandler): ClientTransaction {
    if (!request.headers.has('via')) {
      const local = this.#transport.localEndpoint(target.protocol, target.address);
      const via = new Via({
        transport: target.protocol,
        host: local ? uriHost(local.address) : '127.0.0.1',
        port: local?.port,
      });
      via.params.set('branch', newBranch()).set('rport');
      request.headers.set('Via', via.toString());
    }
    const branch = request.topVia.branch ?? newBranch();
    const key = clientKey(branch, request.method);
    const tx =
      request.method === 'INVITE'
        ? new ClientInviteTransaction(this.#ctx, key, request, target, handler)
        : new ClientNonInviteTransaction(this.#ctx, key, request, target, handler);
    this.#client.set(key, tx);
    if (!this.#transport.localEndpoint(target.protocol)) {
      const error: TransportError = { code: 'send-failed', message: `no ${target.protocol} transport` };
      queueMicrotask(() => {
        tx.terminate();
        handler.onTransportError(error);
      });
      return tx;
    }
    tx.start();
    return tx;
  }

  /** Sends a request outside any transaction (the ACK of a 2xx, §13.2.2.4); returns its bytes. */
  sendStateless(message: SipMessage, target: Endpoint): Buffer {
    return this.#transport.send(message, target);
  }

  resend(data: Buffer, target: Endpoint, connectionId?: number): void {
    this.#transport.sendBytes(data, target, connectionId);
  }

  #receive(message: SipMessage, inbound: Inbound): void {
    const user = this.#user;
    if (!user) return;
    if (message.kind === 'response') {
      const branch = message.topVia.branch;
      const tx = branch === undefined ? undefined : this.#client.get(clientKey(branch, message.cseq.method));
      if (tx) tx.receive(message);
      else user.onStrayResponse(message, inbound);
      return;
    }
    const key = serverKey(message, message.method === 'ACK' ? 'INVITE' : message.method);
    const existing = this.#server.get(key);
    if (existing) {
      existing.receive(message);
      return;
    }
    if (message.method === 'ACK') {
      user.onAck(message, inbound);
      return;
    }
    const responseTarget = this.#transport.responseTarget(message, inbound);
    if (message.method === 'INVITE') {
      const tx = new ServerInviteTransaction(this.#ctx, key, message, responseTarget);
      this.#server.set(key, tx);
      tx.start();
      user.onRequest(message, tx, inbound);
      return;
    }
    const tx = new ServerNonInviteTransaction(this.#ctx, key, message, responseTarget);
    this.#server.set(key, tx);
    if (message.method === 'CANCEL') {
      const invite = this.#server.get(serverKey(message, 'INVITE'));
      user.onCancel(message, tx, invite instanceof ServerInviteTransaction ? invite : undefined);
      return;
    }
    user.onRequest(message, tx, inbound);
  }

  /** Terminates every transaction (UA shutdown). */
  clear(): void {
    for (const tx of [...this.#client.values(), ...this.#server.values()]) tx.terminate();
    this.#log.debug('sip transactions cleared');
  }
}

function clientKey(branch: string, method: string): string {
  return branch + '|' + (method === 'ACK' ? 'INVITE' : method);
}

/**
 * §17.2.3: branch + sent-by + method for RFC 3261 branches; for older peers (no magic cookie) the
 * Request-URI, tags, Call-ID, CSeq number and top Via identify the transaction.
 */
function serverKey(request: SipRequest, method: string): string {
  const via = request.topVia;
  const branch = via.branch;
  if (branch?.startsWith(MAGIC_COOKIE) && branch.length > MAGIC_COOKIE.length) {
    return branch + '|' + via.sentBy + '|' + method;
  }
  return [
    '2543',
    request.uri.toString(),
    request.from.tag ?? '',
    request.callId,
    request.cseq.seq,
    via.sentBy,
    branch ?? '',
    method,
  ].join('|');
}
