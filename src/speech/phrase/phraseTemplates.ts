/**
 * Builds a phrase list's templates (templateMatcher.ts): every phrase spoken by the embedded TTS in
 * {@link TEMPLATE_VOICES}, through a µ-law round trip, edges trimmed as the decoder trims them.
 * Generated when a list is first used (≈ 5 ms of synthesis per template on this machine: 1.5 s for
 * the 78 built-in phrases); nothing is stored on disk.
 *
 * A list's templates depend on the list alone, never on what the process did before: each build
 * speaks the list on a TTS thread of its own, started for it and closed after it (an idle process
 * holds none), and builds run one at a time. espeak's noise generator (breath, aspiration) starts
 * from a fixed seed in every thread and carries its state from line to line, so a thread shared by
 * two lists built at once, or a seed taken from the clock, gave each start slightly different
 * templates, and decisions near a bar flipped between runs.
 *
 * The template voices are fixed: two Mandarin-and-English voices and two English ones, a female
 * and a male each. The bench's evaluation voices (and the phonenet personas' voices) are others.
 */
import { PCMU } from '../../media/g711.js';
import { EspeakTts } from '../espeak/espeakTts.js';
import { trimSilence } from './energyTrim.js';
import type { CompiledGrammar } from './phraseGrammar.js';
import { melSpectrum, packTemplates, type TemplateBank } from './templateMatcher.js';

export const TEMPLATE_VOICES = ['siqi', 'sicheng', 'luna', 'andy'] as const;

/** Lists longer than this get no templates (the comparison's cost grows with the list). */
export const MAX_TEMPLATE_PHRASES = 200;

export class TemplateBuilder {
  readonly #banks = new Map<string, Promise<TemplateBank | null>>();
  readonly #maxBanks: number;
  /** The build under way or last queued: builds run one after another. */
  #queue: Promise<unknown> = Promise.resolve();
  #closed = false;

  constructor(maxBanks = 16) {
    this.#maxBanks = maxBanks;
  }

  /** The grammar's templates (built once, shared); null when the list is too long or TTS failed. */
  templates(grammar: CompiledGrammar): Promise<TemplateBank | null> {
    let bank = this.#banks.get(grammar.key);
    if (bank) {
      this.#banks.delete(grammar.key);
    } else {
      bank = this.#queue.then(() => this.#build(grammar)).catch(() => null);
      this.#queue = bank;
    }
    this.#banks.set(grammar.key, bank);
    while (this.#banks.size > this.#maxBanks) this.#banks.delete(this.#banks.keys().next().value as string);
    return bank;
  }

  async #build(grammar: CompiledGrammar): Promise<TemplateBank | null> {
    const words = Object.keys(grammar.phrases);
    if (this.#closed || words.length === 0 || words.length > MAX_TEMPLATE_PHRASES) return null;
    const tts = new EspeakTts({ cacheBytes: 0 });
    try {
      await tts.ready();
      const items: { word: string; mel: Float32Array }[] = [];
      for (const word of words) {
        for (const voice of TEMPLATE_VOICES) {
          // A stop does not wait for a whole list to be spoken (seconds on a busy machine).
          if (this.#closed) return null;
          const pcm = await synthesize(tts, grammar.phrases[word]!, voice);
          items.push({ word, mel: melSpectrum(trimSilence(mulawRoundTrip(pcm), 35, 40)) });
        }
      }
      return packTemplates(items);
    } finally {
      await tts.close();
    }
  }

  async close(): Promise<void> {
    this.#closed = true;
    await Promise.all([...this.#banks.values()]);
    this.#banks.clear();
  }
}

async function synthesize(tts: EspeakTts, text: string, voice: string): Promise<Int16Array> {
  const parts: Int16Array[] = [];
  for await (const chunk of tts.synthesize({ text, voice })) parts.push(chunk);
  const out = new Int16Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

function mulawRoundTrip(pcm: Int16Array): Int16Array {
  const out = new Int16Array(pcm.length);
  for (let i = 0; i < pcm.length; i++) out[i] = PCMU.decodeSample(PCMU.encodeSample(pcm[i]!));
  return out;
}
