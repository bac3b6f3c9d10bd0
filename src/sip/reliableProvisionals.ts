import { Dialog } from './dialog.js';
import type { SipResponse } from './sipMessage.js';
import type { Uri } from './sipUri.js';
import type { TransportProtocol } from './transport.js';
import type { UaContext } from './uaContext.js';

/** What to do with a provisional response to our INVITE (RFC 3262 §4). */
export type ProvisionalVerdict =
  /** Not sent reliably: process it as RFC 3261 says. */
  | 'unreliable'
  /** The next reliable 1xx of its early dialog: PRACKed; process it. */
  | 'acknowledged'
  /** Its RSeq is not one above the last one of its early dialog (a retransmission or out of order): drop it. */
  | 'discard';

interface EarlyDialog {
  dialog: Dialog;
  /** The RSeq of the last in-order reliable 1xx (§4: initialised from the first one). */
  rseq: number;
}

/**
 * The UAC half of RFC 3262 (100rel) for one INVITE: keeps an early dialog per To tag (forks each
 * get their own), the RSeq sequence of each, and sends PRACK with RAck inside that early dialog.
 * PRACK carries no SDP: the offer was in our INVITE, the 1xx's SDP is the answer (§5).
 *
 * Retransmissions of a reliable 1xx are dropped without a second PRACK (§4: "retransmissions of
 * that response MUST be discarded"); the PRACK's own client transaction retransmits it on UDP
 * until its 2xx arrives (Timer E), so a lost PRACK is recovered without us.
 */
export class ReliableProvisionals {
  readonly #ua: UaContext;
  readonly #early = new Map<string, EarlyDialog>();
  #pracks = 0;

  constructor(ua: UaContext) {
    this.#ua = ua;
  }

  /** PRACKs sent so far (one per reliable provisional response accepted). */
  get pracksSent(): number {
    return this.#pracks;
  }

  /**
   * Decides about one provisional response and PRACKs it when it is the next reliable one of its
   * early dialog. The INVITE's URI, our Contact and the transport build the early dialog (§12.1.2).
   */
  receive(
    response: SipResponse,
    inviteUri: Uri,
    contact: string,
    protocol: TransportProtocol,
  ): ProvisionalVerdict {
    const rseq = reliableSeq(response);
    if (rseq === undefined) return 'unreliable';
    const tag = response.to.tag!;
    const known = this.#early.get(tag);
    if (known) {
      // §4: only RSeq = last + 1 is new; a retransmission or an out-of-order 1xx is not processed.
      if (rseq !== known.rseq + 1) return 'discard';
      known.rseq = rseq;
      this.#prack(known.dialog, rseq, response);
      return 'acknowledged';
    }
    const dialog = Dialog.asUac(response, inviteUri, contact, protocol);
    this.#early.set(tag, { dialog, rseq });
    this.#prack(dialog, rseq, response);
    return 'acknowledged';
  }

  /**
   * The CSeq the confirmed dialog with this To tag must continue from: its PRACKs used INVITE+1…,
   * so the BYE must not reuse one of them (RFC 3261 §12.2.1.1: CSeq grows within a dialog).
   */
  localSeqFor(toTag: string | undefined): number | undefined {
    return toTag === undefined ? undefined : this.#early.get(toTag)?.dialog.localSeq;
  }

  #prack(dialog: Dialog, rseq: number, response: SipResponse): void {
    const hop = dialog.nextHop();
    if (!hop.ok) return;
    const prack = dialog.createRequest('PRACK', {
      headers: {
        RAck: `${rseq} ${response.cseq.seq} ${response.cseq.method}`,
        'User-Agent': this.#ua.userAgentHeader,
      },
    });
    this.#pracks++;
    // The PRACK's answer changes nothing here: a failure (481, timeout) leaves the INVITE to its
    // final response, as §4 lets a UAC do.
    this.#ua.transactions.sendRequest(prack, hop.endpoint, {
      onResponse: () => {},
      onTimeout: () => {},
      onTransportError: () => {},
    });
  }
}

/**
 * The RSeq of a provisional response sent reliably (§3, §7.1: Require: 100rel, RSeq 1..2^32-1, a
 * To tag, and never a 100), else undefined.
 */
export function reliableSeq(response: SipResponse): number | undefined {
  if (response.status <= 100 || response.status >= 200) return undefined;
  if (!(response.require() ?? []).some((t) => t.toLowerCase() === '100rel')) return undefined;
  if (!response.to.tag) return undefined;
  const value = response.headers.get('rseq')?.trim();
  if (!value || !/^\d{1,10}$/.test(value)) return undefined;
  const n = Number(value);
  return n >= 1 && n <= 0xffffffff ? n : undefined;
}
