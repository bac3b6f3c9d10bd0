/**
 * TTS templates: a `VoiceCode` / `action_code` item may be a template ID (`TTS_171950027`) whose
 * text has `${var}` placeholders; the call fills them from `VoiceCodeParam` / `action_code_param`
 * and speaks the result. Unknown template → `isv.TTS_TEMPLATE_ILLEGAL`, a placeholder without a
 * value → `isv.TEMPLATE_MISSING_PARAMETERS` (both raised by the SmartCall action).
 */
import { wholeMs } from '../clock/clock.js';
import type { TtsTemplateRecord } from '../store/records.js';
import type { Store } from '../store/repositories.js';
import { isTtsTemplateId, TTS_TEMPLATE_ID_RULE } from './mediaIds.js';

export const MAX_TEMPLATE_CHARS = 1000;

/** `${name}`: the same names as a `$name$` VoiceCode variable. */
const PLACEHOLDER = /\$\{([A-Za-z0-9_\-.]{1,64})\}/g;

export class TtsTemplateError extends Error {
  override name = 'TtsTemplateError';
}

/** The placeholder names of a template text, in order of first use; malformed text throws. */
export function templateVariables(text: string): string[] {
  const names = new Set<string>();
  for (const m of text.matchAll(PLACEHOLDER)) names.add(m[1]!);
  const rest = text.replace(PLACEHOLDER, '');
  const bad = rest.indexOf('${');
  if (bad >= 0) {
    throw new TtsTemplateError(
      `malformed placeholder near "${rest.slice(bad, bad + 20)}": write \${name} with a name of ` +
        'letters, digits, "_", "-" or "." (at most 64)',
    );
  }
  return [...names];
}

/** The text to speak, or the placeholders that have no value. */
export function fillTemplate(
  text: string,
  params: Readonly<Record<string, string>>,
): { text: string } | { missing: string[] } {
  const missing = templateVariables(text).filter((v) => params[v] === undefined);
  if (missing.length > 0) return { missing };
  return { text: text.replace(PLACEHOLDER, (_m, name: string) => params[name]!) };
}

/** The account's templates, as the admin commands manage them. */
export class TtsTemplates {
  readonly #store: Store;
  readonly #now: () => number;

  constructor(store: Store, now: () => number = () => wholeMs()) {
    this.#store = store;
    this.#now = now;
  }

  /** Adds a template; its ID must be new to the installation (as Alibaba's codes are). */
  add(accountId: number, input: { id: string; text: string; name?: string }): TtsTemplateRecord {
    const { id, text } = input;
    if (!isTtsTemplateId(id)) throw new TtsTemplateError(`"${id}": ${TTS_TEMPLATE_ID_RULE}`);
    if (text.trim() === '') throw new TtsTemplateError('the template text is empty');
    if (text.length > MAX_TEMPLATE_CHARS)
      throw new TtsTemplateError(`the template text is longer than ${MAX_TEMPLATE_CHARS} characters`);
    templateVariables(text);
    const record: TtsTemplateRecord = { id, accountId, name: input.name ?? id, text, createdAt: this.#now() };
    this.#store.transaction(() => {
      if (this.#store.ttsTemplates.findEverywhere(id).length > 0)
        throw new TtsTemplateError(`TTS template ${id} already exists; nothing was changed`);
      this.#store.ttsTemplates.insert(record);
    });
    return record;
  }

  list(accountId: number): TtsTemplateRecord[] {
    return this.#store.ttsTemplates.listByAccount(accountId);
  }

  remove(accountId: number, id: string): void {
    if (!this.#store.ttsTemplates.remove(accountId, id))
      throw new TtsTemplateError(`no TTS template ${id} in this account`);
  }
}
