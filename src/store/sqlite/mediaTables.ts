/**
 * Voice files, ASR phrase models and TTS templates: per-account media keyed by an ID the API
 * names.
 */

import type { AsrModelRecord, TtsTemplateRecord, VoiceFileRecord } from '../records.js';
import type { AsrModelRepository, TtsTemplateRepository, VoiceFileRepository } from '../repositories.js';
import type { SqliteDatabase } from './database.js';

export interface VoiceFileRow {
  id: string;
  account_id: number;
  name: string;
  path: string;
  duration_ms: number;
  created_at: number;
}

export const toVoiceFile = (r: VoiceFileRow): VoiceFileRecord => ({
  id: r.id,
  accountId: r.account_id,
  name: r.name,
  path: r.path,
  durationMs: r.duration_ms,
  createdAt: r.created_at,
});

export class SqliteVoiceFileRepository implements VoiceFileRepository {
  readonly #db: SqliteDatabase;
  readonly #find;

  constructor(db: SqliteDatabase) {
    this.#db = db;
    this.#find = db.prepare<[number, string], VoiceFileRow>(
      'SELECT * FROM voice_files WHERE account_id = ? AND id = ?',
    );
  }

  insert(r: VoiceFileRecord): void {
    this.#db
      .prepare(
        'INSERT INTO voice_files (id, account_id, name, path, duration_ms, created_at) VALUES (?, ?, ?, ?, ?, ?)',
      )
      .run(r.id, r.accountId, r.name, r.path, r.durationMs, r.createdAt);
  }

  find(accountId: number, id: string): VoiceFileRecord | undefined {
    const row = this.#find.get(accountId, id);
    return row && toVoiceFile(row);
  }

  findEverywhere(id: string): VoiceFileRecord[] {
    return this.#db
      .prepare<[string], VoiceFileRow>('SELECT * FROM voice_files WHERE id = ? ORDER BY account_id')
      .all(id)
      .map(toVoiceFile);
  }

  listByAccount(accountId: number): VoiceFileRecord[] {
    return this.#db
      .prepare<[number], VoiceFileRow>('SELECT * FROM voice_files WHERE account_id = ? ORDER BY created_at')
      .all(accountId)
      .map(toVoiceFile);
  }
}

export interface AsrModelRow {
  id: string;
  account_id: number;
  name: string;
  phrases: string;
  created_at: number;
}

export const toAsrModel = (r: AsrModelRow): AsrModelRecord => ({
  id: r.id,
  accountId: r.account_id,
  name: r.name,
  phrases: r.phrases,
  createdAt: r.created_at,
});

export class SqliteAsrModelRepository implements AsrModelRepository {
  readonly #db: SqliteDatabase;
  readonly #find;

  constructor(db: SqliteDatabase) {
    this.#db = db;
    this.#find = db.prepare<[number, string], AsrModelRow>(
      'SELECT * FROM asr_models WHERE account_id = ? AND id = ?',
    );
  }

  insert(r: AsrModelRecord): void {
    this.#db
      .prepare('INSERT INTO asr_models (id, account_id, name, phrases, created_at) VALUES (?, ?, ?, ?, ?)')
      .run(r.id, r.accountId, r.name, r.phrases, r.createdAt);
  }

  find(accountId: number, id: string): AsrModelRecord | undefined {
    const row = this.#find.get(accountId, id);
    return row && toAsrModel(row);
  }

  findEverywhere(id: string): AsrModelRecord[] {
    return this.#db
      .prepare<[string], AsrModelRow>('SELECT * FROM asr_models WHERE id = ? ORDER BY account_id')
      .all(id)
      .map(toAsrModel);
  }

  listByAccount(accountId: number): AsrModelRecord[] {
    return this.#db
      .prepare<[number], AsrModelRow>('SELECT * FROM asr_models WHERE account_id = ? ORDER BY created_at')
      .all(accountId)
      .map(toAsrModel);
  }

  update(accountId: number, id: string, change: { name: string; phrases: string }): boolean {
    return (
      this.#db
        .prepare('UPDATE asr_models SET name = ?, phrases = ? WHERE account_id = ? AND id = ?')
        .run(change.name, change.phrases, accountId, id).changes > 0
    );
  }
}

export interface TtsTemplateRow {
  id: string;
  account_id: number;
  name: string;
  text: string;
  created_at: number;
}

export const toTtsTemplate = (r: TtsTemplateRow): TtsTemplateRecord => ({
  id: r.id,
  accountId: r.account_id,
  name: r.name,
  text: r.text,
  createdAt: r.created_at,
});

export class SqliteTtsTemplateRepository implements TtsTemplateRepository {
  readonly #db: SqliteDatabase;
  readonly #find;

  constructor(db: SqliteDatabase) {
    this.#db = db;
    this.#find = db.prepare<[number, string], TtsTemplateRow>(
      'SELECT * FROM tts_templates WHERE account_id = ? AND id = ?',
    );
  }

  insert(r: TtsTemplateRecord): void {
    this.#db
      .prepare('INSERT INTO tts_templates (id, account_id, name, text, created_at) VALUES (?, ?, ?, ?, ?)')
      .run(r.id, r.accountId, r.name, r.text, r.createdAt);
  }

  find(accountId: number, id: string): TtsTemplateRecord | undefined {
    const row = this.#find.get(accountId, id);
    return row && toTtsTemplate(row);
  }

  findEverywhere(id: string): TtsTemplateRecord[] {
    return this.#db
      .prepare<[string], TtsTemplateRow>('SELECT * FROM tts_templates WHERE id = ? ORDER BY account_id')
      .all(id)
      .map(toTtsTemplate);
  }

  listByAccount(accountId: number): TtsTemplateRecord[] {
    return this.#db
      .prepare<[number], TtsTemplateRow>(
        'SELECT * FROM tts_templates WHERE account_id = ? ORDER BY created_at, id',
      )
      .all(accountId)
      .map(toTtsTemplate);
  }

  remove(accountId: number, id: string): boolean {
    return (
      this.#db.prepare('DELETE FROM tts_templates WHERE account_id = ? AND id = ?').run(accountId, id)
        .changes > 0
    );
  }
}
