/** SIP trunks and their registration state in PostgreSQL (rows as in SQLite). */
import type { Async } from '../asyncStore.js';
import type { TrunkRecord, TrunkRegistrationRecord } from '../records.js';
import type { TrunkRepository } from '../repositories.js';
import { type RegistrationRow, type TrunkRow, toRecord as toTrunk } from '../sqlite/trunkTable.js';
import type { Queryable } from './pgDatabase.js';
import { changes, one, rows } from './rows.js';

const COLUMNS = `name, host, port, transport, username, password_enc, realm, caller_format, callee_format, send_pai,
  cps, max_calls, options_interval_s, codecs, inbound_from, register, register_expires_s, is_default, created_at,
  uri, tls_ca_file, tls_cert_file, tls_key_file, srtp`;
const UPDATED = COLUMNS.split(',')
  .map((c) => c.trim())
  .filter((c) => c !== 'name' && c !== 'created_at')
  .map((c) => `${c} = excluded.${c}`)
  .join(', ');

export class PgTrunkRepository implements Async<TrunkRepository> {
  /** `begin` runs a function in a transaction (the pool's, or the one this repository is in). */
  constructor(
    readonly db: Queryable,
    readonly begin: <T>(fn: (db: Queryable) => Promise<T>) => Promise<T>,
  ) {}

  async upsert(t: TrunkRecord): Promise<void> {
    await this.begin(async (db) => {
      // Making one the default clears the others in the same transaction (one default at most).
      if (t.isDefault) await changes(db, 'UPDATE trunks SET is_default = 0 WHERE name <> $1', [t.name]);
      await changes(
        db,
        `INSERT INTO trunks (${COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15,
          $16, $17, $18, $19, $20, $21, $22, $23, $24)
         ON CONFLICT (name) DO UPDATE SET ${UPDATED}`,
        [
          t.name,
          t.host,
          t.port,
          t.transport,
          t.username,
          t.passwordEnc,
          t.realm,
          t.callerFormat,
          t.calleeFormat,
          t.sendPai ? 1 : 0,
          t.cps,
          t.maxCalls,
          t.optionsIntervalS,
          t.codecs.join(','),
          (t.inboundFrom ?? []).join(','),
          t.register ? 1 : 0,
          t.registerExpiresS ?? 3600,
          t.isDefault ? 1 : 0,
          t.createdAt,
          t.uri ?? null,
          t.tlsCaFile ?? null,
          t.tlsCertFile ?? null,
          t.tlsKeyFile ?? null,
          t.srtp ?? 'off',
        ],
      );
    });
  }

  async find(name: string): Promise<TrunkRecord | undefined> {
    const row = await one<TrunkRow>(this.db, 'SELECT * FROM trunks WHERE name = $1', [name]);
    return row && toTrunk(row);
  }

  async findDefault(): Promise<TrunkRecord | undefined> {
    const row = await one<TrunkRow>(this.db, 'SELECT * FROM trunks WHERE is_default = 1');
    return row && toTrunk(row);
  }

  async list(): Promise<TrunkRecord[]> {
    return (await rows<TrunkRow>(this.db, 'SELECT * FROM trunks ORDER BY name')).map(toTrunk);
  }

  async remove(name: string): Promise<boolean> {
    return (await changes(this.db, 'DELETE FROM trunks WHERE name = $1', [name])) > 0;
  }

  async saveRegistration(name: string, r: TrunkRegistrationRecord): Promise<void> {
    await changes(
      this.db,
      `UPDATE trunks SET reg_state = $1, reg_expires_s = $2, reg_last_error = $3, reg_next_attempt_at = $4,
        reg_contact_user = $5, reg_updated_at = $6 WHERE name = $7`,
      [r.state, r.expiresS, r.lastError, r.nextAttemptAt, r.contactUser, r.updatedAt, name],
    );
  }

  async registration(name: string): Promise<TrunkRegistrationRecord | undefined> {
    const row = await one<RegistrationRow>(
      this.db,
      `SELECT reg_state, reg_expires_s, reg_last_error, reg_next_attempt_at, reg_contact_user, reg_updated_at
       FROM trunks WHERE name = $1`,
      [name],
    );
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
