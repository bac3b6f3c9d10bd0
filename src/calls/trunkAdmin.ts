/**
 * SIP trunk administration (`smartcall admin trunk ...`). A trunk is where outbound calls go:
 * address, transport, digest credentials (sealed at rest), number formats, CPS and concurrency
 * limits that the dialer honours.
 */

import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { resolve } from 'node:path';
import { createSecureContext } from 'node:tls';
import { systemClock } from '../clock/clock.js';
import { SourceFilterError, sourceFilter } from '../net/sourceFilter.js';
import { isValidHost, uriHost } from '../sip/index.js';
import {
  NUMBER_FORMATS,
  type NumberFormat,
  type SipTransportName,
  TRUNK_CODECS,
  TRUNK_SRTP,
  type TrunkCodec,
  type TrunkRecord,
  type TrunkRegistrationRecord,
  type TrunkRegistrationState,
  type TrunkSrtp,
} from '../store/records.js';
import type { Store } from '../store/repositories.js';
import type { SecretBox } from '../tenancy/secretBox.js';

export class TrunkError extends Error {
  override name = 'TrunkError';
}

export interface TrunkInput {
  name: string;
  /** `sip:127.0.0.1:5065`, `sip:[::1]:5065;transport=tcp` or `sip:trunk.example.com` (RFC 3263). */
  uri: string;
  transport?: string;
  username?: string;
  password?: string;
  realm?: string;
  callerFormat?: string;
  calleeFormat?: string;
  sendPai?: boolean;
  cps?: number;
  maxCalls?: number;
  optionsIntervalS?: number;
  /** CIDR ranges the trunk sends INVITEs from (`--inbound-from`); none: no INVITE is taken from it. */
  inboundFrom?: readonly string[];
  /** REGISTER at the trunk while the server runs (needs username and password). */
  register?: boolean;
  /** Binding lifetime to ask for, seconds (default 3600). */
  registerExpiresS?: number;
  /** Codec order for the offer, e.g. `G722,PCMA,PCMU` (default PCMU,PCMA). */
  codecs?: string;
  /** SRTP policy: off (default), optional or required. */
  srtp?: string;
  /** TLS trunks: PEM CA certificates trusted beside the system's. */
  tlsCaFile?: string;
  /** TLS trunks: client certificate and key (PEM), presented when the trunk asks. */
  tlsCertFile?: string;
  tlsKeyFile?: string;
  isDefault?: boolean;
}

const NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;
const SIP_URI = /^sips?:(?:[^@;]+@)?(\[[0-9a-fA-F:.]+\]|[^:;]+)(?::(\d+))?((?:;[^;]*)*)$/i;

export interface TrunkTarget {
  /** IP literal (no brackets) or host name (lower case). */
  host: string;
  /** The port given, else 5060 (5061 for sips:). */
  port: number;
  /** Whether the URI named the port (then no SRV lookup, RFC 3263 §4.2). */
  explicitPort: boolean;
  transport?: SipTransportName;
  sips: boolean;
}

export function parseTrunkUri(uri: string): TrunkTarget {
  const m = SIP_URI.exec(uri.trim());
  if (!m) throw new TrunkError(`"${uri}" is not a SIP URI like sip:127.0.0.1:5065 or sip:trunk.example.com`);
  const host = m[1]!.replace(/^\[|\]$/g, '').toLowerCase();
  if (isIP(host) === 0 && !isValidHost(host)) {
    throw new TrunkError(`trunk host "${host}" is neither an IP address nor a host name`);
  }
  const sips = uri.trim().toLowerCase().startsWith('sips:');
  const port = m[2] ? Number(m[2]) : sips ? 5061 : 5060;
  if (port < 1 || port > 65535) throw new TrunkError(`port ${port} is out of range`);
  const transport = /;transport=(udp|tcp|tls)/i.exec(m[3] ?? '')?.[1]?.toLowerCase() as
    | SipTransportName
    | undefined;
  return { host, port, explicitPort: m[2] !== undefined, sips, ...(transport && { transport }) };
}

/** The URI calls through `t` are dialled to, without user part (older trunks: built from host, port, transport). */
export function trunkUri(t: TrunkRecord): string {
  return t.uri ?? `sip:${uriHost(t.host)}:${t.port};transport=${t.transport}`;
}

function numberFormat(value: string | undefined, what: string): NumberFormat {
  if (value === undefined) return 'national';
  if (!(NUMBER_FORMATS as readonly string[]).includes(value)) {
    throw new TrunkError(`${what} must be one of ${NUMBER_FORMATS.join(', ')}`);
  }
  return value as NumberFormat;
}

/** Each range checked (`203.0.113.0/24`, `2001:db8::/32`, or one address); names are refused. */
function inboundRanges(ranges: readonly string[] | undefined): string[] {
  const list = (ranges ?? []).map((r) => r.trim()).filter((r) => r !== '');
  for (const range of list) {
    try {
      sourceFilter([range]);
    } catch (err) {
      if (err instanceof SourceFilterError) throw new TrunkError(`--inbound-from: ${err.message}`);
      throw err;
    }
  }
  return list;
}

