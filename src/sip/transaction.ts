import type { SipRequest, SipResponse } from './sipMessage.js';
import type { SipTimerConfig, Timers } from './timers.js';
import type { Endpoint, TransportError } from './transport.js';

/** Transaction states of RFC 3261 §17 (+ Accepted of RFC 6026). */
export type TransactionState =
  | 'calling'
  | 'trying'
  | 'proceeding'
  | 'completed'
  | 'confirmed'
  | 'accepted'
  | 'terminated';

/** What a client transaction reports to its user (the call, the pinger, ...). */
export interface ClientTransactionHandler {
  /** Provisional and final responses; in Accepted state also retransmitted 2xx (RFC 6026 §7.2). */
  onResponse(response: SipResponse): void;
  /** Timer B or F fired without a final response (§17.1.1.2, §17.1.2.2). */
  onTimeout(): void;
  /** The request could not be sent (§17.1.4). */
  onTransportError(error: TransportError): void;
}

/** What transactions need from the layer that owns them. */
export interface TransactionContext {
  readonly timers: Timers;
  readonly config: SipTimerConfig;
  sendBytes(
    data: Buffer,
    target: Endpoint,
    connectionId?: number,
    onError?: (e: TransportError) => void,
  ): number | undefined;
  serialize(message: SipRequest | SipResponse): Buffer;
  /** Called once when a transaction reaches Terminated. */
  removed(key: string, client: boolean): void;
}

export function isReliable(target: Endpoint): boolean {
  return target.protocol !== 'udp';
}
