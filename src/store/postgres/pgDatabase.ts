/**
 * The PostgreSQL connection pool and schema migrations (distributed mode, issue 15). Each node keeps
 * a small pool; migrations run under a session advisory lock, so nodes starting together wait for
 * the first one instead of running the same migration twice.
 */
import pg from 'pg';
import { PG_MIGRATIONS, type PgMigration } from './migrations.js';

/** A pool, or one client of it inside a transaction: what a repository runs its SQL on. */
export interface Queryable {
  query<R extends pg.QueryResultRow = pg.QueryResultRow>(
    text: string,
    values?: unknown[],
  ): Promise<pg.QueryResult<R>>;
  /** A named statement (`{ name, text, values }`): parsed and planned once per connection. */
  query<R extends pg.QueryResultRow = pg.QueryResultRow>(config: pg.QueryConfig): Promise<pg.QueryResult<R>>;
}

const INT8 = 20;
/**
 * BIGINT columns (epoch milliseconds, ids, COUNT(*)) come back as JS numbers, not strings: every
 * value the store keeps is far below 2^53. Set per pool, never globally.
 */
export const PG_TYPES = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    oid === INT8
      ? (v: string) => Number(v)
      : pg.types.getTypeParser(oid, format)) as typeof pg.types.getTypeParser,
};

/** Lock id of the migrations (pg_advisory_lock takes a bigint; any fixed number of ours). */
const MIGRATION_LOCK = 0x5ca11c;

/** The server cancels a statement after this long, before the client gives up on it (below). */
export const STATEMENT_TIMEOUT_MS = 25_000;
export const QUERY_TIMEOUT_MS = 30_000;

export function openPool(url: string, options: { max?: number } = {}): pg.Pool {
  const pool = new pg.Pool({
    connectionString: url,
    max: options.max ?? 10,
    types: PG_TYPES,
    // A failover to another address or a partition leaves half-open connections: TCP keep-alives
    // find them, a new connection gives up after 5 s, and no query waits forever on a dead one.
    // The server gives up on a statement (statement_timeout) before the client does (query_timeout):
    // a statement the client has given up on must not commit afterwards (an INSERT retried by the
    // caller would then place the call twice).
    keepAlive: true,
    connectionTimeoutMillis: 5000,
    statement_timeout: STATEMENT_TIMEOUT_MS,
    query_timeout: QUERY_TIMEOUT_MS,
  });
  // An idle client losing its connection (server restart) must not crash the process: the pool
  // drops it and the next query gets a fresh one.
  pool.on('error', () => {});
  return pool;
}

/**
 * One client of the pool for a run of statements (a transaction, the migrations). While checked
 * out, a client whose connection ends (a server restart, pg_terminate_backend) emits 'error', which
 * would crash the process unheard: it is heard here, the running statement fails on its own, and
 * the broken client is destroyed on release instead of going back to the pool.
 */
export async function checkOut(pool: pg.Pool): Promise<{ client: pg.PoolClient; release: () => void }> {
  const client = await pool.connect();
  let lost: Error | undefined;
  const onError = (err: Error) => {
    lost = err;
  };
  client.on('error', onError);
  return {
    client,
    release: () => {
      client.off('error', onError);
      client.release(lost);
    },
  };
}

/**
 * PostgreSQL keeps whole milliseconds: a fractional time (the monotonic clock's) is rounded, as a
 * BIGINT parameter in text form would otherwise be refused.
 */
export function bind(values: readonly unknown[]): unknown[] {
  return values.map((v) =>
    typeof v === 'number' && !Number.isInteger(v) && Number.isFinite(v) ? Math.round(v) : v,
  );
}

/** Applies the migrations not yet applied, in order, each in its own transaction; returns their versions. */
export async function migratePg(
  pool: pg.Pool,
  migrations: readonly PgMigration[] = PG_MIGRATIONS,
): Promise<number[]> {
  const { client, release } = await checkOut(pool);
  const ran: number[] = [];
  try {
    await client.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK]);
    try {
      await client.query(`CREATE TABLE IF NOT EXISTS schema_migrations (
        version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)`);
      const done = new Set(
        (await client.query<{ version: number }>('SELECT version FROM schema_migrations')).rows.map(
          (r) => r.version,
        ),
      );
      for (const m of [...migrations].sort((a, b) => a.version - b.version)) {
        if (done.has(m.version)) continue;
        await client.query('BEGIN');
        try {
          await client.query(m.sql);
          await client.query(
            `INSERT INTO schema_migrations (version, name, applied_at)
             VALUES ($1, $2, (extract(epoch FROM now()) * 1000)::bigint)`,
            [m.version, m.name],
          );
          await client.query('COMMIT');
        } catch (err) {
          await client.query('ROLLBACK');
          throw err;
        }
        ran.push(m.version);
      }
    } finally {
      await client.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK]);
    }
  } finally {
    release();
  }
  return ran;
}
