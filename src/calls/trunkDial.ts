/**
 * Dialing through a trunk: the one way a call (or its second legs) reaches the carrier. A
 * `CallSession` receives it as a dependency, so the session is tested with a fake.
 */
import { uriHost } from '../sip/index.js';
import type { TrunkRecord } from '../store/records.js';
import { OutboundCall } from '../telephony/outboundCall.js';
import type { Telephony } from '../telephony/telephony.js';
import { formatNumber } from './numberFormat.js';

export interface DialRequest {
  /** The number to call (a callee, a transfer target, a call centre). */
  number: string;
  trunk: TrunkRecord;
  /** Shown to the callee (the call's CalledShowNumber). */
  callerNumber: string;
}

/** Places one leg; resolves once the INVITE is out (its progress follows as events). */
export type Dial = (request: DialRequest) => Promise<OutboundCall>;

export interface TrunkDialOptions {
  telephony: Telephony;
  trunkPassword(trunk: TrunkRecord): string | undefined;
  /** CANCEL after this long without an answer (spec issue: default 60 s). */
  ringTimeoutMs: number;
}

/**
 * Dials `number` through `trunk`, shown as `callerNumber`, in the trunk's number formats, with its
 * credentials and (if it wants it) P-Asserted-Identity.
 */
export function trunkDial(o: TrunkDialOptions): Dial {
  return ({ number, trunk: t, callerNumber }) => {
    const host = uriHost(t.host);
    const password = o.trunkPassword(t);
    const caller = formatNumber(callerNumber, t.callerFormat);
    const identity = `sip:${caller}@${o.telephony.address}`;
    return OutboundCall.place(o.telephony, {
      target: `sip:${formatNumber(number, t.calleeFormat)}@${host}:${t.port}`,
      from: identity,
      transport: t.transport === 'tcp' ? 'tcp' : 'udp',
      ...(t.username && password !== undefined && { credentials: { username: t.username, password } }),
      ...(t.sendPai && { headers: { 'P-Asserted-Identity': `<${identity}>` } }),
      setupTimeoutMs: o.ringTimeoutMs,
      codecs: t.codecs,
    });
  };
}
