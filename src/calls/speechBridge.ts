/**
 * Connects a call to the speech layer. The listener runs the callee's audio through a VAD and an
 * Endpointer (speech start, continuous-speech duration for time-based barge-in) and through the
 * account's ASR stream (what was said, or that it was not recognised). The synthesizer turns TTS
 * text into a playable source that fills as synthesis proceeds and stops it on barge-in.
 */
import { type Clock, systemClock } from '../clock/clock.js';
import { within } from '../clock/within.js';
import { StreamSource } from '../media/streamSource.js';
import type { PromptBuilder, PromptSynthesizer, SpeechSettings } from '../media-library/promptBuilder.js';
import type { AsrEvent, AsrStream } from '../speech/asr.js';
import { Endpointer } from '../speech/endpointer.js';
import { inverseTextNormalize } from '../speech/itn/itn.js';
import type { SpeechEngines } from '../speech/speechEngines.js';
import type { Vad } from '../speech/vad.js';
import type { CallListener, ListenerFactory } from './callListener.js';

/** If the ASR says nothing about a sentence our endpointer saw end, the call is told after this. */
const RESULT_GRACE_MS = 4000;
/** Longest wait for the last sentence's recognition when the audio stops. */
const FINISH_LIMIT_MS = 3000;
/** A pause up to this long still counts as continuous speech (time-based barge-in). */
const GAP_TOLERANCE_MS = 200;

/** An ASR result that begins this long after a waiting sentence ended belongs to a later one. */
const LATER_SENTENCE_MS = 150;

/** A sentence the endpointer ended, waiting for what the ASR makes of it. */
interface Waiting {
  beginAt: number;
  endAt: number;
  timer: unknown;
  /** Words the ASR already gave for its first part (see `Early`). */
  words: string | undefined;
}

/**
 * Results the ASR gave for the sentence still under way (an engine that ends sentences on shorter
 * pauses than PauseTime, or a sentence cut for length): they are part of it, not turns of their own.
 */
interface Early {
  words: string | undefined;
  beginAt: number;
  endAt: number;
}

/** Two pieces of one sentence: Chinese runs on, other scripts get a space. */
function joinWords(a: string | undefined, b: string | undefined): string | undefined {
  if (!a || !b) return a || b;
  return /[\u3000-\u9fff\uff00-\uffef]$/.test(a) || /^[\u3000-\u9fff\uff00-\uffef]/.test(b)
    ? a + b
    : `${a} ${b}`;
}

/** One ASR stream of the call; `start` maps its offsets onto the call clock. */
interface Recognition {
  stream: AsrStream;
  start: number | undefined;
  /**
   * The stream opened with the listener's VAD, so both have heard the same frames: the stream is
   * given the listener's decision rather than running its own detector (one VAD per call, not two).
   */
  sharesVad: boolean;
}

/**
 * Listeners for calls: each with the engine its account and ASR model select. Times (sentence
 * ends, grace periods) come from `clock`, the clock the call's answer time comes from.
 *
 * Every sentence the endpointer ends is reported exactly once (issue 11 item 8): with the words of
 * the ASR result that matches it, or with none when the ASR rejects it, skips it, or says nothing
 * within the grace. Results are matched to sentences in order; a result that comes after its
 * sentence was already reported is dropped; results for a sentence still under way are kept and
 * reported with it (at once when they reach its end, else joined with the result of the rest).
 */
