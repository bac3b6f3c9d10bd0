/**
 * What may interrupt what plays (spec §4.5), as pure rules over the media playing and the speech
 * heard; the engine carries them out.
 *
 * 1. A media is breakable or not (`action_code_break`); a time-break needs a breakable media.
 * 2. A reply's `action_break` stops what plays only if that media is breakable.
 * 3. Over a breakable media with a time-break, speech lasting that long stops it (a `timebreak`
 *    callback), once per utterance.
 * A key ends the breakable prompt of a key collection (the callee already knows what to press).
 */

import type { ActionMedia } from '../contract/callbackReply.js';
import type { PlayRequest } from './dialoguePort.js';

/** A play request as the queue holds it: what sounds, and since when (once the port says so). */
export interface Playing extends PlayRequest {
  startedAt: number | undefined;
}

export type MediaRequest = Omit<PlayRequest, 'id' | 'tts'>;

/** Rule 1 for a media: a time-break only when it may be interrupted at all. */
export function breakRules(
  breakable: boolean,
  timeBreakMs: number,
): Pick<PlayRequest, 'breakable' | 'timeBreakMs'> {
  return { breakable, timeBreakMs: breakable ? timeBreakMs : 0 };
}

/** What plays for an action's media. */
export function mediaRequest(
  code: string,
  media: ActionMedia,
  purpose: PlayRequest['purpose'],
  breakable: boolean,
): MediaRequest {
  return {
    code,
    params: media.actionCodeParam ?? {},
    ...breakRules(breakable, media.actionCodeTimeBreak),
    purpose,
  };
}

/** Rule 2: whether a request to interrupt (`action_break`, a `break` reply) stops `playing`. */
export function mayInterrupt(playing: Playing | undefined, requested: boolean): boolean {
  return requested && playing?.breakable === true;
}

/** Whether a key stops `playing`: only the breakable prompt of a key collection. */
export function keyEndsPrompt(playing: Playing | undefined): boolean {
  return playing?.purpose === 'dtmf' && playing.breakable;
}

/**
 * The callee's speech as far as interruptions care (rule 3): when it began, whether a media played
 * then (`is_playing` of the sentence), and whether it already broke a media.
 */
export class BargeIn {
  #startedAt: number | undefined;
  #startedWhilePlaying = false;
  #timeBreakFired = false;

  /** When the speech under way began; undefined between utterances. */
  get startedAt(): number | undefined {
    return this.#startedAt;
  }

  speechStarted(at: number, playing: boolean): void {
    this.#startedAt = at;
    this.#startedWhilePlaying = playing;
    this.#timeBreakFired = false;
  }

  /**
   * Continuous speech has lasted `durationMs`: true once it breaks `playing` — a breakable media
   * that has started and has a time-break no longer than that. Never twice for one utterance.
   */
  timeBreak(playing: Playing | undefined, durationMs: number): boolean {
    if (this.#timeBreakFired || !playing || !playing.breakable || playing.timeBreakMs <= 0) return false;
    if (playing.startedAt === undefined || durationMs < playing.timeBreakMs) return false;
    this.#timeBreakFired = true;
    return true;
  }

  /** The utterance is over: what it was, for its `normal` callback. */
  speechEnded(): { startedAt: number | undefined; startedWhilePlaying: boolean } {
    const ended = { startedAt: this.#startedAt, startedWhilePlaying: this.#startedWhilePlaying };
    this.#startedAt = undefined;
    this.#startedWhilePlaying = false;
    return ended;
  }
}