/** `--srtp off|optional|required` (default off). */
export function parseSrtp(value: string | undefined): TrunkSrtp {
  if (value === undefined) return 'off';
  const mode = value.trim().toLowerCase();
  if (!(TRUNK_SRTP as readonly string[]).includes(mode)) {
    throw new TrunkError(`--srtp "${value}" is not one of ${TRUNK_SRTP.join(', ')}`);
  }
  return mode as TrunkSrtp;
}

/** `PCMA,PCMU` → the codecs in that order; unknown or repeated names are refused. */
export function parseCodecs(value: string | undefined): TrunkCodec[] {
  if (value === undefined) return ['PCMU', 'PCMA'];
  const names = value.split(',').map((c) => c.trim().toUpperCase());
  const codecs: TrunkCodec[] = [];
  for (const name of names) {
    if (!(TRUNK_CODECS as readonly string[]).includes(name)) {
      throw new TrunkError(`codec "${name}" is not one of ${TRUNK_CODECS.join(', ')}`);
    }
    if (codecs.includes(name as TrunkCodec)) throw new TrunkError(`codec ${name} is listed twice`);
    codecs.push(name as TrunkCodec);
  }
  return codecs;
}

/** The TLS files of a trunk, checked now (readable PEM, a key that fits the certificate), stored as absolute paths. */
function trunkTlsFiles(
  input: TrunkInput,
  transport: SipTransportName,
): Pick<TrunkRecord, 'tlsCaFile' | 'tlsCertFile' | 'tlsKeyFile'> {
  const given = [input.tlsCaFile, input.tlsCertFile, input.tlsKeyFile].some((f) => f !== undefined);
  if (!given) return { tlsCaFile: null, tlsCertFile: null, tlsKeyFile: null };
  if (transport !== 'tls')
    throw new TrunkError(
      '--tls-ca-file, --tls-cert-file and --tls-key-file apply to TLS trunks (sips: or --transport tls)',
    );
  if ((input.tlsCertFile === undefined) !== (input.tlsKeyFile === undefined))
    throw new TrunkError('give both --tls-cert-file and --tls-key-file, or neither');
  const ca =
    input.tlsCaFile === undefined ? undefined : pemFile('--tls-ca-file', input.tlsCaFile, 'CERTIFICATE');
  const cert =
    input.tlsCertFile === undefined
      ? undefined
      : pemFile('--tls-cert-file', input.tlsCertFile, 'CERTIFICATE');
  const key =
    input.tlsKeyFile === undefined ? undefined : pemFile('--tls-key-file', input.tlsKeyFile, 'PRIVATE KEY');
  try {
    createSecureContext({
      ...(ca && { ca: ca.pem }),
      ...(cert && key && { cert: cert.pem, key: key.pem }),
    });
  } catch (err) {
    throw new TrunkError(`TLS files not usable: ${(err as Error).message}`);
  }
  return { tlsCaFile: ca?.path ?? null, tlsCertFile: cert?.path ?? null, tlsKeyFile: key?.path ?? null };
}

function pemFile(flag: string, path: string, kind: string): { path: string; pem: string } {
  const absolute = resolve(path);
  let pem: string;
  try {
    pem = readFileSync(absolute, 'utf8');
  } catch (err) {
    throw new TrunkError(
      `${flag} ${path}: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (err as Error).message}`,
    );
  }
  if (!pem.includes(`-----BEGIN `) || !pem.includes(kind))
    throw new TrunkError(`${flag} ${path}: no PEM ${kind.toLowerCase()} in it`);
  return { path: absolute, pem };
}

function positive(value: number | undefined, fallback: number, what: string): number {
  const n = value ?? fallback;
  if (!Number.isInteger(n) || n < 1) throw new TrunkError(`${what} must be a positive integer`);
  return n;
}

/** A trunk's registration as `trunk list --json` shows it (times as ISO 8601). */
export interface RegistrationView {
  state: TrunkRegistrationState | 'never';
  registered: boolean;
  expires: number;
  lastError: string | null;
  nextRefresh: string | null;
  contactUser: string | null;
  updatedAt: string | null;
}

export type TrunkView = Omit<TrunkRecord, 'passwordEnc' | 'uri'> & {
  hasPassword: boolean;
  uri: string;
  /** Only for trunks that register. */
  registration?: RegistrationView;
};

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

export function trunkView(t: TrunkRecord, registration?: TrunkRegistrationRecord): TrunkView {
  const { passwordEnc, ...rest } = t;
  const view: TrunkView = {
    ...rest,
    hasPassword: passwordEnc !== null,
    uri: trunkUri(t),
  };
  if (t.register) {
    view.registration = registration
      ? {
          state: registration.state,
          registered: registration.state === 'registered',
          expires: registration.expiresS,
          lastError: registration.lastError,
          nextRefresh: iso(registration.nextAttemptAt),
          contactUser: registration.contactUser,
          updatedAt: iso(registration.updatedAt),
        }
      : {
          state: 'never',
          registered: false,
          expires: t.registerExpiresS ?? 3600,
          lastError: null,
          nextRefresh: null,
          contactUser: null,
          updatedAt: null,
        };
  }
  return view;
}

