/**
 * Why a call never got answered, kept for the call record: the SIP status and reason phrase as the
 * peer sent them (or as RFC 3261 names a local condition, e.g. 408 for our own timeout).
 */
export type CallFailureCode =
  /** The peer answered 3xx-6xx. */
  | 'rejected'
  /** We cancelled (487 or the 2xx that crossed our CANCEL). */
  | 'cancelled'
  /** No final answer in time (Timer B or the set-up timeout). */
  | 'timeout'
  /** Credentials missing or refused again after one authenticated retry. */
  | 'auth-failed'
  /** The request could not be sent (connection refused, no transport). */
  | 'transport-error'
  /** The target or proxy is not a usable SIP URI with an IP literal host. */
  | 'bad-target'
  /** The peer answered with SDP we cannot use (no common codec): ACKed and hung up. */
  | 'bad-answer'
  /** The user agent was closed during set-up. */
  | 'ua-closed';

export interface CallFailure {
  code: CallFailureCode;
  status: number;
  reason: string;
}

/** Who ended an established call. */
export type EndedBy = 'local' | 'remote';
