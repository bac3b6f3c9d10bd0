import type { Logger } from '../observability/logger.js';
import type { UasCapabilities } from './requestValidator.js';
import type { SipRequest, SipResponse } from './sipMessage.js';
import type { Uri } from './sipUri.js';
import type { SipTimerConfig, Timers } from './timers.js';
import type { ServerTransaction, TransactionLayer } from './transactionLayer.js';
import type { Endpoint, TransportProtocol } from './transport.js';
import type { TransportLayer } from './transportLayer.js';

/** RFC 4028 settings of the user agent. */
export interface SessionTimerSettings {
  /** Session-Expires we ask for on outgoing INVITEs (seconds); 0 leaves it out. */
  expires: number;
  /** Smallest interval we accept (Min-SE, ≥ 90 s per RFC 4028 §5 outside of tests). */
  minSE: number;
}

/** A call's side of dialog routing: what the UA core hands it. */
export interface DialogUser {
  onInDialogRequest(request: SipRequest, tx: ServerTransaction): void;
  onAck(request: SipRequest): void;
  /** A 2xx to INVITE that matched no transaction (lost ACK): send the ACK again. */
  onStray2xx(response: SipResponse): void;
}

/** Anything the UA closes when it closes. */
export interface UaChild {
  terminate(reason: string): void;
}

/** What calls use from the user agent that owns them. */
export interface UaContext {
  readonly transactions: TransactionLayer;
  readonly transport: TransportLayer;
  readonly timers: Timers;
  readonly config: SipTimerConfig;
  readonly log: Logger;
  readonly sessionTimer: SessionTimerSettings;
  readonly capabilities: UasCapabilities;
  readonly userAgentHeader: string;
  readonly contactUser: string;
  /**
   * Our Contact for a transport, e.g. `<sip:smartcall@127.0.0.1:5060;transport=tcp>`, as the peer
   * at IP `toward` reaches us (it matters when bound to a wildcard address); `sips` for a sips: dialog.
   */
  contact(protocol: TransportProtocol, toward?: string, sips?: boolean): string;
  /** Our address for a transport as seen from `toward` (From host of outgoing calls). */
  localEndpoint(protocol: TransportProtocol, toward?: string): Endpoint | undefined;
  /** Sends a request outside a transaction (ACK for 2xx) with a fresh Via; returns its bytes. */
  sendAck(ack: SipRequest, target: Endpoint): Buffer;
  /** ACK a 2xx nobody wants (forked leg, race with CANCEL, stray) and BYE its dialog (§13.2.2.4). */
  ackAndBye(response: SipResponse, fallbackTarget: Uri | undefined, protocol: TransportProtocol): void;
  registerDialog(key: string, user: DialogUser): void;
  unregisterDialog(key: string): void;
  adopt(child: UaChild): void;
  release(child: UaChild): void;
}
