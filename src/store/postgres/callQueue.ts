/**
 * The call queue shared by every node (issue 15, distributed mode): the `queued` calls in
 * PostgreSQL, claimed with `FOR UPDATE SKIP LOCKED`, and a trunk's limits held across all nodes.
 *
 * - `claim`: a media node takes the oldest queued calls nobody holds (or whose hold lapsed: its node
 *   died), marking them its own until `holdMs` from now: those the active scheduler assigned to it
 *   first (PgSchedulerSession), others only while no scheduler is at work. Claimers never wait on each other and never
 *   get the same call: a row locked by another claimer is skipped, and one claimed meanwhile fails
 *   the re-check PostgreSQL makes after the lock.
 * - `start`: the moment a claimed call may be dialled on a trunk. Under the trunk's advisory lock, in
 *   one statement on the database's clock, it counts the trunk's starts within the last second and
 *   its calls in progress; below both limits it records the start and the call becomes `dialing`.
 *   Every start is checked against all starts before it within one second, on one clock, so no
 *   one-second window (sliding, as carriers count) ever holds more than `cps` starts, whichever
 *   nodes made them (BullMQ's limiter let 15 into one second at 10/s).
 */
import type pg from 'pg';
import type { CallRecord } from '../records.js';
import { type CallRow, toRecord as toCall } from '../sqlite/callTable.js';
import { PgCallRepository } from './callTables.js';
import { inTransaction } from './pgStore.js';
import { one, rows } from './rows.js';

/** Now on the database's clock, epoch ms: one clock for every node. */
const NOW_MS = '(extract(epoch FROM clock_timestamp()) * 1000)::bigint';
const IN_PROGRESS = "('dialing', 'ringing', 'early_media', 'answered')";

export interface TrunkLimits {
  name: string;
  /** Starts at most within any one second. */
  cps: number;
  /** Calls in progress at most. */
  maxCalls: number;
}

export type StartResult =
  /** The call is `dialing` on the trunk; `at` is its start (epoch ms, the database's clock). */
  | { started: true; at: number }
  /** The trunk's second is full: ask again in `retryInMs`. */
  | { started: false; reason: 'cps'; retryInMs: number }
  /** The trunk has `maxCalls` calls in progress: ask again when one ends. */
  | { started: false; reason: 'busy' }
  /** The call is no longer queued, or another node holds it now. */
  | { started: false; reason: 'gone' };

export class PgCallQueue {
  readonly #pool: pg.Pool;
  readonly #node: string;
  readonly #leaseMs: number | undefined;

  /**
   * `node` names this scheduler in the calls it holds (a node id unique in the cluster). With
   * `leaseMs` (media nodes), a started call stays this node's until `leaseMs` from the start, a
   * lease the node renews while the call lives (`renew`); a lapsed one marks an orphan (`claimOrphans`).
   */
  constructor(pool: pg.Pool, node: string, options: { leaseMs?: number } = {}) {
    this.#pool = pool;
    this.#node = node;
    this.#leaseMs = options.leaseMs;
  }

  /** The node named in the calls it holds. */
  get node(): string {
    return this.#node;
  }

