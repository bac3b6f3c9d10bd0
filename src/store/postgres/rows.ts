/** The one way the PostgreSQL repositories run SQL: parameters bound (whole milliseconds), rows typed. */
import type pg from 'pg';
import { bind, type Queryable } from './pgDatabase.js';

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
