/**
 * Where INVITEs the door let in go (spec §4.7): a call to a number an account marked inbound
 * (`admin number add --inbound`) becomes an inbound smart call (`InboundSession`); a number no
 * account owns, or one not marked inbound, gets 404 (the same answer, so a caller learns nothing
 * about which numbers exist; the log says which); a disabled account's number gets 403; an INVITE
 * without usable audio (PCMU, PCMA or G.722) gets 488. The number is looked up as it arrived and in its national
 * form (`+86…`, `86…` → `1…` / `0…`), so any trunk number format reaches it.
 *
 * Owns the sessions it starts; `stop()` waits for them (the telephony's close hangs them up).
 */

import { sourceFilter } from '../net/sourceFilter.js';
import type { Logger } from '../observability/logger.js';
import { maskNumber } from '../observability/logger.js';
import type { IncomingInvite } from '../sip/index.js';
import type { AccountRecord, DisplayNumberRecord, TrunkRecord } from '../store/records.js';
import type { Store } from '../store/repositories.js';
import { InboundCall } from '../telephony/inboundCall.js';
import type { Telephony } from '../telephony/telephony.js';
import { inboundNumbers, nationalNumber } from './inboundNumbers.js';
import { InboundSession, type InboundSessionDeps } from './inboundSession.js';

/**
 * What the door's lookups read: the store itself in one process (SQLite answers at once), or on a
 * media node the shared store's numbers and accounts (awaited) and the trunks it keeps in memory.
 */
export interface InboundLookups {
  numbers: {
    find(number: string): DisplayNumberRecord | undefined | Promise<DisplayNumberRecord | undefined>;
  };
  accounts: { findById(id: number): AccountRecord | undefined | Promise<AccountRecord | undefined> };
  trunks: Pick<Store['trunks'], 'find' | 'list'>;
}

export interface InboundCallsOptions {
  telephony: Telephony;
  store: InboundLookups;
  session: InboundSessionDeps;
  log: Logger;
}

export class InboundCalls {
  readonly #o: InboundCallsOptions;
  readonly #running = new Set<Promise<void>>();
  readonly #onIncoming = (sip: IncomingInvite) => this.#take(sip);
  #stopped = false;

  constructor(options: InboundCallsOptions) {
    this.#o = options;
    options.telephony.ua.on('incoming', this.#onIncoming);
  }

  /** INVITEs being looked up and inbound calls in progress. */
  get taking(): number {
    return this.#running.size;
  }

  /** Takes no more calls; resolves once the calls in progress have their final records. */
  async stop(): Promise<void> {
    this.#stopped = true;
    this.#o.telephony.ua.off('incoming', this.#onIncoming);
    await Promise.all(this.#running);
  }

  #take(sip: IncomingInvite): void {
    if (this.#stopped) {
      sip.reject(503, 'Service Unavailable');
      return;
    }
    const taking = this.#lookUp(sip);
    this.#running.add(taking);
    void taking.finally(() => this.#running.delete(taking));
  }

  async #lookUp(sip: IncomingInvite): Promise<void> {
    const o = this.#o;
    let numbers: ReturnType<typeof inboundNumbers>;
    let owned: DisplayNumberRecord | undefined;
    let account: AccountRecord | undefined;
    let trunk: TrunkRecord | undefined;
    try {
      numbers = inboundNumbers(sip.invite, { viaContact: sip.registration !== undefined });
      owned =
        (await o.store.numbers.find(numbers.callee)) ??
        (await o.store.numbers.find(nationalNumber(numbers.callee)));
      if (owned?.inbound) account = await o.store.accounts.findById(owned.accountId);
      trunk = this.#trunkOf(sip);
    } catch (err) {
      o.log.error({ err, sipCallId: sip.callId }, 'an inbound INVITE could not be looked up: 500');
      sip.reject(500, 'Server Internal Error');
      return;
    }
    if (this.#stopped) {
      sip.reject(503, 'Service Unavailable');
      return;
    }
    const fields = { sipCallId: sip.callId, callee: maskNumber(numbers.callee), trunk: trunk?.name };
    if (sip.state !== 'ringing') {
      // The caller gave up while the number was looked up (a shared store answers in round trips).
      o.log.info(fields, 'the caller hung up before the inbound INVITE was looked up');
      return;
    }
    if (!owned?.inbound) {
      o.log.info(
        fields,
        owned
          ? 'inbound INVITE for a number not marked inbound (admin number add --inbound): 404'
          : 'inbound INVITE for a number no account owns: 404',
      );
      sip.reject(404, 'Not Found');
      return;
    }
    if (account?.status !== 'active') {
      o.log.info({ ...fields, account: account?.name }, 'inbound INVITE for a disabled account: 403');
      sip.reject(403, 'Forbidden');
      return;
    }
    if (!sip.offerMedia) {
      o.log.info(fields, 'inbound INVITE without usable audio (PCMU, PCMA or G.722): 488');
      sip.reject(488, 'Not Acceptable Here');
      return;
    }
    if (sip.offerMedia.secure && !sip.offerMedia.crypto?.length) {
      // RTP/SAVP with no crypto suite we support (RFC 4568): nothing we could answer with.
      o.log.info(fields, 'inbound INVITE demands SRTP with no suite we support: 488');
      sip.reject(488, 'Not Acceptable Here');
      return;
    }
    if (trunk?.srtp === 'required' && !sip.offerMedia.crypto?.length) {
      // The trunk's calls must be encrypted both ways: a plain offer from it is refused, not answered in the clear.
      o.log.warn(
        { ...fields },
        'inbound INVITE without SRTP from a trunk that requires it (--srtp required): 488',
      );
      sip.reject(488, 'Not Acceptable Here');
      return;
    }
    const call = new InboundCall(o.telephony, sip);
    await InboundSession.run(o.session, { call, account, number: owned.number, numbers, trunk });
  }

  /** The trunk the INVITE came from: its registration, else the first whose ranges hold the source. */
  #trunkOf(sip: IncomingInvite): TrunkRecord | undefined {
    const trunks = this.#o.store.trunks;
    if (sip.registration !== undefined) return trunks.find(sip.registration);
    const source = sip.inbound.source.address;
    return trunks.list().find((t) => {
      try {
        return (t.inboundFrom?.length ?? 0) > 0 && sourceFilter(t.inboundFrom!)(source);
      } catch {
        return false;
      }
    });
  }
}
