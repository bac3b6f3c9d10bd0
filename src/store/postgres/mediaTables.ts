/** Voice files, ASR phrase models, TTS templates and dialog scripts in PostgreSQL (rows as in SQLite). */
import type { Async } from '../asyncStore.js';
import type { AsrModelRecord, DialogScriptRecord, TtsTemplateRecord, VoiceFileRecord } from '../records.js';
import type {
  AsrModelRepository,
  DialogScriptRepository,
  TtsTemplateRepository,
  VoiceFileRepository,
} from '../repositories.js';
import { type Row as DialogScriptRow, toRecord as toDialogScript } from '../sqlite/dialogScriptTable.js';
import {
  type AsrModelRow,
  type TtsTemplateRow,
  toAsrModel,
  toTtsTemplate,
  toVoiceFile,
  type VoiceFileRow,
} from '../sqlite/mediaTables.js';
import type { Queryable } from './pgDatabase.js';
import { changes, one, rows } from './rows.js';

export class PgVoiceFileRepository implements Async<VoiceFileRepository> {
  constructor(readonly db: Queryable) {}

  async insert(r: VoiceFileRecord): Promise<void> {
    await changes(
      this.db,
      'INSERT INTO voice_files (id, account_id, name, path, duration_ms, created_at) VALUES ($1, $2, $3, $4, $5, $6)',
      [r.id, r.accountId, r.name, r.path, r.durationMs, r.createdAt],
    );
  }

  async find(accountId: number, id: string): Promise<VoiceFileRecord | undefined> {
    const row = await one<VoiceFileRow>(
      this.db,
      'SELECT * FROM voice_files WHERE account_id = $1 AND id = $2',
      [accountId, id],
    );
    return row && toVoiceFile(row);
  }

  async findEverywhere(id: string): Promise<VoiceFileRecord[]> {
    return (
      await rows<VoiceFileRow>(this.db, 'SELECT * FROM voice_files WHERE id = $1 ORDER BY account_id', [id])
    ).map(toVoiceFile);
  }

  async listByAccount(accountId: number): Promise<VoiceFileRecord[]> {
    return (
      await rows<VoiceFileRow>(
        this.db,
        'SELECT * FROM voice_files WHERE account_id = $1 ORDER BY created_at, id',
        [accountId],
      )
    ).map(toVoiceFile);
  }
}

export class PgAsrModelRepository implements Async<AsrModelRepository> {
  constructor(readonly db: Queryable) {}

  async insert(r: AsrModelRecord): Promise<void> {
    await changes(
      this.db,
      'INSERT INTO asr_models (id, account_id, name, phrases, created_at) VALUES ($1, $2, $3, $4, $5)',
      [r.id, r.accountId, r.name, r.phrases, r.createdAt],
    );
  }

  async find(accountId: number, id: string): Promise<AsrModelRecord | undefined> {
    const row = await one<AsrModelRow>(
      this.db,
      'SELECT * FROM asr_models WHERE account_id = $1 AND id = $2',
      [accountId, id],
    );
    return row && toAsrModel(row);
  }

  async findEverywhere(id: string): Promise<AsrModelRecord[]> {
    return (
      await rows<AsrModelRow>(this.db, 'SELECT * FROM asr_models WHERE id = $1 ORDER BY account_id', [id])
    ).map(toAsrModel);
  }

  async listByAccount(accountId: number): Promise<AsrModelRecord[]> {
    return (
      await rows<AsrModelRow>(
        this.db,
        'SELECT * FROM asr_models WHERE account_id = $1 ORDER BY created_at, id',
        [accountId],
      )
    ).map(toAsrModel);
  }

  async update(accountId: number, id: string, change: { name: string; phrases: string }): Promise<boolean> {
    return (
      (await changes(
        this.db,
        'UPDATE asr_models SET name = $1, phrases = $2 WHERE account_id = $3 AND id = $4',
        [change.name, change.phrases, accountId, id],
      )) > 0
    );
  }
}

export class PgTtsTemplateRepository implements Async<TtsTemplateRepository> {
  constructor(readonly db: Queryable) {}

  async insert(r: TtsTemplateRecord): Promise<void> {
    await changes(
      this.db,
      'INSERT INTO tts_templates (id, account_id, name, text, created_at) VALUES ($1, $2, $3, $4, $5)',
      [r.id, r.accountId, r.name, r.text, r.createdAt],
    );
  }

  async find(accountId: number, id: string): Promise<TtsTemplateRecord | undefined> {
    const row = await one<TtsTemplateRow>(
      this.db,
      'SELECT * FROM tts_templates WHERE account_id = $1 AND id = $2',
      [accountId, id],
    );
    return row && toTtsTemplate(row);
  }

  async findEverywhere(id: string): Promise<TtsTemplateRecord[]> {
    return (
      await rows<TtsTemplateRow>(this.db, 'SELECT * FROM tts_templates WHERE id = $1 ORDER BY account_id', [
        id,
      ])
    ).map(toTtsTemplate);
  }

  async listByAccount(accountId: number): Promise<TtsTemplateRecord[]> {
    return (
      await rows<TtsTemplateRow>(
        this.db,
        'SELECT * FROM tts_templates WHERE account_id = $1 ORDER BY created_at, id',
        [accountId],
      )
    ).map(toTtsTemplate);
  }

  async remove(accountId: number, id: string): Promise<boolean> {
    return (
      (await changes(this.db, 'DELETE FROM tts_templates WHERE account_id = $1 AND id = $2', [
        accountId,
        id,
      ])) > 0
    );
  }
}

export class PgDialogScriptRepository implements Async<DialogScriptRepository> {
  constructor(readonly db: Queryable) {}

  async put(r: DialogScriptRecord): Promise<void> {
    await changes(
      this.db,
      `INSERT INTO dialog_scripts (id, account_id, name, source, script, created_at, updated_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7)
       ON CONFLICT (account_id, id) DO UPDATE SET
         name = excluded.name, source = excluded.source, script = excluded.script, updated_at = excluded.updated_at`,
      [r.id, r.accountId, r.name, r.source, r.script, r.createdAt, r.updatedAt],
    );
  }

  async find(accountId: number, id: string): Promise<DialogScriptRecord | undefined> {
    const row = await one<DialogScriptRow>(
      this.db,
      'SELECT * FROM dialog_scripts WHERE account_id = $1 AND id = $2',
      [accountId, id],
    );
    return row && toDialogScript(row);
  }

  async listByAccount(accountId: number): Promise<DialogScriptRecord[]> {
    return (
      await rows<DialogScriptRow>(this.db, 'SELECT * FROM dialog_scripts WHERE account_id = $1 ORDER BY id', [
        accountId,
      ])
    ).map(toDialogScript);
  }

  async remove(accountId: number, id: string): Promise<boolean> {
    return (
      (await changes(this.db, 'DELETE FROM dialog_scripts WHERE account_id = $1 AND id = $2', [
        accountId,
        id,
      ])) > 0
    );
  }
}
