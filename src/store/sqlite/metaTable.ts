import type { MetaRepository } from '../repositories.js';
import type { SqliteDatabase } from './database.js';

export class SqliteMetaRepository implements MetaRepository {
  readonly #get;
  readonly #set;

  constructor(db: SqliteDatabase) {
    this.#get = db.prepare<[string], { value: string }>('SELECT value FROM meta WHERE key = ?');
    this.#set = db.prepare(
      'INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value',
    );
  }

  get(key: string): string | undefined {
    return this.#get.get(key)?.value;
  }

  set(key: string, value: string): void {
    this.#set.run(key, value);
  }
}
