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

/**
 * Listeners for calls: each with the engine its account and ASR model select. Times (sentence
 * ends, grace periods) come from `clock`, the clock the call's answer time comes from.
 */
export function speechListeners(
  engines: Pick<SpeechEngines, 'createVad' | 'asr'>,
  clock: Clock = systemClock,
): ListenerFactory {
  return (o) => {
    const vad: Vad = engines.createVad();
    const endpointer = new Endpointer({ pauseMs: o.pauseTimeMs });
    let streamStart: number | undefined;
    let sentenceBegin: number | undefined;
    let runStart: number | undefined;
    let lastSpeechEnd = Number.NEGATIVE_INFINITY;
    let grace: unknown;
    const clearGrace = () => {
      if (grace !== undefined) clock.clearTimer(grace);
      grace = undefined;
    };
    let closed = false;
    const onEvent = (e: AsrEvent) => {
      if (closed || e.type === 'partial' || streamStart === undefined) return;
      clearGrace();
      const text = e.type === 'final' ? e.text.trim() : '';
      o.events.speechEnded(clock.now(), {
        words: text ? (o.itn ? inverseTextNormalize(text) : text) : undefined,
        beginAt: streamStart + e.beginMs,
        endAt: streamStart + e.endMs,
      });
      if (e.type === 'rejected') o.log.debug({ reason: e.reason, detail: e.detail }, 'speech not recognised');
    };
    let asr: AsrStream | undefined;
    try {
      asr = engines
        .asr({
          accountId: o.accountId,
          accountName: o.accountName,
          asrBaseId: o.asrBaseId,
          ...(o.asrModelId && { asrModelId: o.asrModelId }),
        })
        .createStream({ onEvent, pauseMs: o.pauseTimeMs, itn: o.itn ?? false, log: o.log });
    } catch (err) {
      o.log.error(
        { err: (err as Error).message },
        'no recognizer for this call: speech will not be transcribed',
      );
    }
    const listener: CallListener = {
      push(pcm, at) {
        if (closed) return;
        streamStart ??= at;
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
            if (!asr) o.events.speechEnded(at, { words: undefined, beginAt: e.beginMs, endAt: e.endMs });
            else {
              clearGrace();
              grace = clock.setTimer(() => {
                grace = undefined;
                o.events.speechEnded(clock.now(), { words: undefined, beginAt: e.beginMs, endAt: e.endMs });
              }, RESULT_GRACE_MS);
            }
          }
        }
        if (speech && sentenceBegin !== undefined && runStart !== undefined) {
          o.events.speechContinuing(at + 20 - runStart, at);
        }
        asr?.write(pcm);
      },
      async finish() {
        if (closed || !asr) return;
        await within(asr.finish(), FINISH_LIMIT_MS, clock);
      },
      close() {
        if (closed) return;
        closed = true;
        clearGrace();
        asr?.close();
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