export class TrunkAdmin {
  readonly #store: Store;
  readonly #box: SecretBox;
  readonly #now: () => number;

  constructor(store: Store, box: SecretBox, now: () => number = () => Math.round(systemClock.now())) {
    this.#store = store;
    this.#box = box;
    this.#now = now;
  }

  /** Adds a trunk, or replaces the one with that name. */
  add(input: TrunkInput): TrunkRecord {
    if (!NAME.test(input.name)) throw new TrunkError(`trunk name "${input.name}" is not valid`);
    const target = parseTrunkUri(input.uri);
    const given = (input.transport?.toLowerCase() ?? target.transport) as SipTransportName | undefined;
    const transport = target.sips ? 'tls' : (given ?? 'udp');
    if (transport !== 'udp' && transport !== 'tcp' && transport !== 'tls')
      throw new TrunkError(`unknown transport "${transport}"`);
    if (target.sips && given !== undefined && given !== 'tls')
      throw new TrunkError(`a sips: trunk goes over TLS, not ${given}`);
    // IP literals keep today's form (port and transport always named); a name keeps only what was
    // given, so that DNS decides the rest (RFC 3263 §4.1, §4.2). sips: names TLS by itself.
    const named = isIP(target.host) === 0;
    const port = target.explicitPort || transport !== 'tls' ? target.port : 5061;
    const uri = `${target.sips ? 'sips' : 'sip'}:${uriHost(target.host)}${!named || target.explicitPort ? `:${port}` : ''}${
      !target.sips && (!named || given) ? `;transport=${transport}` : ''
    }`;
    const tls = trunkTlsFiles(input, transport);
    if ((input.username === undefined) !== (input.password === undefined)) {
      throw new TrunkError('give both --username and --password, or neither');
    }
    const existing = this.#store.trunks.find(input.name);
    const record: TrunkRecord = {
      name: input.name,
      host: target.host,
      port,
      transport,
      username: input.username ?? null,
      passwordEnc: input.password === undefined ? null : this.#box.seal(input.password),
      realm: input.realm ?? null,
      callerFormat: numberFormat(input.callerFormat, 'caller format'),
      calleeFormat: numberFormat(input.calleeFormat, 'callee format'),
      sendPai: input.sendPai ?? false,
      cps: positive(input.cps, 10, 'cps'),
      maxCalls: positive(input.maxCalls, 100, 'max calls'),
      optionsIntervalS: input.optionsIntervalS ?? 0,
      inboundFrom: inboundRanges(input.inboundFrom),
      register: input.register ?? false,
      registerExpiresS: input.registerExpiresS ?? 3600,
      codecs: parseCodecs(input.codecs),
      srtp: parseSrtp(input.srtp),
      ...tls,
      // The first trunk becomes the default, so a single-trunk setup needs no flag.
      isDefault: input.isDefault ?? (existing?.isDefault || this.#store.trunks.list().length === 0),
      createdAt: existing?.createdAt ?? this.#now(),
      uri,
    };
    if (record.register && record.username === null) {
      throw new TrunkError('--register needs --username and --password');
    }
    if (input.registerExpiresS !== undefined && !record.register) {
      throw new TrunkError('--expires applies to --register');
    }
    if (!Number.isInteger(record.registerExpiresS) || record.registerExpiresS! < 1) {
      throw new TrunkError('expires must be a positive number of seconds');
    }
    if (!Number.isInteger(record.optionsIntervalS) || record.optionsIntervalS < 0) {
      throw new TrunkError('options interval must be 0 (off) or a number of seconds');
    }
    this.#store.trunks.upsert(record);
    return record;
  }

  remove(name: string): void {
    if (!this.#store.trunks.remove(name)) throw new TrunkError(`no trunk named "${name}"`);
  }

  setDefault(name: string): TrunkRecord {
    const t = this.get(name);
    const next = { ...t, isDefault: true };
    this.#store.trunks.upsert(next);
    return next;
  }

  get(name: string): TrunkRecord {
    const t = this.#store.trunks.find(name);
    if (!t) throw new TrunkError(`no trunk named "${name}"`);
    return t;
  }

  list(): TrunkRecord[] {
    return this.#store.trunks.list();
  }

  /** Trunks with the registration state the server last saved. */
  views(): TrunkView[] {
    return this.#store.trunks.list().map((t) => trunkView(t, this.#store.trunks.registration(t.name)));
  }

  /** The digest password of a trunk, for the SIP layer. */
  password(t: TrunkRecord): string | undefined {
    return t.passwordEnc === null ? undefined : this.#box.open(t.passwordEnc);
  }
}
