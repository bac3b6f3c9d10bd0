/**
 * Worker thread that runs soundswallower (pocketsphinx in WASM). Decoding is synchronous and costs
 * a few hundredths of the audio's duration, so it must not run on the thread that drives the 20 ms
 * media clock. One WASM module per worker; grammar decoders stay warm (init ≈ 300 ms each) in an
 * LRU keyed by the grammar's hash.
 *
 * One decoding pass per utterance; a second, with the phrases alone (no competitor loop, its own
 * warm decoder), only when the loop won and the templates are too far to decide. Settings measured on the bench's dev set (espeak voices other
 * than the evaluation ones, µ-law, clean and 10 dB SNR; docs/speech.md has the figures):
 * - Each phrase is one decoder word (phraseGrammar.ts), so the silence/noise fillers
 *   (`fsgusefiller`) can only sit at the edges. `silprob` 1e-6 lets them take leading and trailing
 *   noise (at 10 dB: 49% → 74% Mandarin, 69% → 90% English) without eating speech in clean audio;
 *   1e-5 eats speech (clean −5 points), 1e-7 leaves noise to the phrase (10 dB −4 points).
 * - Edges are trimmed at 35 dB under the peak but keep 40 ms (a stop consonant's closure), and
 *   the samples get a ±1 LSB noise floor (digital silence breaks the features).
 * - Rejection features come out of the same pass (no second phone-loop pass, which cost 0.08 of
 *   real time and whose score was not comparable anyway: pocketsphinx normalises each frame by the
 *   best *active* senone, which depends on the grammar): the phrase word's lattice posterior, the
 *   frames it spans, and the share of speech energy left outside it. The decision thresholds live
 *   on the main thread (phraseRecognizer.ts).
 */
import { parentPort, workerData } from 'node:worker_threads';
import createModule from 'soundswallower';
import { lowerThreadPriority } from '../../workers/threadPriority.js';
import type { PoolMessage, WorkerMessage } from '../../workers/workerProtocol.js';
import { frameLevels, outsideSpeechFraction, trimSilence, withNoiseFloor } from './energyTrim.js';
import { type CompiledGrammar, phrasesOnly, phraseWordOf } from './phraseGrammar.js';
import {
  matchFeatures,
  phraseDistance,
  type TemplateBank,
  type TemplateMatch,
  utteranceFeatures,
} from './templateMatcher.js';

export interface RecognizeRequest {
  grammar: CompiledGrammar;
  samples: Int16Array;
  /** The list's TTS templates, when built (shared memory, no copy). */
  templates?: TemplateBank;
  /** How the caller will weigh the templates (phraseRecognizer.ts), so that only what it needs is computed. */
  rules?: TemplateRules;
}

export interface TemplateRules {
  /**
   * Distance at or under which the caller takes the template's phrase whatever the decoder says,
   * unless another phrase's template is within `tie` times the distance (then the decoder decides
   * the tie, and the runner-up is exact within that factor).
   */
  decidesAt: number;
  tie: number;
  /**
   * Over `decidesAt` and up to this distance the caller weighs the runner-up too: there the
   * runner-up is made exact within `margin` times the closest (a second comparison, rare).
   */
  considersUpTo: number;
  margin: number;
  /**
   * The decision compares the decoder's phrase's closest template with the closest of all
   * (maxTemplateGap): with `skipDecoder`, the closest is sought again without the limit whenever
   * the limited one could change that comparison.
   */
  maxGap: number;
  /**
   * A call's recognition: the decoder's pass is skipped (`sequence` '') when a template is within
   * `decidesAt`, and the closest template is sought only within `considersUpTo`.
   */
  skipDecoder: boolean;
}

export interface RawRecognition {
  /** The phrase word the decoder chose (`__p3`), '' when the search ended nowhere or in the competitor loop. */
  sequence: string;
  /** The decoder's whole hypothesis (`__p3`, or competitor words `__g12 __g40`), for diagnosis. */
  hypothesis: string;
  /** Path score per 10 ms frame (pocketsphinx units; informative only, see the header). */
  scorePerFrame: number;
  /** Frames (10 ms) of the trimmed utterance. */
  frames: number;
  /** Frames the phrase word spans (the rest went to silence/noise fillers). */
  phraseFrames: number;
  /** Lattice posterior of the phrase word, 0–1. */
  posterior: number;
  /** Share of the frames with speech energy that lie outside the phrase word, 0–1. */
  outsideSpeech: number;
  decodeMs: number;
  /** Closest phrase by template (phraseTemplates.ts), '' without templates. */
  templateWord: string;
  /** Its distance (Infinity without templates), and the best other phrase's. */
  templateDistance: number;
  templateRunnerUp: number;
  /** Frames (10 ms) of the closest template, 0 without one. */
  templateFrames: number;
  /** Distance of the closest template of the decoder's phrase (Infinity without one). */
  decoderTemplateDistance: number;
  /**
   * The competitor loop won the decoding pass, and a second pass with the phrases alone named the
   * phrase whose templates are the closest: `sequence` and its numbers are that pass's
   * (`hypothesis` stays the loop's).
   */
  rescued?: boolean;
}

