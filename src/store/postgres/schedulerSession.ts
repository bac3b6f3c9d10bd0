/**
 * The scheduler's one database session (`serve --role scheduler`, issue 15). Which scheduler is
 * active is a session advisory lock (`pg_try_advisory_lock`) held on this dedicated connection: a
 * killed scheduler's connection ends and PostgreSQL frees the lock at once; a standby that asks
 * again (about every second) takes it. Every statement of the active scheduler runs on this same
 * session, so a scheduler whose session ended (and so lost the lock) can place nothing more: it is
 * fenced by construction.
 *
 * What it writes is placement only, never correctness: `assigned_node` / `assigned_until` on queued
 * calls (a media node claims its assigned calls first; an assignment lapses by itself) and the
 * beacon (`scheduler_beacon`: while live, media nodes claim only what is assigned to them). Claims
 * (`FOR UPDATE SKIP LOCKED`) and starts (`PgCallQueue.start`) stay what keeps a call from being
 * placed twice and a trunk's limits exact. Times are the database's clock.
 */
import pg from 'pg';
import { within } from '../../clock/within.js';
import { PG_TYPES } from './pgDatabase.js';
import { one, rows } from './rows.js';

const NOW_MS = '(extract(epoch FROM clock_timestamp()) * 1000)::bigint';
const IN_PROGRESS = "('dialing', 'ringing', 'early_media', 'answered')";
/** The advisory lock of the active scheduler (hashtext of this name). */
const LOCK = 'smartcall.scheduler';
/** Notified by a scheduler that lets the lock go, so standbys ask at once rather than at their next try. */
const RELEASED = 'smartcall_scheduler_released';
/**
 * How soon the server notices this session's peer is gone (host powered off, network cut) and so
 * frees the lock: keep-alive probes after 5 s idle, every 2 s, dead after 3 unanswered (≈ 11 s),
 * and unacknowledged data abandoned after 11 s (tcp_user_timeout, in ms). Without them the server's
 * defaults (2 h idle, ~15 min of retransmissions) would keep a dead scheduler active that long.
 */
export const SCHEDULER_KEEPALIVES = {
  tcp_keepalives_idle: 5,
  tcp_keepalives_interval: 2,
  tcp_keepalives_count: 3,
  tcp_user_timeout: 11_000,
} as const;
/** The client side's first keep-alive probe (its interval and count are the OS's). */
const CLIENT_KEEPALIVE_MS = 5000;
/** How long a clean goodbye may take before the socket is destroyed (a half-open one never answers). */
const CLOSE_MS = 1000;

/**
 * The startup `options` of the session: the keep-alive settings after any `options` of the URL
 * (whose own value would otherwise replace ours), and the URL without it.
 */
function withKeepalives(url: string): { url: string; options: string } {
  const ours = Object.entries(SCHEDULER_KEEPALIVES)
    .map(([k, v]) => `-c ${k}=${v}`)
    .join(' ');
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return { url, options: ours };
  }
  const theirs = parsed.searchParams.get('options');
  if (theirs === null) return { url, options: ours };
  parsed.searchParams.delete('options');
  return { url: parsed.toString(), options: `${theirs} ${ours}` };
}

/** A queued call the scheduler may place; `lapsedOn` names a node that let its assignment lapse. */
export interface PlaceableCall {
  callId: string;
  lapsedOn: string | null;
}

/** What the database says a media node carries: queued calls it holds or is assigned, calls in progress. */
export interface QueueLoad {
  pending: number;
  inProgress: number;
}

export class PgSchedulerSession {
  readonly #client: pg.Client;
  #lost: Error | undefined;

  private constructor(client: pg.Client) {
    this.#client = client;
    // The connection ending (killed backend, server restart) must not crash the process: the next
    // statement fails and the scheduler stands by.
    client.on('error', (err) => {
      this.#lost = err;
    });
  }

  /**
   * A new session (its own connection, TCP keep-alives on both sides, the server's short: a dead
   * peer is noticed within seconds, SCHEDULER_KEEPALIVES).
   */
  static async open(url: string): Promise<PgSchedulerSession> {
    const startup = withKeepalives(url);
    const client = new pg.Client({
      connectionString: startup.url,
      options: startup.options,
      types: PG_TYPES,
      keepAlive: true,
      keepAliveInitialDelayMillis: CLIENT_KEEPALIVE_MS,
      connectionTimeoutMillis: 5000,
      query_timeout: 10_000,
      application_name: 'smartcall-scheduler',
    });
    const session = new PgSchedulerSession(client);
    try {
      await client.connect();
    } catch (err) {
      await session.close();
      throw err;
    }
    return session;
  }

  /** What the server applies to this session's connection (0 on a Unix socket, where none apply). */
  async keepalives(): Promise<Record<keyof typeof SCHEDULER_KEEPALIVES, number>> {
    const r = await rows<{ name: keyof typeof SCHEDULER_KEEPALIVES; setting: string }>(
      this.#client,
      'SELECT name, setting FROM pg_settings WHERE name = ANY($1::text[])',
      [Object.keys(SCHEDULER_KEEPALIVES)],
    );
    const out = {
      tcp_keepalives_idle: 0,
      tcp_keepalives_interval: 0,
      tcp_keepalives_count: 0,
      tcp_user_timeout: 0,
    };
    for (const x of r) out[x.name] = Number(x.setting);
    return out;
  }

