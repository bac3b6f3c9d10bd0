/**
 * Dialing through a trunk: the one way a call (or its second legs) reaches the carrier. A
 * `CallSession` receives it as a dependency, so the session is tested with a fake.
 */

import { isIP } from 'node:net';
import type { Logger } from '../observability/logger.js';
import {
  type Endpoint,
  type LocatedHop,
  locateSipServers,
  parseUri,
  type SipDns,
  type SipUri,
  type TlsClientProfile,
  uriHost,
} from '../sip/index.js';
import type { TrunkRecord } from '../store/records.js';
import { OutboundCall } from '../telephony/outboundCall.js';
import type { Telephony } from '../telephony/telephony.js';
import { formatNumber } from './numberFormat.js';
import { trunkUri } from './trunkAdmin.js';
import { trunkTlsProfile } from './trunkTls.js';

export interface DialRequest {
  /** The number to call (a callee, a transfer target, a call centre). */
  number: string;
  trunk: TrunkRecord;
  /** Shown to the callee (the call's CalledShowNumber). */
  callerNumber: string;
  /** The call's logger (it names the CallId): the leg's trunk and media lines go there. */
  log?: Logger;
}

/** Places one leg; resolves once the INVITE is out (its progress follows as events). */
export type Dial = (request: DialRequest) => Promise<OutboundCall>;

export interface TrunkDialOptions {
  telephony: Telephony;
  trunkPassword(trunk: TrunkRecord): string | undefined;
  /** CANCEL after this long without an answer (spec issue: default 60 s). */
  ringTimeoutMs: number;
  /** Locates a trunk named by host name (RFC 3263: NAPTR, SRV, A/AAAA, with their TTLs). */
  dns: SipDns;
  log: Logger;
}

/** `udp:192.0.2.1:5060`, for logs. */
const hopName = (h: Endpoint): string =>
  `${h.protocol}:${h.address.includes(':') ? `[${h.address}]` : h.address}:${h.port}`;

/**
 * Dials `number` through `trunk`, shown as `callerNumber`, in the trunk's number formats, with its
 * credentials and (if it wants it) P-Asserted-Identity. A trunk named by host name is located in
 * DNS first; its targets are tried in order within the call (timeout, transport error, 503).
 * Rejects when the trunk cannot be located (the call fails as a transport error).
 */
export function trunkDial(o: TrunkDialOptions): Dial {
  return async ({ number, trunk: t, callerNumber, log: callLog }) => {
    const log = callLog?.child({ component: 'trunk' }) ?? o.log;
    const base = parseUri(trunkUri(t)) as SipUri;
    const located = await locateSipServers(base, o.dns);
    if (!located.ok) throw new Error(`trunk ${t.name}: ${located.message}`);
    // RFC 5922 §4: a TLS hop must prove the trunk's own name (or address), wherever DNS led.
    const hops = located.hops.some((h) => h.protocol === 'tls')
      ? withTls(located.hops, trunkTlsProfile(t, base.address))
      : located.hops;
    const target = base.clone();
    target.user = formatNumber(number, t.calleeFormat);
    // An IP literal target keeps its Request-URI as before (sip:number@host:port); a name keeps what was given.
    if (isIP(base.address)) target.params.delete('transport');
    const password = o.trunkPassword(t);
    const caller = formatNumber(callerNumber, t.callerFormat);
    // Our host in From / P-Asserted-Identity: the address the first hop reaches us at (advertised
    // behind NAT, the route's source for a wildcard bind), never the bind address itself.
    const first = hops[0];
    if (first) await o.telephony.ua.learnRoutes([first.address]);
    const local = first && o.telephony.ua.localEndpoint(first.protocol, first.address);
    const identity = `sip:${caller}@${uriHost(local?.address ?? o.telephony.address)}`;
    const call = await OutboundCall.place(o.telephony, {
      target: target.toString(),
      hops,
      from: identity,
      ...(t.username && password !== undefined && { credentials: { username: t.username, password } }),
      ...(t.sendPai && { headers: { 'P-Asserted-Identity': `<${identity}>` } }),
      setupTimeoutMs: o.ringTimeoutMs,
      codecs: t.codecs,
      ...(t.srtp && t.srtp !== 'off' && { srtp: t.srtp }),
      ...(callLog && { media: { logger: callLog.child({ component: 'media' }) } }),
    });
    logTargets(log, t, call, hops);
    return call;
  };
}

function withTls(hops: readonly LocatedHop[], tls: TlsClientProfile): LocatedHop[] {
  return hops.map((h) => (h.protocol === 'tls' ? { ...h, tls } : h));
}

/** One line per failover, and one naming the target that served the call (answered or gave the final answer). */
function logTargets(log: Logger, t: TrunkRecord, call: OutboundCall, hops: readonly LocatedHop[]): void {
  const sip = call.sip;
  const fields = (h: Endpoint | undefined) => ({
    trunk: t.name,
    sipCallId: sip.callId,
    target: h && hopName(h),
    host: hops.find((x) => x === h)?.host,
  });
  sip.on('next-hop', (failed, reason, next) =>
    log.warn({ ...fields(failed), reason, next: hopName(next) }, 'trunk target failed; trying the next'),
  );
  sip.once('answered', () =>
    log.info({ ...fields(sip.nextHop), outcome: 'answered' }, 'trunk target served the call'),
  );
  sip.once('failed', (cause) =>
    log.info(
      { ...fields(sip.nextHop), outcome: cause.code, status: cause.status },
      'trunk target served the call',
    ),
  );
}
