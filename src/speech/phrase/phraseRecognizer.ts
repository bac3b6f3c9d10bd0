/**
 * The embedded recognizer for one phrase model: hears an utterance and names the phrase, or says
 * "no match" for speech that is not on the list. Rejection (measured on the bench set, see
 * docs/speech.md): a phrase is accepted only when its grammar score is close enough to a free
 * phone loop's (`minScorePerFrame`) and the utterance is not far longer than the phrase
 * (`maxFramesPerPhone`: a long off-list sentence forced onto "对" stretches three phones over a
 * second and a half).
 */
import type { Recognition, UtteranceRecognizer } from '../asr.js';
import type { PhraseDecoderPool } from './phraseDecoderPool.js';
import { type CompiledGrammar, compileGrammar } from './phraseGrammar.js';
import { parsePhraseList } from './phraseList.js';

export interface RejectionOptions {
  /** Grammar minus phone-loop score per 10 ms frame below which the match is rejected. */
  minScorePerFrame: number;
  /** 10 ms frames per phone of the matched phrase above which it is rejected. */
  maxFramesPerPhone: number;
}

export const DEFAULT_REJECTION: RejectionOptions = { minScorePerFrame: -15, maxFramesPerPhone: 15 };

export interface PhraseDecision {
  text: string | null;
  confidence: number;
  sequence: string;
  scorePerFrame: number;
  framesPerPhone: number;
  decodeMs: number;
}

export class PhraseRecognizer implements UtteranceRecognizer {
  readonly name: string;
  readonly grammar: CompiledGrammar;
  readonly #pool: PhraseDecoderPool;
  readonly #rejection: RejectionOptions;

  constructor(
    name: string,
    phrases: string,
    pool: PhraseDecoderPool,
    rejection: Partial<RejectionOptions> = {},
  ) {
    this.name = name;
    this.grammar = compileGrammar(parsePhraseList(phrases));
    this.#pool = pool;
    this.#rejection = { ...DEFAULT_REJECTION, ...rejection };
  }

  async recognize(samples: Int16Array, signal: AbortSignal): Promise<Recognition | null> {
    const d = await this.decide(samples, signal);
    return d.text === null ? null : { text: d.text, confidence: d.confidence };
  }

  /** The recognition with the numbers behind the decision (bench and CLI show them). */
  async decide(samples: Int16Array, signal?: AbortSignal): Promise<PhraseDecision> {
    const raw = await this.#pool.recognize(this.grammar, samples, signal);
    const text = this.grammar.phrases[raw.sequence] ?? null;
    const phones = this.grammar.phoneCounts[raw.sequence] ?? 1;
    const framesPerPhone = raw.frames / phones;
    const { minScorePerFrame, maxFramesPerPhone } = this.#rejection;
    const accepted =
      text !== null && raw.scorePerFrame >= minScorePerFrame && framesPerPhone <= maxFramesPerPhone;
    // A logistic around the acceptance bar: 0.5 at the bar, ~0.9 ten points above it.
    const confidence = Number.isFinite(raw.scorePerFrame)
      ? 1 / (1 + Math.exp(-(raw.scorePerFrame - minScorePerFrame) / 4.5))
      : 0;
    return {
      text: accepted ? text : null,
      confidence: Math.round(confidence * 1000) / 1000,
      sequence: raw.sequence,
      scorePerFrame: raw.scorePerFrame,
      framesPerPhone,
      decodeMs: raw.decodeMs,
    };
  }

  async close(): Promise<void> {}
}