  /** Calls `listener` when an active scheduler lets the lock go (LISTEN on this session). */
  async onReleased(listener: () => void): Promise<void> {
    this.#client.on('notification', (n) => {
      if (n.channel === RELEASED) listener();
    });
    await this.#client.query(`LISTEN ${RELEASED}`);
  }

  /** Lets the lock go now and wakes the standbys (a clean stop; a killed session frees it too). */
  async release(): Promise<void> {
    await this.#client.query('SELECT pg_advisory_unlock(hashtext($1))', [LOCK]);
    await this.#client.query(`NOTIFY ${RELEASED}`);
  }

  /** Why the connection ended, once it has. */
  get lost(): Error | undefined {
    return this.#lost;
  }

  /** True once this session holds the scheduler lock (it keeps it until the session ends). */
  async tryLock(): Promise<boolean> {
    const r = await one<{ got: boolean }>(this.#client, 'SELECT pg_try_advisory_lock(hashtext($1)) AS got', [
      LOCK,
    ]);
    return r?.got === true;
  }

  /** Tells media nodes a scheduler places calls, until `ms` from now. */
  async beacon(node: string, ms: number): Promise<void> {
    await this.#client.query(
      `INSERT INTO scheduler_beacon (id, node, until_ms) VALUES (1, $1, ${NOW_MS} + $2::bigint)
       ON CONFLICT (id) DO UPDATE SET node = excluded.node, until_ms = excluded.until_ms`,
      [node, ms],
    );
  }

  /** Lets media nodes claim any call again at once (this scheduler stops placing). */
  async dropBeacon(node: string): Promise<void> {
    await this.#client.query('DELETE FROM scheduler_beacon WHERE node = $1', [node]);
  }

  /** Per media node (queue name): the queued calls it holds or is assigned, and its calls in progress. */
  async load(): Promise<Map<string, QueueLoad>> {
    const r = await rows<{ node: string; pending: number; in_progress: number }>(
      this.#client,
      `SELECT node, sum(pending)::bigint AS pending, sum(in_progress)::bigint AS in_progress FROM (
         SELECT CASE WHEN claimed_until >= ${NOW_MS} THEN claimed_by ELSE assigned_node END AS node,
           1 AS pending, 0 AS in_progress
         FROM calls WHERE state = 'queued' AND (claimed_until >= ${NOW_MS} OR assigned_until >= ${NOW_MS})
         UNION ALL
         SELECT claimed_by, 0, 1 FROM calls WHERE state IN ${IN_PROGRESS} AND claimed_by IS NOT NULL
       ) l GROUP BY node`,
    );
    return new Map(r.map((x) => [x.node, { pending: x.pending, inProgress: x.in_progress }]));
  }

  /**
   * Up to `limit` queued calls, oldest first, that nobody holds and that are not assigned to one of
   * `live` (no assignment, a lapsed one, or one to a node that is gone).
   */
  async placeable(live: readonly string[], limit: number): Promise<PlaceableCall[]> {
    const r = await rows<{ call_id: string; lapsed_on: string | null }>(
      this.#client,
      `SELECT call_id, CASE WHEN assigned_until < ${NOW_MS} THEN assigned_node END AS lapsed_on
       FROM calls
       WHERE state = 'queued' AND (claimed_until IS NULL OR claimed_until < ${NOW_MS})
         AND (assigned_until IS NULL OR assigned_until < ${NOW_MS} OR assigned_node <> ALL($1::text[]))
       ORDER BY created_at, call_id LIMIT $2`,
      [live, limit],
    );
    return r.map((x) => ({ callId: x.call_id, lapsedOn: x.lapsed_on }));
  }

  /**
   * Assigns each call to its node until `ms` from now, if it is still placeable (a node may have
   * claimed it meanwhile); returns how many were assigned.
   */
  async assign(placements: readonly { callId: string; node: string }[], ms: number): Promise<number> {
    if (placements.length === 0) return 0;
    const r = await this.#client.query(
      `UPDATE calls c SET assigned_node = p.node, assigned_until = ${NOW_MS} + $3::bigint
       FROM unnest($1::text[], $2::text[]) AS p(call_id, node)
       WHERE c.call_id = p.call_id AND c.state = 'queued'
         AND (c.claimed_until IS NULL OR c.claimed_until < ${NOW_MS})`,
      [placements.map((p) => p.callId), placements.map((p) => p.node), ms],
    );
    return r.rowCount ?? 0;
  }

  /** The default trunk's CPS (what media nodes start from), undefined when there is none. */
  async defaultCps(): Promise<number | undefined> {
    const r = await one<{ cps: number }>(this.#client, 'SELECT cps FROM trunks WHERE is_default = 1');
    return r?.cps;
  }

  /**
   * Ends the session: PostgreSQL frees the lock at once (a standby takes over). A goodbye that is
   * not answered within CLOSE_MS (a half-open socket: the server's host is gone or cut off) is not
   * waited for: the socket is destroyed.
   */
  async close(): Promise<void> {
    if (!(await within(this.#client.end(), CLOSE_MS))) this.#client.connection.stream.destroy();
  }
}
