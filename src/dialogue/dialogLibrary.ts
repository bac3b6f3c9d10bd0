/**
 * An account's dialog scripts (issue 16 item 3): added from a YAML or JSON file, listed, shown,
 * removed, and resolved by `DialogId` when a call names one (SmartCall; a campaign's
 * BatchRobotSmartCall calls `resolveDialog` too). A script is checked when it is added — its shape,
 * its node references, its phrases, and the voice files and TTS templates its `play`s name — so a
 * call never starts with a broken one; the call keeps the script it was accepted with.
 */
import { basename, extname } from 'node:path';
import { type Clock, systemClock } from '../clock/clock.js';
import { DIALOG_ID, DIALOG_ID_RULE, type DialogScript } from '../contract/dialogScript.js';
import { parseVoiceCode } from '../contract/voiceCode.js';
import { isTtsTemplateId } from '../media-library/mediaIds.js';
import type { DialogScriptRecord } from '../store/records.js';
import type { Store } from '../store/repositories.js';
import { loadDialogScript, type ScriptCheck } from './dialogScriptFile.js';

export class DialogLibraryError extends Error {
  override name = 'DialogLibraryError';
}

type Deps = Pick<Store, 'dialogScripts' | 'voiceFiles' | 'ttsTemplates'>;

/** The script a call runs, as the call's request keeps it. */
export interface ResolvedDialog {
  id: string;
  script: DialogScript;
}

/**
 * The account's script named `dialogId`, or undefined when it has none of that ID: what SmartCall
 * and BatchRobotSmartCall store with the call (answer `isv.INVALID_PARAMETERS` on undefined).
 */
export function resolveDialog(
  store: Pick<Store, 'dialogScripts'>,
  accountId: number,
  dialogId: string,
): ResolvedDialog | undefined {
  const record = store.dialogScripts.find(accountId, dialogId);
  return record && { id: record.id, script: JSON.parse(record.script) as DialogScript };
}

export class DialogLibrary {
  readonly #store: Deps;
  readonly #clock: Clock;

  constructor(store: Deps, clock: Clock = systemClock) {
    this.#store = store;
    this.#clock = clock;
  }

  /**
   * Checks the file and stores it under `id` (default: the file's name without its extension),
   * replacing the account's script of that ID. Throws a `DialogScriptError` naming file:line:column
   * for problems in the file, a `DialogLibraryError` for a bad ID.
   */
  add(accountId: number, file: string, options: { id?: string } = {}): DialogScriptRecord {
    const id = options.id ?? basename(file, extname(file));
    if (!DIALOG_ID.test(id))
      throw new DialogLibraryError(
        `dialog ID "${id}" is not valid: ${DIALOG_ID_RULE}${options.id ? '' : ' (give one with --id)'}`,
      );
    const { script, source } = loadDialogScript(file, this.#mediaCheck(accountId));
    const now = Math.round(this.#clock.now());
    const before = this.#store.dialogScripts.find(accountId, id);
    const record: DialogScriptRecord = {
      id,
      accountId,
      name: script.name ?? id,
      source,
      script: JSON.stringify(script),
      createdAt: before?.createdAt ?? now,
      updatedAt: now,
    };
    this.#store.dialogScripts.put(record);
    return record;
  }

  list(accountId: number): DialogScriptRecord[] {
    return this.#store.dialogScripts.listByAccount(accountId);
  }

  get(accountId: number, id: string): DialogScriptRecord {
    const record = this.#store.dialogScripts.find(accountId, id);
    if (!record) throw new DialogLibraryError(`no dialog "${id}" in this account`);
    return record;
  }

  remove(accountId: number, id: string): void {
    if (!this.#store.dialogScripts.remove(accountId, id))
      throw new DialogLibraryError(`no dialog "${id}" in this account`);
  }

  /** Every voice file and TTS template a `play` names must be the account's. */
  #mediaCheck(accountId: number): ScriptCheck {
    return (script) => {
      const out: { path: PropertyKey[]; message: string }[] = [];
      for (const [name, node] of Object.entries(script.nodes)) {
        if (node.play === undefined) continue;
        for (const item of parseVoiceCode(node.play)) {
          if (item.kind !== 'file') continue;
          const template = isTtsTemplateId(item.id);
          const known = template
            ? this.#store.ttsTemplates.find(accountId, item.id)
            : this.#store.voiceFiles.find(accountId, item.id);
          if (!known)
            out.push({
              path: ['nodes', name, 'play'],
              message: `${template ? 'TTS template' : 'voice file'} ${item.id} is not in this account`,
            });
        }
      }
      return out;
    };
  }
}
