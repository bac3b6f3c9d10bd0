/**
 * The `VoiceCode` / `action_code` grammar (spec §3.1 #3, §4.4): a comma-separated list whose items
 * are a network audio file (http/https URL), an uploaded voice file ID, or a TTS variable `$name$`
 * whose text comes from `VoiceCodeParam` / `action_code_param`.
 */

export type VoiceCodeItem =
  | { kind: 'url'; url: string }
  | { kind: 'file'; id: string }
  | { kind: 'tts'; name: string };

export class VoiceCodeError extends Error {
  override name = 'VoiceCodeError';
  /** The offending item, as written. */
  readonly item: string;
  constructor(item: string, why: string) {
    super(`${why}: "${item}"`);
    this.item = item;
  }
}

const TTS_VAR = /^\$([A-Za-z0-9_\-.]{1,64})\$$/;
/** Voice IDs look like `2d4c-4e78-8d2a-afbb06cf0001.wav`; allow any plain file-like token. */
const FILE_ID = /^[A-Za-z0-9][A-Za-z0-9_\-.]{0,127}$/;

export function parseVoiceCode(text: string): VoiceCodeItem[] {
  const items: VoiceCodeItem[] = [];
  for (const raw of text.split(',')) {
    const item = raw.trim();
    if (!item) throw new VoiceCodeError(raw, 'empty item');
    const ttsName = TTS_VAR.exec(item)?.[1];
    if (ttsName !== undefined) {
      items.push({ kind: 'tts', name: ttsName });
    } else if (/^https?:\/\//i.test(item)) {
      let url: URL;
      try {
        url = new URL(item);
      } catch {
        throw new VoiceCodeError(item, 'not a valid URL');
      }
      items.push({ kind: 'url', url: url.toString() });
    } else if (FILE_ID.test(item)) {
      items.push({ kind: 'file', id: item });
    } else {
      throw new VoiceCodeError(item, 'neither a voice file ID, an http(s) URL nor a $variable$');
    }
  }
  return items;
}

/** An item as it is written in a VoiceCode (what `current_media_code` reports, spec §4.3). */
export function voiceCodeItemText(item: VoiceCodeItem): string {
  if (item.kind === 'tts') return `$${item.name}$`;
  return item.kind === 'file' ? item.id : item.url;
}

/**
 * Parses a `VoiceCodeParam` JSON object into variable → text. Numbers and booleans are accepted and
 * spoken as written; anything else is an error.
 */
export function parseVoiceCodeParam(text: string): Record<string, string> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new Error('not JSON');
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw new Error('not a JSON object');
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(value)) {
    if (typeof v === 'string') out[k] = v;
    else if (typeof v === 'number' || typeof v === 'boolean') out[k] = String(v);
    else throw new Error(`value of "${k}" must be a string`);
  }
  return out;
}