export function speechListeners(
  engines: Pick<SpeechEngines, 'createVad' | 'asr'>,
  clock: Clock = systemClock,
): ListenerFactory {
  return (o) => {
    const vad: Vad = engines.createVad();
    const endpointer = new Endpointer({ pauseMs: o.pauseTimeMs });
    let sentenceBegin: number | undefined;
    let runStart: number | undefined;
    let lastSpeechEnd = Number.NEGATIVE_INFINITY;
    /** Sentences ended by the endpointer whose recognition is awaited, oldest first. */
    const waiting: Waiting[] = [];
    /** End of the last sentence reported: a result from before it comes too late. */
    let reportedUntil = Number.NEGATIVE_INFINITY;
    let early: Early | undefined;
    let closed = false;
    let choice = { asrBaseId: o.asrBaseId, asrModelId: o.asrModelId ?? undefined };

    const report = (words: string | undefined, beginAt: number, endAt: number) => {
      reportedUntil = Math.max(reportedUntil, endAt);
      // EnableITN: spoken numbers become digits in what the business reads (issue 11 item 7).
      const said = words && o.itn ? inverseTextNormalize(words) : words;
      o.events.speechEnded(clock.now(), { words: said, beginAt, endAt });
    };
    const unrecognised = (w: Waiting) => {
      clock.clearTimer(w.timer);
      report(w.words, w.beginAt, w.endAt);
    };
    const onEvent = (r: Recognition, e: AsrEvent) => {
      if (closed || e.type === 'partial' || r.start === undefined) return;
      if (e.type === 'rejected' && e.fatal) {
        // The stream failed: no sentence of the callee's; those waiting are told after the grace.
        o.log.warn({ detail: e.detail }, 'speech recognition failed');
        return;
      }
      const beginAt = r.start + e.beginMs;
      const endAt = r.start + e.endMs;
      if (e.type === 'rejected') o.log.debug({ reason: e.reason, detail: e.detail }, 'speech not recognised');
      if (beginAt < reportedUntil) {
        o.log.debug({ beginAt, endAt }, 'a recognition came after its sentence was reported: dropped');
        return;
      }
      const words = e.type === 'final' && e.text.trim() ? e.text.trim() : undefined;
      // Sentences that ended well before this result began got no result of their own.
      while (waiting.length > 0 && beginAt >= waiting[0]!.endAt + LATER_SENTENCE_MS)
        unrecognised(waiting.shift()!);
      const w = waiting.shift();
      if (!w && sentenceBegin !== undefined) {
        early = early
          ? { words: joinWords(early.words, words), beginAt: early.beginAt, endAt }
          : { words, beginAt, endAt };
        return;
      }
      if (w) clock.clearTimer(w.timer);
      // A sentence with an early part spans both; otherwise the recognizer's bounds, as it heard it.
      const begin = w?.words !== undefined ? Math.min(w.beginAt, beginAt) : beginAt;
      report(joinWords(w?.words, words), begin, endAt);
    };
    const open = (sharesVad: boolean): Recognition | undefined => {
      try {
        const engine = engines.asr({
          accountId: o.accountId,
          accountName: o.accountName,
          asrBaseId: choice.asrBaseId,
          ...(choice.asrModelId && { asrModelId: choice.asrModelId }),
          ...(o.phrases && o.phrases.length > 0 && { phrases: o.phrases }),
        });
        // The stream reports through `r`, which it only calls after it exists.
        const r: Recognition = {
          stream: engine.createStream({
            onEvent: (e) => onEvent(r, e),
            pauseMs: o.pauseTimeMs,
            itn: o.itn ?? false,
            log: o.log,
          }),
          start: undefined,
          sharesVad,
        };
        return r;
      } catch (err) {
        o.log.error({ err: (err as Error).message, ...choice }, 'no recognizer for this choice');
        return undefined;
      }
    };
    let asr = open(true);
    if (!asr) o.log.error('no recognizer for this call: speech will not be transcribed');
    /** Streams replaced by a switch, finishing their last sentences. */
    const retiring = new Set<AsrStream>();

    // A G.722 call's 16 kHz frame, given just before the 8 kHz one of the same tick.
    let widePcm: Int16Array | undefined;
    let wideAt = Number.NaN;
    const listener: CallListener = {
      pushWide(pcm, at) {
        widePcm = pcm;
        wideAt = at;
      },
      push(pcm, at) {
        if (closed) return;
        if (asr) asr.start ??= at;
        const speech = vad.process(pcm) >= vad.threshold;
        if (speech) {
          if (runStart === undefined || at - lastSpeechEnd > GAP_TOLERANCE_MS) runStart = at;
          lastSpeechEnd = at + 20;
        }
        for (const e of endpointer.push(at, speech)) {
          if (e.type === 'speech-start') {
            sentenceBegin = e.beginMs;
            o.events.speechStarted(e.beginMs);
          } else if (e.type === 'speech-end') {
            sentenceBegin = undefined;
            o.events.sentenceEnded?.(clock.now());
            // Its answer is now due: a recognizer that gives none in time is a `timeout`.
            if (asr?.start !== undefined)
              asr.stream.sentenceEnded?.(e.beginMs - asr.start, e.endMs - asr.start);
            const known = early;
            early = undefined;
            if (known && known.endAt >= e.endMs - LATER_SENTENCE_MS) {
              // The ASR already heard it to its end.
              report(known.words, Math.min(known.beginAt, e.beginMs), Math.max(known.endAt, e.endMs));
            } else if (!asr && retiring.size === 0) report(undefined, e.beginMs, e.endMs);
            else {
              const w: Waiting = {
                beginAt: known ? Math.min(known.beginAt, e.beginMs) : e.beginMs,
                endAt: e.endMs,
                timer: undefined,
                words: known?.words,
              };
              w.timer = clock.setTimer(() => {
                // The ASR said nothing about it in time: it (and any before it) is reported unrecognised.
                while (waiting.length > 0) {
                  const first = waiting.shift()!;
                  unrecognised(first);
                  if (first === w) break;
                }
              }, RESULT_GRACE_MS);
              waiting.push(w);
            }
          }
        }
        if (speech && sentenceBegin !== undefined && runStart !== undefined) {
          o.events.speechContinuing(at + 20 - runStart, at);
        }
        const stream = asr?.stream;
        if (widePcm && wideAt === at && stream?.writeWide) stream.writeWide(widePcm);
        else if (asr?.sharesVad) stream?.write(pcm, speech);
        else stream?.write(pcm);
        widePcm = undefined;
      },
      switchRecognizer(next) {
        if (closed) return;
        const wanted = {
          asrBaseId: next.asrBaseId ?? choice.asrBaseId,
          asrModelId: next.asrModelId ?? choice.asrModelId,
        };
        if (wanted.asrBaseId === choice.asrBaseId && wanted.asrModelId === choice.asrModelId) return;
        const previous = choice;
        choice = wanted;
        const r = open(false);
        if (!r) {
          choice = previous; // an unknown model keeps the recognizer the call has
          return;
        }
        o.log.info(wanted, 'recognizer switched for the following sentences');
        const old = asr;
        asr = r;
        if (!old) return;
        // The old stream still answers for the sentences it heard; then it is closed.
        retiring.add(old.stream);
        void within(old.stream.finish(), FINISH_LIMIT_MS, clock)
          .catch(() => {})
          .finally(() => {
            retiring.delete(old.stream);
            old.stream.close();
          });
      },
      async finish() {
        if (closed || !asr) return;
        await within(asr.stream.finish(), FINISH_LIMIT_MS, clock);
        if (closed) return;
        // The audio stopped mid-sentence (an announcement cut by the failure it announces): the
        // endpointer will never end that sentence, so what the ASR heard of it is reported now.
        const cut = early;
        early = undefined;
        sentenceBegin = undefined;
        if (cut) report(cut.words, cut.beginAt, cut.endAt);
        // Sentences still waiting for a result get none: reported without words, once.
        for (const w of waiting.splice(0)) unrecognised(w);
      },
      close() {
        if (closed) return;
        closed = true;
        for (const w of waiting.splice(0)) clock.clearTimer(w.timer);
        asr?.stream.close();
        for (const s of retiring) s.close();
        retiring.clear();
        vad.close();
      },
    };
    return listener;
  };
}

