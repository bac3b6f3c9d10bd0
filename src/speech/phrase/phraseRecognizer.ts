/**
 * The embedded recognizer for one phrase model: hears an utterance and names the phrase, or says
 * "no match" for speech that is not on the list. One decoding pass (phraseWorker.ts) gives the best
 * phrase and three rejection features; a phrase is accepted only when all three pass:
 * - `maxOutsideSpeech`: at most this share of the utterance's speech energy lies outside the phrase
 *   (the decoder may explain edges as silence; an off-list sentence forced onto a short phrase
 *   leaves most of its speech there);
 * - `maxFramesPerPhone`: the phrase is not stretched over far more time than its phones take (a
 *   long sentence forced onto "对");
 * - `minPosterior`: the phrase's lattice posterior against the other phrases (an off-list sentence
 *   forced onto a long phrase usually has several near rivals).
 * The defaults were tuned on the bench's dev set (voices, sentences and noise seeds the evaluation
 * does not use) to reject ≥ 90% of off-list sentences; docs/speech.md has dev and held-out figures.
 */
import type { Recognition, UtteranceRecognizer } from '../asr.js';
import type { PhraseDecoderPool } from './phraseDecoderPool.js';
import { type CompiledGrammar, compileGrammar } from './phraseGrammar.js';
import { parsePhraseList } from './phraseList.js';
import type { TemplateBank } from './templateMatcher.js';

export interface RejectionOptions {
  /** 10 ms frames per phone of the matched phrase above which it is rejected. */
  maxFramesPerPhone: number;
  /** Lattice posterior of the matched phrase below which it is rejected (0–1). */
  minPosterior: number;
  /** Share of speech energy outside the matched phrase above which it is rejected (0–1). */
  maxOutsideSpeech: number;
  /**
   * Ignored: the threshold of the former two-pass recognizer (grammar minus phone-loop score),
   * whose score no longer exists. Accepted so that older configurations still load.
   */
  minScorePerFrame?: number;
  /**
   * Template distance (templateMatcher.ts) at or under which the closest template's phrase is
   * taken, whatever the decoder said. Measured: in-list espeak speech ≤ 14.4 clean and ≤ 11 at
   * 10 dB, off-list espeak sentences ≥ 19.5, human recordings ≥ 19 (they go to the decoder).
   */
  maxTemplateDistance: number;
}

export const DEFAULT_REJECTION: RejectionOptions = {
  maxFramesPerPhone: 26,
  minPosterior: 0.45,
  maxOutsideSpeech: 0.2,
  maxTemplateDistance: 16.5,
};

export interface PhraseDecision {
  text: string | null;
  /** 0–1; 0.5 and over for accepted phrases (see {@link confidenceOf}). */
  confidence: number;
  /** The decoder word of the best phrase (`__p3`), '' when the search ended nowhere. */
  sequence: string;
  scorePerFrame: number;
  framesPerPhone: number;
  posterior: number;
  outsideSpeech: number;
  decodeMs: number;
  /** Closest phrase by template, its distance (Infinity without templates) and the runner-up's. */
  templateText: string | null;
  templateDistance: number;
  templateRunnerUp: number;
  /** Which part named the phrase: the templates, the decoder, or none (rejected). */
  by: 'template' | 'decoder' | 'none';
}

export class PhraseRecognizer implements UtteranceRecognizer {
  readonly name: string;
  readonly grammar: CompiledGrammar;
  readonly #pool: PhraseDecoderPool;
  readonly #rejection: RejectionOptions;
  readonly #templates: Promise<TemplateBank | null>;
  #bank: TemplateBank | null = null;

  constructor(
    name: string,
    phrases: string,
    pool: PhraseDecoderPool,
    rejection: Partial<RejectionOptions> = {},
  ) {
    this.name = name;
    this.grammar = compileGrammar(parsePhraseList(phrases));
    this.#pool = pool;
    const defined = Object.fromEntries(Object.entries(rejection).filter(([, v]) => v !== undefined));
    this.#rejection = { ...DEFAULT_REJECTION, ...defined };
    this.#templates = pool.templates.templates(this.grammar);
    void this.#templates.then((bank) => {
      this.#bank = bank;
    });
  }

  /**
   * Resolves once the list's templates are built (about 1.5 s for the built-in list). Until then
   * utterances are named by the decoder alone.
   */
  async ready(): Promise<void> {
    this.#bank = await this.#templates;
  }

  async recognize(samples: Int16Array, signal: AbortSignal): Promise<Recognition | null> {
    // A call needs the phrase only: when a template names it, the decoder's pass is skipped.
    const d = await this.decide(samples, signal, true);
    return d.text === null ? null : { text: d.text, confidence: d.confidence };
  }

  /**
   * The recognition with the numbers behind the decision (bench and CLI show them). `textOnly`:
   * the decoder's numbers are left out when a template decides (the text is the same).
   */
  async decide(samples: Int16Array, signal?: AbortSignal, textOnly = false): Promise<PhraseDecision> {
    const decidesAt = textOnly ? this.#rejection.maxTemplateDistance : undefined;
    const raw = await this.#pool.recognize(this.grammar, samples, signal, this.#bank, decidesAt);
    const byTemplate = {
      templateText: this.grammar.phrases[raw.templateWord] ?? null,
      templateDistance: raw.templateDistance,
      templateRunnerUp: raw.templateRunnerUp,
    };
    const numbers = {
      sequence: raw.sequence,
      scorePerFrame: raw.scorePerFrame,
      posterior: raw.posterior,
      outsideSpeech: raw.outsideSpeech,
      decodeMs: raw.decodeMs,
      ...byTemplate,
    };
    const maxDistance = this.#rejection.maxTemplateDistance;
    if (byTemplate.templateText !== null && raw.templateDistance <= maxDistance) {
      const phones = this.grammar.phoneCounts[raw.templateWord] ?? 1;
      return {
        ...numbers,
        text: byTemplate.templateText,
        confidence:
          Math.round((0.5 + 0.5 * Math.max(0, 1 - raw.templateDistance / maxDistance)) * 1000) / 1000,
        framesPerPhone: raw.frames / phones,
        by: 'template',
      };
    }
    const text = this.grammar.phrases[raw.sequence] ?? null;
    const phones = this.grammar.phoneCounts[raw.sequence] ?? 1;
    const framesPerPhone = raw.phraseFrames / phones;
    const { maxFramesPerPhone, minPosterior, maxOutsideSpeech } = this.#rejection;
    const accepted =
      text !== null &&
      raw.outsideSpeech <= maxOutsideSpeech &&
      framesPerPhone <= maxFramesPerPhone &&
      raw.posterior >= minPosterior;
    return {
      ...numbers,
      text: accepted ? text : null,
      confidence: text === null ? 0 : confidenceOf(raw.posterior, minPosterior, accepted),
      framesPerPhone,
      by: accepted ? 'decoder' : 'none',
    };
  }

  async close(): Promise<void> {}
}

/**
 * The posterior mapped so that the acceptance bar is 0.5: accepted phrases get 0.5–1 (1 when no
 * other phrase competed), rejected ones under 0.5.
 */
export function confidenceOf(posterior: number, minPosterior: number, accepted: boolean): number {
  const c = accepted
    ? 0.5 + (0.5 * (posterior - minPosterior)) / Math.max(1e-9, 1 - minPosterior)
    : 0.49 * Math.min(1, posterior / Math.max(1e-9, minPosterior));
  return Math.round(Math.min(1, Math.max(0, c)) * 1000) / 1000;
}
