/**
 * The numbers of an inbound INVITE (spec §4.7 `callin`): whom it is for (the Request-URI user, or
 * the To user when the Request-URI is our registered Contact or names no number), who calls (From,
 * or P-Asserted-Identity when the trunk asserts one, RFC 3325), and the number first dialled when
 * the call was forwarded (Diversion, RFC 5806: its last entry; else History-Info, RFC 7044: its
 * first entry), all written the national way (the inverse of `formatNumber`).
 */
import { isSipUri, parseUri, type SipRequest } from '../sip/index.js';

export interface InboundNumbers {
  /** The number called, as it arrived (Request-URI or To). */
  callee: string;
  caller: string;
  /** The number first dialled (the callee when the call was not forwarded). */
  orgcallee: string;
}

const NUMBER = /^\+?\d{3,20}$/;
const MAINLAND_MOBILE = /^1[3-9]\d{9}$/;

/** `+8613800000001`, `8657188880000`, `008657…` → `13800000001`, `057188880000`; others unchanged. */
export function nationalNumber(number: string): string {
  // National numbers start with 1 (mobile) or 0 (landline), never 86: that prefix is the country code.
  const m = /^(?:\+86|0086|86)(\d{9,11})$/.exec(number);
  if (!m) return number;
  const rest = m[1]!;
  if (MAINLAND_MOBILE.test(rest)) return rest;
  return /^[2-9]\d{8,10}$/.test(rest) ? `0${rest}` : number;
}

/** The user part of a URI (a `tel:` URI's number), %-decoded; undefined when it has none. */
function userOf(text: string | undefined): string | undefined {
  if (!text) return undefined;
  const bracketed = /<([^>]*)>/.exec(text)?.[1] ?? text.split(';')[0]!.trim();
  const uri = parseUri(bracketed);
  if (!uri) return undefined;
  const user = isSipUri(uri) ? uri.user : uri.opaque.split(';')[0];
  if (!user) return undefined;
  try {
    return decodeURIComponent(user);
  } catch {
    return user;
  }
}

/** The entries of a header that may list several (Diversion, History-Info, PAI), in order. */
function entries(values: readonly string[]): string[] {
  return values.flatMap((v) => {
    const bracketed = [...v.matchAll(/<([^>]*)>/g)].map((m) => `<${m[1]}>`);
    return bracketed.length > 0 ? bracketed : v.split(',');
  });
}

/** The numbers of an INVITE; `viaContact`: its Request-URI is our registered Contact (no number in it). */
export function inboundNumbers(invite: SipRequest, options: { viaContact?: boolean } = {}): InboundNumbers {
  const ruriUser = isSipUri(invite.uri) ? invite.uri.user : userOf(invite.uri.toString());
  const toUser = userOf(invite.to.uri.toString());
  const callee =
    !options.viaContact && ruriUser && NUMBER.test(ruriUser) ? ruriUser : (toUser ?? ruriUser ?? '');
  const pai = entries(invite.headers.getAll('p-asserted-identity'));
  const caller = pai.map(userOf).find((u) => u && NUMBER.test(u)) ?? userOf(invite.from.uri.toString()) ?? '';
  const diversion = entries(invite.headers.getAll('diversion'));
  const history = entries(invite.headers.getAll('history-info'));
  // Diversion lists the newest redirection first (RFC 5806 §4), so the original is the last entry.
  const original = userOf(diversion.at(-1)) ?? (history.length > 1 ? userOf(history[0]) : undefined);
  return {
    callee,
    caller: nationalNumber(caller),
    orgcallee: nationalNumber(original ?? callee),
  };
}
