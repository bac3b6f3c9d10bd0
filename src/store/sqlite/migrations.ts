/**
 * Versioned schema migrations. Each runs once, in order, inside a transaction, and is recorded in
 * `schema_migrations`. Never edit a released migration: add the next one.
 */
export interface Migration {
  version: number;
  name: string;
  sql: string;
}

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'tenancy and calls',
    sql: `
      CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
      CREATE TABLE accounts (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        name TEXT NOT NULL UNIQUE,
        status TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'disabled')),
        qps INTEGER,
        callback_url TEXT,
        callback_timeout_ms INTEGER NOT NULL DEFAULT 3000,
        callback_fallback TEXT,
        callback_body_mode TEXT NOT NULL DEFAULT 'query' CHECK (callback_body_mode IN ('query', 'form')),
        receipt_url TEXT,
        receipt_types TEXT NOT NULL DEFAULT '',
        created_at INTEGER NOT NULL
      );
      CREATE TABLE access_keys (
        access_key_id TEXT PRIMARY KEY,
        account_id INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
        secret_enc TEXT NOT NULL,
        status TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'disabled')),
        created_at INTEGER NOT NULL
      );
      CREATE INDEX access_keys_account ON access_keys(account_id);
      CREATE TABLE display_numbers (
        number TEXT PRIMARY KEY,
        account_id INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
        created_at INTEGER NOT NULL
      );
      CREATE INDEX display_numbers_account ON display_numbers(account_id);
      CREATE TABLE voice_files (
        id TEXT NOT NULL,
        account_id INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
        name TEXT NOT NULL,
        path TEXT NOT NULL,
        duration_ms INTEGER NOT NULL,
        created_at INTEGER NOT NULL,
        PRIMARY KEY (account_id, id)
      );
      CREATE TABLE asr_models (
        id TEXT NOT NULL,
        account_id INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
        name TEXT NOT NULL,
        phrases TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        PRIMARY KEY (account_id, id)
      );
      CREATE TABLE calls (
        call_id TEXT PRIMARY KEY,
        account_id INTEGER NOT NULL REFERENCES accounts(id),
        state TEXT NOT NULL,
        called_number TEXT NOT NULL,
        called_show_number TEXT NOT NULL,
        out_id TEXT,
        dynamic_id TEXT,
        request TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        originate_at INTEGER,
        ring_at INTEGER,
        answer_at INTEGER,
        end_at INTEGER,
        status_code TEXT,
        smart_status_code TEXT,
        status_msg TEXT,
        hangup_direction TEXT
      );
      CREATE INDEX calls_account_created ON calls(account_id, created_at);
      CREATE INDEX calls_state ON calls(state);
    `,
  },
  {
    version: 2,
    name: 'sip trunks',
    sql: `
      CREATE TABLE trunks (
        name TEXT PRIMARY KEY,
        host TEXT NOT NULL,
        port INTEGER NOT NULL,
        transport TEXT NOT NULL CHECK (transport IN ('udp', 'tcp', 'tls')),
        username TEXT,
        password_enc TEXT,
        realm TEXT,
        caller_format TEXT NOT NULL DEFAULT 'national',
        callee_format TEXT NOT NULL DEFAULT 'national',
        send_pai INTEGER NOT NULL DEFAULT 0,
        cps INTEGER NOT NULL,
        max_calls INTEGER NOT NULL,
        options_interval_s INTEGER NOT NULL DEFAULT 0,
        is_default INTEGER NOT NULL DEFAULT 0,
        created_at INTEGER NOT NULL
      );
      CREATE UNIQUE INDEX trunks_one_default ON trunks(is_default) WHERE is_default = 1;
    `,
  },
  {
    version: 3,
    name: 'callback exchanges and call details',
    sql: `
      ALTER TABLE accounts ADD COLUMN callback_secret_enc TEXT;
      ALTER TABLE calls ADD COLUMN trunk TEXT;
      ALTER TABLE calls ADD COLUMN sip_status INTEGER;
      ALTER TABLE calls ADD COLUMN sip_reason TEXT;
      ALTER TABLE calls ADD COLUMN dtmf TEXT;
      ALTER TABLE calls ADD COLUMN early_media_code TEXT;
      ALTER TABLE calls ADD COLUMN record_path TEXT;
      ALTER TABLE calls ADD COLUMN record_begin_at INTEGER;
      CREATE TABLE callback_exchanges (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        call_id TEXT NOT NULL,
        content_type TEXT NOT NULL,
        content TEXT NOT NULL,
        outcome TEXT NOT NULL,
        http_status INTEGER,
        reply TEXT,
        action TEXT,
        detail TEXT,
        latency_ms INTEGER NOT NULL,
        created_at INTEGER NOT NULL
      );
      CREATE INDEX callback_exchanges_call ON callback_exchanges(call_id, id);
    `,
  },
  {
    version: 4,
    name: 'receipt outbox',
    sql: `
      CREATE TABLE receipts (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        receipt_id TEXT NOT NULL UNIQUE,
        account_id INTEGER NOT NULL,
        call_id TEXT NOT NULL,
        type TEXT NOT NULL,
        payload TEXT NOT NULL,
        state TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'delivered', 'abandoned')),
        attempts INTEGER NOT NULL DEFAULT 0,
        next_attempt_at INTEGER NOT NULL,
        last_error TEXT,
        created_at INTEGER NOT NULL,
        delivered_at INTEGER
      );
      CREATE INDEX receipts_due ON receipts(state, next_attempt_at);
      CREATE INDEX receipts_call ON receipts(call_id, id);
    `,
  },
  {
    version: 5,
    name: 'tts templates; voice and model IDs looked up alone',
    sql: `
      CREATE TABLE tts_templates (
        id TEXT NOT NULL,
        account_id INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
        name TEXT NOT NULL,
        text TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        PRIMARY KEY (account_id, id)
      );
      CREATE INDEX tts_templates_id ON tts_templates(id);
      CREATE INDEX voice_files_id ON voice_files(id);
      CREATE INDEX asr_models_id ON asr_models(id);
    `,
  },
  {
    version: 6,
    name: 'what an unrecognised utterance produces, per account',
    sql: `
      ALTER TABLE accounts ADD COLUMN callback_unrecognized TEXT NOT NULL DEFAULT 'callback'
        CHECK (callback_unrecognized IN ('callback', 'silent'));
    `,
  },
  {
    version: 7,
    name: 'a receipt URL per MessageType, receipts ordered per URL; the parallel leg hang-up cause',
    sql: `
      ALTER TABLE accounts ADD COLUMN receipt_type_urls TEXT NOT NULL DEFAULT '{}';
      ALTER TABLE calls ADD COLUMN parallel_leg_hangup_cause TEXT;
      ALTER TABLE receipts ADD COLUMN stream TEXT NOT NULL DEFAULT '';
    `,
  },
  {
    version: 8,
    name: 'calls to one callee, by time (SingleCallByTts frequency control)',
    sql: `
      CREATE INDEX calls_account_callee_created ON calls(account_id, called_number, created_at);
    `,
  },
  {
    version: 9,
    name: 'trunk registration: settings, and the state the server last saw',
    sql: `
      ALTER TABLE trunks ADD COLUMN register INTEGER NOT NULL DEFAULT 0;
      ALTER TABLE trunks ADD COLUMN register_expires_s INTEGER NOT NULL DEFAULT 3600;
      ALTER TABLE trunks ADD COLUMN reg_state TEXT;
      ALTER TABLE trunks ADD COLUMN reg_expires_s INTEGER;
      ALTER TABLE trunks ADD COLUMN reg_last_error TEXT;
      ALTER TABLE trunks ADD COLUMN reg_next_attempt_at INTEGER;
      ALTER TABLE trunks ADD COLUMN reg_contact_user TEXT;
      ALTER TABLE trunks ADD COLUMN reg_updated_at INTEGER;
    `,
  },
  {
    version: 10,
    name: 'the ranges a trunk sends INVITEs from; the numbers an account may transfer to',
    sql: `
      ALTER TABLE trunks ADD COLUMN inbound_from TEXT NOT NULL DEFAULT '';
      ALTER TABLE accounts ADD COLUMN allowed_destinations TEXT;
    `,
  },
  {
    version: 11,
    name: "a trunk's codec order",
    sql: `
      ALTER TABLE trunks ADD COLUMN codecs TEXT NOT NULL DEFAULT 'PCMU,PCMA';
    `,
  },
  {
    version: 12,
    name: 'a trunk target as given (host names located per RFC 3263)',
    sql: `
      ALTER TABLE trunks ADD COLUMN uri TEXT;
    `,
  },
  {
    version: 13,
    name: 'TLS trunks: the CA file, client certificate and key per trunk',
    sql: `
      ALTER TABLE trunks ADD COLUMN tls_ca_file TEXT;
      ALTER TABLE trunks ADD COLUMN tls_cert_file TEXT;
      ALTER TABLE trunks ADD COLUMN tls_key_file TEXT;
    `,
  },
  {
    version: 14,
    name: "a trunk's SRTP policy (SDES)",
    sql: `
      ALTER TABLE trunks ADD COLUMN srtp TEXT NOT NULL DEFAULT 'off';
    `,
  },
  {
    version: 15,
    name: 'numbers that receive inbound smart calls',
    sql: `
      ALTER TABLE display_numbers ADD COLUMN inbound INTEGER NOT NULL DEFAULT 0;
    `,
  },
  {
    version: 17,
    name: 'web console users and sessions; call list indexes for keyset paging (newest first)',
    sql: `
      CREATE TABLE console_users (
        name TEXT PRIMARY KEY,
        password_hash TEXT NOT NULL,
        role TEXT NOT NULL CHECK (role IN ('admin', 'viewer')),
        account_id INTEGER REFERENCES accounts(id) ON DELETE CASCADE,
        created_at INTEGER NOT NULL
      );
      CREATE TABLE console_sessions (
        token_hash TEXT PRIMARY KEY,
        user_name TEXT NOT NULL REFERENCES console_users(name) ON DELETE CASCADE,
        csrf_token TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        expires_at INTEGER NOT NULL
      );
      CREATE INDEX console_sessions_user ON console_sessions(user_name);
      CREATE INDEX console_sessions_expiry ON console_sessions(expires_at);
      CREATE INDEX calls_created_id ON calls(created_at, call_id);
      DROP INDEX calls_account_created;
      CREATE INDEX calls_account_created_id ON calls(account_id, created_at, call_id);
      DROP INDEX calls_state;
      CREATE INDEX calls_state_created_id ON calls(state, created_at, call_id);
      CREATE INDEX calls_account_state_created_id ON calls(account_id, state, created_at, call_id);
      CREATE INDEX calls_callee_created ON calls(called_number, created_at);
      CREATE INDEX calls_out_id ON calls(out_id) WHERE out_id IS NOT NULL;
      CREATE INDEX calls_status_created ON calls(status_code, created_at);
    `,
  },
  {
    version: 20,
    name: 'console overview: calls and callback exchanges by time, covering what the overview counts',
    sql: `
      CREATE INDEX calls_overview ON calls(created_at, account_id, trunk, status_code, state, answer_at,
        originate_at, end_at);
      CREATE INDEX callback_exchanges_created ON callback_exchanges(created_at);
    `,
  },
  {
    version: 21,
    name: 'calling policies, do-not-call lists, policy decisions on calls, campaigns and their rows',
    sql: `
      CREATE TABLE calling_policies (
        account_id INTEGER PRIMARY KEY,
        policy TEXT NOT NULL,
        updated_at INTEGER NOT NULL
      );
      CREATE TABLE dnc_numbers (
        account_id INTEGER NOT NULL,
        number TEXT NOT NULL,
        reason TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        PRIMARY KEY (account_id, number)
      );
      CREATE TABLE call_decisions (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        call_id TEXT NOT NULL,
        at INTEGER NOT NULL,
        decision TEXT NOT NULL,
        detail TEXT NOT NULL
      );
      CREATE INDEX call_decisions_call ON call_decisions(call_id, id);
      CREATE TABLE campaigns (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        account_id INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
        name TEXT NOT NULL,
        state TEXT NOT NULL CHECK (state IN ('running', 'paused', 'cancelled', 'done')),
        settings TEXT NOT NULL,
        total INTEGER NOT NULL,
        created_at INTEGER NOT NULL,
        start_at INTEGER NOT NULL,
        completed_at INTEGER
      );
      CREATE INDEX campaigns_account ON campaigns(account_id, id);
      CREATE INDEX campaigns_state ON campaigns(state);
      CREATE TABLE campaign_rows (
        campaign_id INTEGER NOT NULL REFERENCES campaigns(id) ON DELETE CASCADE,
        row_no INTEGER NOT NULL,
        called_number TEXT NOT NULL,
        out_id TEXT,
        params TEXT NOT NULL,
        state TEXT NOT NULL,
        attempts INTEGER NOT NULL DEFAULT 0,
        next_at INTEGER NOT NULL,
        last_call_id TEXT,
        outcome TEXT,
        reason TEXT,
        updated_at INTEGER NOT NULL,
        PRIMARY KEY (campaign_id, row_no)
      );
      CREATE INDEX campaign_rows_due ON campaign_rows(campaign_id, state, next_at);
      CREATE INDEX campaign_rows_call ON campaign_rows(last_call_id) WHERE last_call_id IS NOT NULL;
    `,
  },
  {
    version: 22,
    name: 'dialog scripts per account (SmartCall DialogId)',
    sql: `
      CREATE TABLE dialog_scripts (
        id TEXT NOT NULL,
        account_id INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
        name TEXT NOT NULL,
        source TEXT NOT NULL,
        script TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        updated_at INTEGER NOT NULL,
        PRIMARY KEY (account_id, id)
      );
    `,
  },
  {
    version: 23,
    name: 'call timeline events; overview roll-ups (finished calls per slot, call starts per second, peak CPS)',
    sql: `
      CREATE TABLE call_events (
        id INTEGER PRIMARY KEY,
        call_id TEXT NOT NULL,
        at INTEGER NOT NULL,
        type TEXT NOT NULL,
        data TEXT NOT NULL
      );
      CREATE INDEX call_events_call ON call_events(call_id);
      CREATE TABLE call_rollups (
        span_ms INTEGER NOT NULL,
        slot INTEGER NOT NULL,
        account_id INTEGER NOT NULL,
        trunk TEXT NOT NULL,
        status_code TEXT NOT NULL,
        state TEXT NOT NULL,
        calls INTEGER NOT NULL,
        answered INTEGER NOT NULL,
        busy_ms INTEGER NOT NULL,
        PRIMARY KEY (span_ms, slot, account_id, trunk, status_code, state)
      ) WITHOUT ROWID;
      CREATE TABLE call_seconds (
        second INTEGER NOT NULL,
        trunk TEXT NOT NULL,
        account_id INTEGER NOT NULL,
        n INTEGER NOT NULL,
        PRIMARY KEY (second, trunk, account_id)
      ) WITHOUT ROWID;
      CREATE TABLE trunk_peaks (
        span_ms INTEGER NOT NULL,
        slot INTEGER NOT NULL,
        trunk TEXT NOT NULL,
        account_id INTEGER NOT NULL,
        peak INTEGER NOT NULL,
        PRIMARY KEY (span_ms, slot, trunk, account_id)
      ) WITHOUT ROWID;
      CREATE TRIGGER calls_rollup_insert AFTER INSERT ON calls WHEN NEW.state IN ('ended', 'failed')
        BEGIN
          INSERT INTO call_rollups (span_ms, slot, account_id, trunk, status_code, state, calls, answered, busy_ms)
          SELECT sp.column1, CAST(NEW.created_at AS INTEGER) / sp.column1, NEW.account_id, COALESCE(NEW.trunk, ''),
            COALESCE(NEW.status_code, ''), NEW.state, 1, (NEW.answer_at IS NOT NULL),
            (CASE WHEN NEW.originate_at IS NOT NULL AND NEW.end_at > NEW.originate_at
              THEN CAST(NEW.end_at - NEW.originate_at AS INTEGER) ELSE 0 END)
          FROM (VALUES (60000), (300000), (900000), (7200000)) sp WHERE true
          ON CONFLICT DO UPDATE SET calls = calls + excluded.calls, answered = answered + excluded.answered,
            busy_ms = busy_ms + excluded.busy_ms;
        END;
      CREATE TRIGGER calls_rollup_update
        AFTER UPDATE OF state, created_at, account_id, trunk, status_code, answer_at, originate_at, end_at ON calls
        WHEN OLD.state IN ('ended', 'failed') OR NEW.state IN ('ended', 'failed')
        BEGIN
          INSERT INTO call_rollups (span_ms, slot, account_id, trunk, status_code, state, calls, answered, busy_ms)
          SELECT sp.column1, CAST(OLD.created_at AS INTEGER) / sp.column1, OLD.account_id, COALESCE(OLD.trunk, ''),
            COALESCE(OLD.status_code, ''), OLD.state, -1, -(OLD.answer_at IS NOT NULL),
            -(CASE WHEN OLD.originate_at IS NOT NULL AND OLD.end_at > OLD.originate_at
              THEN CAST(OLD.end_at - OLD.originate_at AS INTEGER) ELSE 0 END)
          FROM (VALUES (60000), (300000), (900000), (7200000)) sp WHERE OLD.state IN ('ended', 'failed')
          ON CONFLICT DO UPDATE SET calls = calls + excluded.calls, answered = answered + excluded.answered,
            busy_ms = busy_ms + excluded.busy_ms;
          INSERT INTO call_rollups (span_ms, slot, account_id, trunk, status_code, state, calls, answered, busy_ms)
          SELECT sp.column1, CAST(NEW.created_at AS INTEGER) / sp.column1, NEW.account_id, COALESCE(NEW.trunk, ''),
            COALESCE(NEW.status_code, ''), NEW.state, 1, (NEW.answer_at IS NOT NULL),
            (CASE WHEN NEW.originate_at IS NOT NULL AND NEW.end_at > NEW.originate_at
              THEN CAST(NEW.end_at - NEW.originate_at AS INTEGER) ELSE 0 END)
          FROM (VALUES (60000), (300000), (900000), (7200000)) sp WHERE NEW.state IN ('ended', 'failed')
          ON CONFLICT DO UPDATE SET calls = calls + excluded.calls, answered = answered + excluded.answered,
            busy_ms = busy_ms + excluded.busy_ms;
        END;
      CREATE TRIGGER calls_starts_insert AFTER INSERT ON calls
        WHEN NEW.originate_at IS NOT NULL AND NEW.trunk IS NOT NULL
        BEGIN
          INSERT INTO call_seconds (second, trunk, account_id, n)
          SELECT CAST(NEW.originate_at AS INTEGER) / 1000, NEW.trunk, a.id, 1
          FROM (SELECT NEW.account_id AS id UNION ALL SELECT 0) a WHERE true
          ON CONFLICT DO UPDATE SET n = n + excluded.n;
          INSERT INTO trunk_peaks (span_ms, slot, trunk, account_id, peak)
          SELECT sp.column1, c.second * 1000 / sp.column1, c.trunk, c.account_id, c.n
          FROM call_seconds c, (VALUES (60000), (300000), (900000), (7200000)) sp
          WHERE c.second = CAST(NEW.originate_at AS INTEGER) / 1000 AND c.trunk = NEW.trunk
            AND c.account_id IN (NEW.account_id, 0)
          ON CONFLICT DO UPDATE SET peak = MAX(peak, excluded.peak);
        END;
      CREATE TRIGGER calls_starts_update AFTER UPDATE OF originate_at, trunk, account_id ON calls
        WHEN OLD.originate_at IS NOT NEW.originate_at OR OLD.trunk IS NOT NEW.trunk
          OR OLD.account_id IS NOT NEW.account_id
        BEGIN
          INSERT INTO call_seconds (second, trunk, account_id, n)
          SELECT CAST(OLD.originate_at AS INTEGER) / 1000, OLD.trunk, a.id, -1
          FROM (SELECT OLD.account_id AS id UNION ALL SELECT 0) a WHERE OLD.originate_at IS NOT NULL AND OLD.trunk IS NOT NULL
          ON CONFLICT DO UPDATE SET n = n + excluded.n;
          INSERT INTO call_seconds (second, trunk, account_id, n)
          SELECT CAST(NEW.originate_at AS INTEGER) / 1000, NEW.trunk, a.id, 1
          FROM (SELECT NEW.account_id AS id UNION ALL SELECT 0) a WHERE NEW.originate_at IS NOT NULL AND NEW.trunk IS NOT NULL
          ON CONFLICT DO UPDATE SET n = n + excluded.n;
          INSERT INTO trunk_peaks (span_ms, slot, trunk, account_id, peak)
          SELECT sp.column1, c.second * 1000 / sp.column1, c.trunk, c.account_id, c.n
          FROM call_seconds c, (VALUES (60000), (300000), (900000), (7200000)) sp
          WHERE c.second = CAST(NEW.originate_at AS INTEGER) / 1000 AND c.trunk = NEW.trunk
            AND c.account_id IN (NEW.account_id, 0)
          ON CONFLICT DO UPDATE SET peak = MAX(peak, excluded.peak);
        END;
      INSERT INTO call_rollups (span_ms, slot, account_id, trunk, status_code, state, calls, answered, busy_ms)
        SELECT sp.column1, CAST(c.created_at AS INTEGER) / sp.column1 AS s, c.account_id, COALESCE(c.trunk, '') AS t,
          COALESCE(c.status_code, '') AS sc, c.state, COUNT(*), SUM(c.answer_at IS NOT NULL),
          SUM(CASE WHEN c.originate_at IS NOT NULL AND c.end_at > c.originate_at
            THEN CAST(c.end_at - c.originate_at AS INTEGER) ELSE 0 END)
        FROM calls c, (VALUES (60000), (300000), (900000), (7200000)) sp WHERE c.state IN ('ended', 'failed')
        GROUP BY sp.column1, s, c.account_id, t, sc, c.state;
      INSERT INTO call_seconds (second, trunk, account_id, n)
        SELECT CAST(originate_at AS INTEGER) / 1000 AS s, trunk, account_id, COUNT(*) FROM calls
        WHERE originate_at IS NOT NULL AND trunk IS NOT NULL GROUP BY s, trunk, account_id;
      INSERT INTO call_seconds (second, trunk, account_id, n)
        SELECT second, trunk, 0, SUM(n) FROM call_seconds GROUP BY second, trunk;
      INSERT INTO trunk_peaks (span_ms, slot, trunk, account_id, peak)
        SELECT sp.column1, c.second * 1000 / sp.column1 AS s, c.trunk, c.account_id, MAX(c.n)
        FROM call_seconds c, (VALUES (60000), (300000), (900000), (7200000)) sp GROUP BY sp.column1, s, c.trunk, c.account_id;
      DROP INDEX calls_overview;
    `,
  },
  {
    version: 26,
    name: 'answering-machine detection: per-account setting, result per call',
    sql: `
      CREATE TABLE amd_settings (
        account_id INTEGER PRIMARY KEY REFERENCES accounts(id) ON DELETE CASCADE,
        settings TEXT NOT NULL,
        updated_at INTEGER NOT NULL
      );
      ALTER TABLE calls ADD COLUMN amd TEXT;
    `,
  },
];