export type WorkerReply = WorkerMessage<RawRecognition>;

interface SsSegment {
  t: string;
  b: number;
  d: number;
  p: number;
  w?: SsSegment[];
}

interface SsDecoder {
  cdecoder: number;
  initialize(): Promise<void>;
  set_config(key: string, value: string | number | boolean): boolean;
  add_words(...words: [string, string][]): void;
  set_grammar(jsgf: string): void;
  start(): void;
  process_audio(pcm: Float32Array, noSearch?: boolean, fullUtt?: boolean): number;
  stop(): void;
  get_text(): string;
  get_alignment(options?: { start?: number; align_level?: number }): SsSegment;
  delete(): void;
}

interface SsModule {
  Decoder: new (config: Record<string, string | number | boolean>) => SsDecoder;
  _malloc(bytes: number): number;
  _decoder_hyp(decoder: number, scoreOut: number): number;
  HEAP32: Int32Array;
}

/** Trimming margin kept on each side, ms. */
const EDGE_MARGIN_MS = 40;
/** Shorter trimmed audio than this cannot be a phrase. */
const MIN_SAMPLES = 1600;

const { modelDir, maxGrammars, niceness } = workerData as {
  modelDir: string;
  maxGrammars: number;
  niceness: number;
};

async function main(): Promise<void> {
  const port = parentPort!;
  // Decoding waits for the calls' media and signalling, not the other way round.
  if (niceness > 0) lowerThreadPriority(niceness);
  let ss: SsModule;
  // A decoder made at start-up proves the model loads, and serves the first grammar without delay.
  let spare: SsDecoder | undefined;
  try {
    ss = (await createModule()) as unknown as SsModule;
    spare = await newDecoder(ss);
  } catch (err) {
    port.postMessage({ kind: 'failed', error: (err as Error).message } satisfies WorkerReply);
    return;
  }
  const scoreSlot = ss._malloc(4);
  const grammars = new Map<string, SsDecoder>();
  port.postMessage({ kind: 'ready' } satisfies WorkerReply);

  /** The grammar's warm decoder (LRU of `maxGrammars`), made on first use. */
  const decoderFor = async (grammar: CompiledGrammar): Promise<SsDecoder> => {
    let decoder = grammars.get(grammar.key);
    if (decoder) {
      grammars.delete(grammar.key);
    } else {
      decoder = spare ?? (await newDecoder(ss));
      spare = undefined;
      decoder.add_words(...grammar.words);
      decoder.set_grammar(grammar.jsgf);
      if (grammars.size >= maxGrammars) {
        const [oldest, old] = grammars.entries().next().value as [string, SsDecoder];
        grammars.delete(oldest);
        old.delete();
      }
    }
    grammars.set(grammar.key, decoder);
    return decoder;
  };

  // Cancels are ignored: decoding is synchronous, so one is mostly read after its request is done,
  // and the pool discards a cancelled request's answer anyway.
  port.on('message', async (m: PoolMessage<RecognizeRequest>) => {
    if (m.kind !== 'request') return;
    const { id, payload: msg } = m;
    try {
      const decoder = await decoderFor(msg.grammar);
      const started = performance.now();
      const trimmed = trimSilence(msg.samples, 35, EDGE_MARGIN_MS);
      const frames = Math.max(1, Math.round(trimmed.length / 80));
      const noTemplate = {
        templateWord: '',
        templateDistance: Number.POSITIVE_INFINITY,
        templateRunnerUp: Number.POSITIVE_INFINITY,
        templateFrames: 0,
        decoderTemplateDistance: Number.POSITIVE_INFINITY,
      };
      const none = {
        sequence: '',
        hypothesis: '',
        scorePerFrame: Number.NEGATIVE_INFINITY,
        frames,
        phraseFrames: 0,
        ...noTemplate,
      };
      if (trimmed.length < MIN_SAMPLES) {
        reply({ ...none, posterior: 0, outsideSpeech: 1, decodeMs: 0 });
        return;
      }
      // A call's recognition (rules.skipDecoder) needs the closest template only within its bars.
      const bank = msg.templates;
      const rules = msg.rules;
      const decidesAt = rules?.skipDecoder ? rules.decidesAt : undefined;
      const limit = rules?.skipDecoder ? Math.max(rules.decidesAt, rules.considersUpTo) : undefined;
      const features = bank ? utteranceFeatures(trimmed) : null;
      let match = bank && features ? matchFeatures(features, bank, limit, rules?.tie) : null;
      // Between the bars the runner-up counts, and the first comparison may overstate it (an
      // abandoned template reports no distance): compare again, keeping every template within the
      // margin. Rare (an unusual voice close to a phrase, or an off-list sentence close to one).
      if (
        bank &&
        features &&
        match &&
        rules &&
        match.distance > rules.decidesAt &&
        match.distance <= rules.considersUpTo
      )
        match = matchFeatures(features, bank, undefined, rules.margin);
      const templateNumbers = (match: TemplateMatch | null) =>
        match
          ? {
              templateWord: match.word,
              templateDistance: match.distance,
              templateRunnerUp: match.runnerUp,
              templateFrames: match.frames,
            }
          : noTemplate;
      const byTemplate = templateNumbers(match);
      if (
        match &&
        decidesAt !== undefined &&
        match.distance <= decidesAt &&
        !(match.runnerUp < rules!.tie * match.distance)
      ) {
        // The template names the phrase: the decoder's pass (as costly as the templates) is not needed.
        reply({
          ...none,
          ...byTemplate,
          posterior: 0,
          outsideSpeech: 0,
          decodeMs: performance.now() - started,
        });
        return;
      }
      const audio = withNoiseFloor(trimmed);
      decoder.start();
      decoder.process_audio(audio, false, true);
      decoder.stop();
      const hypothesis = decoder.get_text();
      let sequence = phraseWordOf(hypothesis);
      let pass = decoder;
      let rescued = false;
      // The competitor loop won, and the templates are too far to decide: decode again with the
      // phrases alone. When that pass names the phrase whose templates are the closest of all, two
      // recognisers that fail differently agree, and the phrase is weighed like a decoder's
      // (phraseRecognizer.ts); otherwise the loop's verdict stands.
      if (
        !sequence &&
        hypothesis &&
        bank &&
        features &&
        match &&
        rules &&
        !(match.distance <= rules.considersUpTo)
      ) {
        const plain = await decoderFor(phrasesOnly(msg.grammar));
        plain.start();
        plain.process_audio(audio, false, true);
        plain.stop();
        const alone = phraseWordOf(plain.get_text());
        // A call's comparison was limited, so its closest may be wrong here: compare again, but only
        // as far as that phrase's own templates (whatever is farther cannot be the closest).
        if (alone && limit !== undefined)
          match = matchFeatures(features, bank, phraseDistance(features, bank, alone));
        if (alone && alone === match.word) {
          sequence = alone;
          pass = plain;
          rescued = true;
        }
      }
      if (!sequence) {
        reply({
          ...none,
          hypothesis,
          ...byTemplate,
          posterior: 0,
          outsideSpeech: 1,
          decodeMs: performance.now() - started,
        });
        return;
      }
      ss._decoder_hyp(pass.cdecoder, scoreSlot);
      const score = ss.HEAP32[scoreSlot >> 2]!;
      const word = pass.get_alignment().w?.find((w) => phraseWordOf(w.t) === sequence);
      const begin = word ? Math.round(word.b * 100) : 0;
      const span = word ? Math.round(word.d * 100) : frames;
      let decoderTemplateDistance = Number.POSITIVE_INFINITY;
      if (bank && features && match) {
        // Abandoned (Infinity) when farther than the closest: then computed exactly, for its phrase only.
        const known = match.distances.get(sequence) ?? Number.POSITIVE_INFINITY;
        decoderTemplateDistance =
          known < Number.POSITIVE_INFINITY ? known : phraseDistance(features, bank, sequence);
        // Over the limit the closest may be overstated (or missing); the gap rule needs it exact
        // when it could decide: compare again without the limit (decide() gets the same numbers).
        const gap = rules?.maxGap;
        if (
          !rescued &&
          limit !== undefined &&
          gap !== undefined &&
          !(match.distance <= limit) &&
          decoderTemplateDistance - gap > limit &&
          decoderTemplateDistance - match.distance <= gap
        )
          match = matchFeatures(features, bank);
      }
      reply({
        sequence,
        hypothesis,
        scorePerFrame: score / frames,
        frames,
        phraseFrames: span,
        posterior: word?.p ?? 0,
        outsideSpeech: outsideSpeechFraction(frameLevels(trimmed), begin, begin + span),
        decodeMs: performance.now() - started,
        ...templateNumbers(match),
        decoderTemplateDistance,
        ...(rescued ? { rescued } : {}),
      });
    } catch (err) {
      port.postMessage({ kind: 'error', id, error: (err as Error).message } satisfies WorkerReply);
    }

    function reply(result: RawRecognition): void {
      port.postMessage({ kind: 'done', id, result } satisfies WorkerReply);
    }
  });
}

async function newDecoder(ss: SsModule): Promise<SsDecoder> {
  const decoder = new ss.Decoder({
    samprate: 8000,
    loglevel: 'FATAL',
    hmm: modelDir,
    dict: `${modelDir}/dict.txt`,
  });
  await decoder.initialize();
  decoder.set_config('fsgusefiller', true);
  decoder.set_config('silprob', 1e-6);
  return decoder;
}

void main();
