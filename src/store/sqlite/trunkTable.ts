import {
  type NumberFormat,
  type SipTransportName,
  TRUNK_CODECS,
  TRUNK_SRTP,
  type TrunkCodec,
  type TrunkRecord,
  type TrunkRegistrationRecord,
  type TrunkRegistrationState,
  type TrunkSrtp,
} from '../records.js';
import type { TrunkRepository } from '../repositories.js';
import type { SqliteDatabase } from './database.js';

export interface TrunkRow {
  name: string;
  host: string;
  port: number;
  transport: SipTransportName;
  username: string | null;
  password_enc: string | null;
  realm: string | null;
  caller_format: NumberFormat;
  callee_format: NumberFormat;
  send_pai: number;
  cps: number;
  max_calls: number;
  options_interval_s: number;
  inbound_from: string;
  register: number;
  register_expires_s: number;
  codecs: string;
  srtp: string;
  is_default: number;
  created_at: number;
  uri: string | null;
  tls_ca_file: string | null;
  tls_cert_file: string | null;
  tls_key_file: string | null;
}

export interface RegistrationRow {
  reg_state: TrunkRegistrationState | null;
  reg_expires_s: number | null;
  reg_last_error: string | null;
  reg_next_attempt_at: number | null;
  reg_contact_user: string | null;
  reg_updated_at: number | null;
}

export const toRecord = (r: TrunkRow): TrunkRecord => ({
  name: r.name,
  host: r.host,
  port: r.port,
  transport: r.transport,
  username: r.username,
  passwordEnc: r.password_enc,
  realm: r.realm,
  callerFormat: r.caller_format,
  calleeFormat: r.callee_format,
  sendPai: r.send_pai === 1,
  cps: r.cps,
  maxCalls: r.max_calls,
  optionsIntervalS: r.options_interval_s,
  inboundFrom: r.inbound_from ? r.inbound_from.split(',') : [],
  register: r.register === 1,
  registerExpiresS: r.register_expires_s,
  codecs: r.codecs.split(',').filter((c): c is TrunkCodec => (TRUNK_CODECS as readonly string[]).includes(c)),
  srtp: (TRUNK_SRTP as readonly string[]).includes(r.srtp) ? (r.srtp as TrunkSrtp) : 'off',
  isDefault: r.is_default === 1,
  createdAt: r.created_at,
  uri: r.uri,
  tlsCaFile: r.tls_ca_file,
  tlsCertFile: r.tls_cert_file,
  tlsKeyFile: r.tls_key_file,
});

export class SqliteTrunkRepository implements TrunkRepository {
  readonly #db: SqliteDatabase;

  constructor(db: SqliteDatabase) {
    this.#db = db;
  }

  upsert(t: TrunkRecord): void {
    this.#db.transaction(() => {
      if (t.isDefault) this.#db.prepare('UPDATE trunks SET is_default = 0 WHERE name != ?').run(t.name);
      this.#db
        .prepare(
          `INSERT INTO trunks (name, host, port, transport, username, password_enc, realm, caller_format,
            callee_format, send_pai, cps, max_calls, options_interval_s, codecs, inbound_from, register,
            register_expires_s, is_default, created_at, uri, tls_ca_file, tls_cert_file, tls_key_file, srtp)
           VALUES (@name, @host, @port, @transport, @username, @passwordEnc, @realm, @callerFormat,
            @calleeFormat, @sendPai, @cps, @maxCalls, @optionsIntervalS, @codecs, @inboundFrom, @register,
            @registerExpiresS, @isDefault, @createdAt, @uri, @tlsCaFile, @tlsCertFile, @tlsKeyFile, @srtp)
           ON CONFLICT(name) DO UPDATE SET host = excluded.host, port = excluded.port,
            transport = excluded.transport, username = excluded.username, password_enc = excluded.password_enc,
            realm = excluded.realm, caller_format = excluded.caller_format, callee_format = excluded.callee_format,
            send_pai = excluded.send_pai, cps = excluded.cps, max_calls = excluded.max_calls,
            options_interval_s = excluded.options_interval_s, codecs = excluded.codecs, inbound_from = excluded.inbound_from,
            register = excluded.register, register_expires_s = excluded.register_expires_s,
            is_default = excluded.is_default, uri = excluded.uri, tls_ca_file = excluded.tls_ca_file,
            tls_cert_file = excluded.tls_cert_file, tls_key_file = excluded.tls_key_file,
            srtp = excluded.srtp`,
        )
        .run({
          ...t,
          uri: t.uri ?? null,
          tlsCaFile: t.tlsCaFile ?? null,
          tlsCertFile: t.tlsCertFile ?? null,
          tlsKeyFile: t.tlsKeyFile ?? null,
          codecs: t.codecs.join(','),
          srtp: t.srtp ?? 'off',
          sendPai: t.sendPai ? 1 : 0,
          inboundFrom: (t.inboundFrom ?? []).join(','),
          register: t.register ? 1 : 0,
          registerExpiresS: t.registerExpiresS ?? 3600,
          isDefault: t.isDefault ? 1 : 0,
        });
    })();
  }

  find(name: string): TrunkRecord | undefined {
    const row = this.#db.prepare<[string], TrunkRow>('SELECT * FROM trunks WHERE name = ?').get(name);
    return row && toRecord(row);
  }

  findDefault(): TrunkRecord | undefined {
    const row = this.#db.prepare<[], TrunkRow>('SELECT * FROM trunks WHERE is_default = 1').get();
    return row && toRecord(row);
  }

  list(): TrunkRecord[] {
    return this.#db.prepare<[], TrunkRow>('SELECT * FROM trunks ORDER BY name').all().map(toRecord);
  }

  remove(name: string): boolean {
    return this.#db.prepare('DELETE FROM trunks WHERE name = ?').run(name).changes > 0;
  }

  saveRegistration(name: string, r: TrunkRegistrationRecord): void {
    this.#db
      .prepare(
        `UPDATE trunks SET reg_state = @state, reg_expires_s = @expiresS, reg_last_error = @lastError,
          reg_next_attempt_at = @nextAttemptAt, reg_contact_user = @contactUser, reg_updated_at = @updatedAt
         WHERE name = @name`,
      )
      .run({ ...r, name });
  }

  registration(name: string): TrunkRegistrationRecord | undefined {
    const row = this.#db
      .prepare<[string], RegistrationRow>(
        `SELECT reg_state, reg_expires_s, reg_last_error, reg_next_attempt_at, reg_contact_user, reg_updated_at
         FROM trunks WHERE name = ?`,
      )
      .get(name);
    if (!row || row.reg_state === null) return undefined;
    return {
      state: row.reg_state,
      expiresS: row.reg_expires_s ?? 0,
      lastError: row.reg_last_error,
      nextAttemptAt: row.reg_next_attempt_at,
      contactUser: row.reg_contact_user ?? '',
      updatedAt: row.reg_updated_at ?? 0,
    };
  }
}
