/**
 * Personas speaking with the speech layer's TTS (espeak-ng embedded, or any `Tts`): the streamed
 * chunks of one phrase are joined, since a persona plays a phrase only once it is whole (the carrier
 * caches it, so that happens once per phrase and voice).
 */
import type { Tts } from '../speech/tts.js';
import type { PersonaVoice } from './personaVoice.js';

export class TtsPersonaVoice implements PersonaVoice {
  readonly #tts: Tts;

  constructor(tts: Tts) {
    this.#tts = tts;
  }

  async synthesize(text: string, voice: string): Promise<Int16Array> {
    const chunks: Int16Array[] = [];
    for await (const chunk of this.#tts.synthesize({ text, voice })) chunks.push(chunk);
    const out = new Int16Array(chunks.reduce((n, c) => n + c.length, 0));
    let at = 0;
    for (const c of chunks) {
      out.set(c, at);
      at += c.length;
    }
    return out;
  }
}
