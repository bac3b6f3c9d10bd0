import {
  type NumberFormat,
  type SipTransportName,
  TRUNK_CODECS,
  type TrunkCodec,
  type TrunkRecord,
} from '../records.js';
import type { TrunkRepository } from '../repositories.js';
import type { SqliteDatabase } from './database.js';

interface TrunkRow {
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
  codecs: string;
  is_default: number;
  created_at: number;
}

const toRecord = (r: TrunkRow): TrunkRecord => ({
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
  codecs: r.codecs.split(',').filter((c): c is TrunkCodec => (TRUNK_CODECS as readonly string[]).includes(c)),
  isDefault: r.is_default === 1,
  createdAt: r.created_at,
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
            callee_format, send_pai, cps, max_calls, options_interval_s, codecs, is_default, created_at)
           VALUES (@name, @host, @port, @transport, @username, @passwordEnc, @realm, @callerFormat,
            @calleeFormat, @sendPai, @cps, @maxCalls, @optionsIntervalS, @codecs, @isDefault, @createdAt)
           ON CONFLICT(name) DO UPDATE SET host = excluded.host, port = excluded.port,
            transport = excluded.transport, username = excluded.username, password_enc = excluded.password_enc,
            realm = excluded.realm, caller_format = excluded.caller_format, callee_format = excluded.callee_format,
            send_pai = excluded.send_pai, cps = excluded.cps, max_calls = excluded.max_calls,
            options_interval_s = excluded.options_interval_s, codecs = excluded.codecs, is_default = excluded.is_default`,
        )
        .run({
          ...t,
          codecs: t.codecs.join(','),
          sendPai: t.sendPai ? 1 : 0,
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
}
