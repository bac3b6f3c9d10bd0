/**
 * An account's ASR phrase models (AsrModelId): what `smartcall admin asr-model` and the console do.
 * A phrase list is checked line by line before it is kept; a model ID is issued, or kept when
 * brought along (e.g. the Alibaba one) and new to the installation: IDs are unique, as at Alibaba.
 */
import { randomBytes } from 'node:crypto';
import { wholeMs } from '../clock/clock.js';
import { ASR_BASE_IDS } from '../contract/smartCallRequest.js';
import { BUILTIN_PHRASE_MODELS } from '../speech/phrase/builtinPhrases.js';
import { parsePhraseList } from '../speech/phrase/phraseList.js';
import type { AsrModelRecord } from '../store/records.js';
import type { Store } from '../store/repositories.js';

export class AsrModelError extends Error {
  override name = 'AsrModelError';
}

const MODEL_ID = /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/;
export const MODEL_ID_RULE =
  'an ASR model ID is 1-64 letters, digits, "_" or "-", starting with a letter or digit ' +
  '(e.g. 2070aca1eff146f9a7bc826f1c3d0001), and not a base model ID';

/** Phrases on the list (blank lines and `#` comments are not). */
export function phraseCount(phrases: string): number {
  return phrases.split(/\r?\n/).filter((l) => l.trim() && !l.trimStart().startsWith('#')).length;
}

/** The list's first problem with its line number (`line 3: …`), as an AsrModelError. */
export function checkPhrases(phrases: string): void {
  try {
    parsePhraseList(phrases);
  } catch (err) {
    throw new AsrModelError((err as Error).message);
  }
}

export class AsrModels {
  readonly #store: Store;
  readonly #now: () => number;

  constructor(store: Store, now: () => number = () => wholeMs()) {
    this.#store = store;
    this.#now = now;
  }

  create(
    accountId: number,
    input: { name: string; phrases: string; id?: string | undefined },
  ): AsrModelRecord {
    if (input.name.trim() === '') throw new AsrModelError('the model needs a name');
    checkPhrases(input.phrases);
    const record: AsrModelRecord = {
      id: input.id ?? randomBytes(16).toString('hex'),
      accountId,
      name: input.name.trim(),
      phrases: input.phrases,
      createdAt: this.#now(),
    };
    this.#store.transaction(() => {
      if (input.id !== undefined) this.#checkNewId(record.id);
      this.#store.asrModels.insert(record);
    });
    return record;
  }

  /** A new name and phrase list for the account's model; its ID stays. */
  update(accountId: number, id: string, input: { name: string; phrases: string }): AsrModelRecord {
    if (input.name.trim() === '') throw new AsrModelError('the model needs a name');
    checkPhrases(input.phrases);
    const change = { name: input.name.trim(), phrases: input.phrases };
    if (!this.#store.asrModels.update(accountId, id, change))
      throw new AsrModelError(`no ASR model ${id} in this account`);
    return this.#store.asrModels.find(accountId, id)!;
  }

  find(accountId: number, id: string): AsrModelRecord | undefined {
    return this.#store.asrModels.find(accountId, id);
  }

  list(accountId: number): AsrModelRecord[] {
    return this.#store.asrModels.listByAccount(accountId);
  }

  #checkNewId(id: string): void {
    if (!MODEL_ID.test(id) || id in BUILTIN_PHRASE_MODELS || (ASR_BASE_IDS as readonly string[]).includes(id))
      throw new AsrModelError(`"${id}" is not a valid ASR model ID: ${MODEL_ID_RULE}`);
    if (this.#store.asrModels.findEverywhere(id).length > 0)
      throw new AsrModelError(`ASR model ID ${id} is already taken; nothing was changed`);
  }
}
