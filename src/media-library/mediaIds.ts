/**
 * The shapes of the IDs `VoiceCode` / `action_code` name, so an operator who brings IDs from
 * Alibaba gets a clear yes or no when storing them, never a record the API cannot reach:
 * - a voice file ID is one item of the VoiceCode file-ID grammar (src/contract/voiceCode.ts):
 *   1–128 letters, digits, `_ - .`, starting with a letter or digit, e.g.
 *   `2d4c-4e78-8d2a-afbb06cf0001.wav`;
 * - a TTS template ID is `TTS_` and digits, e.g. `TTS_171950027` (Alibaba's template codes), and
 *   that shape is reserved for templates: a voice file may not take it.
 */
import { parseVoiceCode } from '../contract/voiceCode.js';

const TTS_TEMPLATE_ID = /^TTS_\d{1,20}$/;

export const VOICE_ID_RULE =
  'a voice ID is 1-128 letters, digits, "_", "-" or ".", starting with a letter or digit ' +
  '(e.g. 2d4c-4e78-8d2a-afbb06cf0001.wav), and not of the TTS template form TTS_<digits>';

export const TTS_TEMPLATE_ID_RULE =
  'a TTS template ID is "TTS_" followed by 1-20 digits (e.g. TTS_171950027)';

export function isTtsTemplateId(id: string): boolean {
  return TTS_TEMPLATE_ID.test(id);
}

/** Whether `id` can be stored as a voice file and be named, alone, in a VoiceCode. */
export function isVoiceId(id: string): boolean {
  if (isTtsTemplateId(id)) return false;
  try {
    const items = parseVoiceCode(id);
    return items.length === 1 && items[0]!.kind === 'file' && items[0]!.id === id;
  } catch {
    return false;
  }
}