  /**
   * Extends this node's hold (queued calls) or lease (calls in progress) on `callIds` to `holdMs`
   * from now; returns the ids still this node's.
   */
  async renew(callIds: readonly string[], holdMs: number): Promise<string[]> {
    if (callIds.length === 0) return [];
    const held = await rows<{ call_id: string }>(
      this.#pool,
      `UPDATE calls SET claimed_until = ${NOW_MS} + $3::bigint
       WHERE call_id = ANY($1::text[]) AND claimed_by = $2 AND state NOT IN ('ended', 'failed')
       RETURNING call_id`,
      [callIds, this.#node, holdMs],
    );
    return held.map((r) => r.call_id);
  }

  /**
   * Calls in progress whose owner's lease lapsed more than `graceMs` ago (the node died; a node only
   * starved for a moment renews within the grace): up to `limit` of them, now this node's for
   * `leaseMs`, to finalise. A lapsed lease is taken by one node only (SKIP LOCKED and the re-check
   * after the lock).
   */
  async claimOrphans(limit: number, leaseMs: number, graceMs = leaseMs): Promise<CallRecord[]> {
    const claimed = await rows<CallRow>(
      this.#pool,
      `UPDATE calls SET claimed_by = $1, claimed_until = ${NOW_MS} + $2::bigint
       WHERE call_id IN (
         SELECT call_id FROM calls
         WHERE state IN ${IN_PROGRESS} AND claimed_by IS NOT NULL
           AND claimed_until < ${NOW_MS} - $4::bigint
         ORDER BY created_at, call_id LIMIT $3
         FOR UPDATE SKIP LOCKED)
       RETURNING *`,
      [this.#node, leaseMs, limit, graceMs],
    );
    return claimed.map(toCall);
  }

  /**
   * Up to `limit` queued calls, oldest first, now held by this node for `holdMs`: first those the
   * scheduler assigned to this node (assignment not lapsed), then, only while no scheduler's beacon
   * is live (none runs, it died, or it sees no media node), any call nobody holds whose assignment is
   * absent or lapsed — so without a working scheduler calls flow exactly as they did before it.
   */
  async claim(limit: number, holdMs: number): Promise<CallRecord[]> {
    const assigned = await rows<CallRow>(
      this.#pool,
      `UPDATE calls SET claimed_by = $1, claimed_until = ${NOW_MS} + $2::bigint
       WHERE call_id IN (
         SELECT call_id FROM calls
         WHERE state = 'queued' AND assigned_node = $1 AND assigned_until >= ${NOW_MS}
           AND (claimed_until IS NULL OR claimed_until < ${NOW_MS})
         ORDER BY created_at, call_id LIMIT $3
         FOR UPDATE SKIP LOCKED)
       RETURNING *`,
      [this.#node, holdMs, limit],
    );
    const any =
      assigned.length >= limit
        ? []
        : await rows<CallRow>(
            this.#pool,
            `UPDATE calls SET claimed_by = $1, claimed_until = ${NOW_MS} + $2::bigint
             WHERE call_id IN (
               SELECT call_id FROM calls
               WHERE state = 'queued' AND (claimed_until IS NULL OR claimed_until < ${NOW_MS})
                 AND (assigned_until IS NULL OR assigned_until < ${NOW_MS})
                 AND NOT EXISTS (SELECT 1 FROM scheduler_beacon WHERE until_ms >= ${NOW_MS})
               ORDER BY created_at, call_id LIMIT $3
               FOR UPDATE SKIP LOCKED)
             RETURNING *`,
            [this.#node, holdMs, limit - assigned.length],
          );
    return [...assigned, ...any]
      .map(toCall)
      .sort((a, b) => a.createdAt - b.createdAt || (a.callId < b.callId ? -1 : 1));
  }

  /**
   * Writes a call this node took from outside the queue (an inbound call: never `queued`) as this
   * node's, leased for `leaseMs` from now, in one transaction: from its first row it is renewed with
   * this node's calls and, should the node die, finalised by another node's `claimOrphans`. False
   * when the CallId exists already.
   */
  async insertOwned(record: CallRecord, leaseMs: number): Promise<boolean> {
    return inTransaction(this.#pool, async (db) => {
      if (!(await new PgCallRepository(db).insert(record))) return false;
      await db.query(
        `UPDATE calls SET claimed_by = $2, claimed_until = ${NOW_MS} + $3::bigint WHERE call_id = $1`,
        [record.callId, this.#node, leaseMs],
      );
      return true;
    });
  }

  /** Gives a held call back to the queue (another node may claim it at once; the scheduler places it again). */
  async release(callId: string): Promise<void> {
    await this.#pool.query(
      `UPDATE calls SET claimed_by = NULL, claimed_until = NULL, assigned_node = NULL, assigned_until = NULL
       WHERE call_id = $1 AND claimed_by = $2 AND state = 'queued'`,
      [callId, this.#node],
    );
  }

  /** Starts a call this node holds on `trunk`, if the trunk's limits allow it now. */
  async start(callId: string, trunk: TrunkLimits): Promise<StartResult> {
    return inTransaction(this.#pool, async (db) => {
      // One start at a time per trunk, cluster-wide; other trunks are not held up.
      await db.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`smartcall.trunk:${trunk.name}`]);
      const held = await one<{ state: string; claimed_by: string | null }>(
        db,
        'SELECT state, claimed_by FROM calls WHERE call_id = $1 FOR UPDATE',
        [callId],
      );
      if (held?.state !== 'queued' || held.claimed_by !== this.#node)
        return { started: false, reason: 'gone' };
      const r = (await one<{ window: number; busy: number; wait_ms: number | null; at_ms: number | null }>(
        db,
        `WITH now AS (SELECT clock_timestamp() AS t),
         win AS (SELECT count(*) AS n, min(s.at) AS oldest FROM trunk_starts s, now
                 WHERE s.trunk = $1 AND s.at > now.t - interval '1 second'),
         busy AS (SELECT count(*) AS n FROM calls WHERE trunk = $1 AND state IN ${IN_PROGRESS}),
         ins AS (INSERT INTO trunk_starts (trunk, call_id, node, at)
                 SELECT $1, $2, $3, now.t FROM now, win, busy WHERE win.n < $4 AND busy.n < $5
                 RETURNING at)
         SELECT win.n AS window, busy.n AS busy,
           ceil(extract(epoch FROM (win.oldest + interval '1 second' - now.t)) * 1000)::bigint AS wait_ms,
           (SELECT round(extract(epoch FROM at) * 1000)::bigint FROM ins) AS at_ms
         FROM now, win, busy`,
        [trunk.name, callId, this.#node, trunk.cps, trunk.maxCalls],
      ))!;
      if (r.at_ms === null) {
        if (r.busy >= trunk.maxCalls) return { started: false, reason: 'busy' };
        return { started: false, reason: 'cps', retryInMs: Math.max(1, r.wait_ms ?? 1) };
      }
      await db.query(
        `UPDATE calls SET state = 'dialing', trunk = $2, originate_at = $3,
           claimed_until = CASE WHEN $4::bigint IS NULL THEN NULL ELSE $3::bigint + $4::bigint END
         WHERE call_id = $1`,
        [callId, trunk.name, r.at_ms, this.#leaseMs ?? null],
      );
      // Starts older than the window are only history; a minute of it is kept for inspection.
      await db.query(
        `DELETE FROM trunk_starts WHERE trunk = $1 AND at < clock_timestamp() - interval '1 minute'`,
        [trunk.name],
      );
      return { started: true, at: r.at_ms };
    });
  }
}
