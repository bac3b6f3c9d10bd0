/**
 * SIP trunk administration (`smartcall admin trunk ...`). A trunk is where outbound calls go:
 * address, transport, digest credentials (sealed at rest), number formats, CPS and concurrency
 * limits that the dialer honours.
 */

import { isIP } from 'node:net';
import { systemClock } from '../clock/clock.js';
import { uriHost } from '../sip/index.js';
import {
  NUMBER_FORMATS,
  type NumberFormat,
  type SipTransportName,
  TRUNK_CODECS,
  type TrunkCodec,
  type TrunkRecord,
} from '../store/records.js';
import type { Store } from '../store/repositories.js';
import type { SecretBox } from '../tenancy/secretBox.js';

export class TrunkError extends Error {
  override name = 'TrunkError';
}

export interface TrunkInput {
  name: string;
  /** `sip:127.0.0.1:5065` or `sip:[::1]:5065;transport=tcp`. */
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
  /** Codec order for the offer, e.g. `PCMA,PCMU` (default PCMU,PCMA). */
  codecs?: string;
  isDefault?: boolean;
}

const NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;
const SIP_URI = /^sips?:(?:[^@;]+@)?(\[[0-9a-fA-F:.]+\]|[^:;]+)(?::(\d+))?((?:;[^;]*)*)$/i;

export function parseTrunkUri(uri: string): { host: string; port: number; transport?: SipTransportName } {
  const m = SIP_URI.exec(uri.trim());
  if (!m) throw new TrunkError(`"${uri}" is not a SIP URI like sip:127.0.0.1:5065`);
  const host = m[1]!.replace(/^\[|\]$/g, '');
  if (isIP(host) === 0) {
    throw new TrunkError(`trunk host "${host}" must be an IP address: smartcall never resolves host names`);
  }
  const port = m[2] ? Number(m[2]) : uri.toLowerCase().startsWith('sips:') ? 5061 : 5060;
  if (port < 1 || port > 65535) throw new TrunkError(`port ${port} is out of range`);
  const transport = /;transport=(udp|tcp|tls)/i.exec(m[3] ?? '')?.[1]?.toLowerCase() as
    | SipTransportName
    | undefined;
  return transport ? { host, port, transport } : { host, port };
}

function numberFormat(value: string | undefined, what: string): NumberFormat {
  if (value === undefined) return 'national';
  if (!(NUMBER_FORMATS as readonly string[]).includes(value)) {
    throw new TrunkError(`${what} must be one of ${NUMBER_FORMATS.join(', ')}`);
  }
  return value as NumberFormat;
}

/** `PCMA,PCMU` → the codecs in that order; unknown or repeated names are refused. */
export function parseCodecs(value: string | undefined): TrunkCodec[] {
  if (value === undefined) return ['PCMU', 'PCMA'];
  const names = value.split(',').map((c) => c.trim().toUpperCase());
  const codecs: TrunkCodec[] = [];
  for (const name of names) {
    if (name === 'G722') throw new TrunkError('G722 is not supported yet: use PCMA and/or PCMU');
    if (!(TRUNK_CODECS as readonly string[]).includes(name)) {
      throw new TrunkError(`codec "${name}" is not one of ${TRUNK_CODECS.join(', ')}`);
    }
    if (codecs.includes(name as TrunkCodec)) throw new TrunkError(`codec ${name} is listed twice`);
    codecs.push(name as TrunkCodec);
  }
  return codecs;
}

function positive(value: number | undefined, fallback: number, what: string): number {
  const n = value ?? fallback;
  if (!Number.isInteger(n) || n < 1) throw new TrunkError(`${what} must be a positive integer`);
  return n;
}

export type TrunkView = Omit<TrunkRecord, 'passwordEnc'> & { hasPassword: boolean; uri: string };

export function trunkView(t: TrunkRecord): TrunkView {
  const { passwordEnc, ...rest } = t;
  const host = uriHost(t.host);
  return {
    ...rest,
    hasPassword: passwordEnc !== null,
    uri: `sip:${host}:${t.port};transport=${t.transport}`,
  };
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
    const transport = (input.transport?.toLowerCase() ?? target.transport ?? 'udp') as SipTransportName;
    if (transport !== 'udp' && transport !== 'tcp') {
      throw new TrunkError(
        transport === 'tls'
          ? 'TLS trunks are not supported yet: use udp or tcp'
          : `unknown transport "${transport}"`,
      );
    }
    if ((input.username === undefined) !== (input.password === undefined)) {
      throw new TrunkError('give both --username and --password, or neither');
    }
    const existing = this.#store.trunks.find(input.name);
    const record: TrunkRecord = {
      name: input.name,
      host: target.host,
      port: target.port,
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
      codecs: parseCodecs(input.codecs),
      // The first trunk becomes the default, so a single-trunk setup needs no flag.
      isDefault: input.isDefault ?? (existing?.isDefault || this.#store.trunks.list().length === 0),
      createdAt: existing?.createdAt ?? this.#now(),
    };
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

  /** The digest password of a trunk, for the SIP layer. */
  password(t: TrunkRecord): string | undefined {
    return t.passwordEnc === null ? undefined : this.#box.open(t.passwordEnc);
  }
}
