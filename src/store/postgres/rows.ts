/**
 * The one way the PostgreSQL repositories run SQL: parameters bound (whole milliseconds), rows typed.
 * PostgreSQL refuses a NUL character in text (22021), and a callback's body may carry one: it is
 * taken out of every text parameter here, so such a write lands instead of failing for ever.
 */
import type pg from 'pg';
import { bind as bindValues, type Queryable } from './pgDatabase.js';

const bind = (values: readonly unknown[]): unknown[] =>
  bindValues(values).map((v) =>
    typeof v === 'string' && v.includes('\u0000') ? v.replaceAll('\u0000', '') : v,
  );

/** One value as `bind` binds it (a field of a batch sent as JSON, PgCallRepository.insertAll). */
export function bindValue(v: unknown): unknown {
  if (typeof v === 'number') return Number.isInteger(v) || !Number.isFinite(v) ? v : Math.round(v);
  return typeof v === 'string' && v.includes('\u0000') ? v.replaceAll('\u0000', '') : v;
}

export async function rows<R extends pg.QueryResultRow>(
  db: Queryable,
  sql: string,
  values: readonly unknown[] = [],
): Promise<R[]> {
  return (await db.query<R>(sql, bind(values))).rows;
}

export async function one<R extends pg.QueryResultRow>(
  db: Queryable,
  sql: string,
  values: readonly unknown[] = [],
): Promise<R | undefined> {
  return (await db.query<R>(sql, bind(values))).rows[0];
}

/** Rows changed by a write. */
export async function changes(db: Queryable, sql: string, values: readonly unknown[] = []): Promise<number> {
  return (await db.query(sql, bind(values))).rowCount ?? 0;
}
