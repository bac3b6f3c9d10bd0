/**
 * Turns per-frame VAD decisions into the events a call's dialogue needs (spec §3.1 PauseTime,
 * MuteTime, ActionCodeTimeBreak; §4.5 rules 3 and 5). Pure: every input carries its own timestamp
 * (ms on any monotonic clock the caller chooses), nothing here reads a clock or owns a timer, so a
 * test can say "speech from 1000 to 1800 ms" frame by frame.
 *
 * - A sentence starts when speech has lasted `minSpeechMs` (shorter bursts are clicks and are
 *   dropped); it ends when `pauseMs` of non-speech follow. Its span is [first speech frame, end of
 *   the last speech frame]: the pause is waiting time, not part of the sentence.
 * - Continuous speech: while a sentence runs without a gap longer than `gapToleranceMs`, one
 *   `continuous-speech` event fires once its duration reaches `timeBreakMs` (0 = off).
 * - Mute: fires when for `muteMs` there was neither speech nor playback; the quiet time counts from
 *   the later of the last speech, the end of the last playback, or {@link Endpointer.start}. It fires
 *   again after another `muteMs` of quiet.
 */

export interface EndpointerOptions {
  /** End-of-sentence silence, ms (SmartCall PauseTime; the caller clamps 300–1200). */
  pauseMs: number;
  /** User-silence timeout, ms (SmartCall MuteTime); 0 disables the mute timer. */
  muteMs?: number;
  /** Continuous speech that triggers time-based barge-in, ms; 0 disables it. */
  timeBreakMs?: number;
  /** Shortest speech burst that starts a sentence (default 100 ms). */
  minSpeechMs?: number;
  /** Longest gap that still counts as continuous speech (default 200 ms). */
  gapToleranceMs?: number;
  /** Duration of one frame (default 20 ms). */
  frameMs?: number;
}

export type EndpointerEvent =
  | { type: 'speech-start'; beginMs: number; atMs: number }
  | { type: 'speech-end'; beginMs: number; endMs: number; atMs: number }
  | { type: 'continuous-speech'; beginMs: number; durationMs: number; atMs: number }
  | { type: 'mute'; quietSinceMs: number; atMs: number };

export class Endpointer {
  #pauseMs: number;
  #muteMs: number;
  #timeBreakMs: number;
  readonly #minSpeechMs: number;
  readonly #gapToleranceMs: number;
  readonly #frameMs: number;

  /** Start of the current run of speech frames that has not yet become a sentence. */
  #candidateStart: number | null = null;
  #inSentence = false;
  #sentenceStart = 0;
  #lastSpeechEnd = 0;
  #runStart = 0;
  #timeBreakFired = false;
  #playing = false;
  #quietSince: number | null = null;

  constructor(options: EndpointerOptions) {
    this.#pauseMs = options.pauseMs;
    this.#muteMs = options.muteMs ?? 0;
    this.#timeBreakMs = options.timeBreakMs ?? 0;
    this.#minSpeechMs = options.minSpeechMs ?? 100;
    this.#gapToleranceMs = options.gapToleranceMs ?? 200;
    this.#frameMs = options.frameMs ?? 20;
  }

  get inSpeech(): boolean {
    return this.#inSentence;
  }

  /** Arms the mute timer (the call was answered at `atMs`). */
  start(atMs: number): void {
    this.#quietSince = atMs;
  }

  setPauseTime(ms: number): void {
    this.#pauseMs = ms;
  }

  /** MuteTime may change during a call; the latest value applies to the running quiet period. */
  setMuteTime(ms: number): void {
    this.#muteMs = ms;
  }

  /** Time-based barge-in threshold of the media now playing (0 = off). */
  setTimeBreak(ms: number): void {
    this.#timeBreakMs = ms;
  }

  playbackStarted(_atMs: number): void {
    this.#playing = true;
  }

  /** The mute timer starts when playback ends (spec §4.5 rule 5). */
  playbackEnded(atMs: number): void {
    this.#playing = false;
    if (!this.#inSentence) this.#quietSince = atMs;
  }

  /** One frame starting at `frameStartMs`, with the VAD's decision. Returns what happened. */
  push(frameStartMs: number, speech: boolean): EndpointerEvent[] {
    const events: EndpointerEvent[] = [];
    const frameEnd = frameStartMs + this.#frameMs;
    if (speech) {
      if (this.#inSentence) {
        if (frameStartMs - this.#lastSpeechEnd > this.#gapToleranceMs) {
          this.#runStart = frameStartMs;
          this.#timeBreakFired = false;
        }
        this.#lastSpeechEnd = frameEnd;
      } else {
        this.#candidateStart ??= frameStartMs;
        if (frameEnd - this.#candidateStart >= this.#minSpeechMs) {
          this.#inSentence = true;
          this.#sentenceStart = this.#candidateStart;
          this.#runStart = this.#candidateStart;
          this.#timeBreakFired = false;
          this.#lastSpeechEnd = frameEnd;
          this.#candidateStart = null;
          events.push({ type: 'speech-start', beginMs: this.#sentenceStart, atMs: frameEnd });
        }
      }
      if (this.#inSentence) this.#quietSince = null;
    } else {
      this.#candidateStart = null;
    }
    if (this.#inSentence) {
      if (speech && this.#timeBreakMs > 0 && !this.#timeBreakFired) {
        const duration = frameEnd - this.#runStart;
        if (duration >= this.#timeBreakMs) {
          this.#timeBreakFired = true;
          events.push({
            type: 'continuous-speech',
            beginMs: this.#runStart,
            durationMs: duration,
            atMs: frameEnd,
          });
        }
      }
      if (!speech && frameEnd - this.#lastSpeechEnd >= this.#pauseMs) {
        this.#inSentence = false;
        events.push({
          type: 'speech-end',
          beginMs: this.#sentenceStart,
          endMs: this.#lastSpeechEnd,
          atMs: frameEnd,
        });
        this.#quietSince = this.#playing ? null : this.#lastSpeechEnd;
      }
    }
    this.#checkMute(frameEnd, events);
    return events;
  }

  /** Advances time without a frame (e.g. while no audio arrives); only the mute timer can fire. */
  advance(nowMs: number): EndpointerEvent[] {
    const events: EndpointerEvent[] = [];
    this.#checkMute(nowMs, events);
    return events;
  }

  #checkMute(nowMs: number, events: EndpointerEvent[]): void {
    if (this.#muteMs <= 0 || this.#playing || this.#inSentence) return;
    if (this.#quietSince === null) {
      this.#quietSince = nowMs;
      return;
    }
    if (nowMs - this.#quietSince >= this.#muteMs) {
      events.push({ type: 'mute', quietSinceMs: this.#quietSince, atMs: nowMs });
      this.#quietSince = nowMs;
    }
  }
}