/** Prompt TTS: the account's engine (or the embedded one) streaming into the playout. */
export function speechSynthesizer(
  engines: Pick<SpeechEngines, 'tts'>,
  accountName?: string,
): PromptSynthesizer {
  return {
    speak(text: string, settings: SpeechSettings) {
      const source = new StreamSource(8000);
      const abort = new AbortController();
      const close = source.close.bind(source);
      source.close = () => {
        abort.abort();
        close();
      };
      void (async () => {
        try {
          for await (const chunk of engines.tts(accountName).synthesize({
            text,
            voice: settings.voice,
            volume: settings.volume,
            speed: settings.speed,
            signal: abort.signal,
          })) {
            source.append(chunk);
          }
        } catch {
          // synthesis failed or was stopped: what was spoken so far stays, the rest is silence
        } finally {
          source.end();
        }
      })();
      return source;
    },
  };
}

/**
 * Prompts built with the account's own TTS engine (`speech.tts.accounts`): one builder per account
 * (made by `make` with the account's name), kept while the account keeps its name.
 */
export function accountPrompts(
  make: (accountName: string | undefined) => Pick<PromptBuilder, 'build'>,
  accountName: (accountId: number) => string | undefined,
): Pick<PromptBuilder, 'build'> {
  const builders = new Map<number, { name: string | undefined; builder: Pick<PromptBuilder, 'build'> }>();
  return {
    build(accountId, code, params, speech, log, onUnplayable) {
      const name = accountName(accountId);
      let entry = builders.get(accountId);
      if (!entry || entry.name !== name) {
        entry = { name, builder: make(name) };
        builders.set(accountId, entry);
      }
      return entry.builder.build(accountId, code, params, speech, log, onUnplayable);
    },
  };
}
