/**
 * The content of each callback the dialogue posts (spec §4.3), read from the dialogue's state at
 * that moment: `dynamic_id` and `record_begin_time` from the reply settings, `current_media_code`,
 * `is_playing` and the play times from the playback queue. Times are epoch ms on the call's clock;
 * offsets count from the answer; the wire wants whole milliseconds, as strings (spec §10 Q4).
 */

import type { CallbackContent } from '../contract/callbackContent.js';
import { formatChinaTime } from '../contract/chinaTime.js';
import type { PlaybackQueue } from './playbackQueue.js';
import type { ReplySettings } from './replySettings.js';

/** An utterance that ended, as the speech path and the barge-in rules saw it. */
export interface Sentence {
  /** What was recognised; undefined when the recognizer rejected the utterance. */
  words: string | undefined;
  beganAt: number;
  endAt: number;
  /** A media played when the speech began (it may have ended since). */
  startedWhilePlaying: boolean;
}

/** How a `parallel_transfer` leg went. */
export interface ParallelTransferResult {
  status: 'success' | 'fail';
  failCause: string;
  isMonitor: boolean;
  ccName: string;
}

const wholeMs = (t: number) => String(Math.round(t));

export class CallbackContents {
  readonly #call: { answeredAt: number; callee: string };
  readonly #settings: Pick<ReplySettings, 'dynamicId' | 'recordBeginAt'>;
  readonly #queue: Pick<PlaybackQueue, 'playing' | 'lastPlay' | 'currentItem'>;

  constructor(
    call: { answeredAt: number; callee: string },
    settings: Pick<ReplySettings, 'dynamicId' | 'recordBeginAt'>,
    queue: Pick<PlaybackQueue, 'playing' | 'lastPlay' | 'currentItem'>,
  ) {
    this.#call = call;
    this.#settings = settings;
    this.#queue = queue;
  }

  /** A `normal` callback: one utterance of the callee. */
  normal(s: Sentence): CallbackContent {
    const { answeredAt, callee } = this.#call;
    const last = this.#queue.lastPlay;
    const recordBeginAt = this.#settings.recordBeginAt;
    return {
      type: 'normal',
      content: {
        // Issue 11 item 8: an utterance the recognizer rejects is still a turn, with no words.
        words: s.words ?? '',
        begin_offset: String(Math.max(0, Math.round(s.beganAt - answeredAt))),
        end_offset: String(Math.max(0, Math.round(s.endAt - answeredAt))),
        begin_time: formatChinaTime(answeredAt),
        is_playing: s.startedWhilePlaying || this.#queue.playing !== undefined,
        current_media_code: this.#queue.currentItem(),
        dynamic_id: this.#settings.dynamicId,
        ...(recordBeginAt !== undefined && { record_begin_time: Math.round(recordBeginAt) }),
        asr_begin_time: wholeMs(s.beganAt),
        asr_end_time: wholeMs(s.endAt),
        play_begin_time: last ? wholeMs(last.startedAt) : '0',
        play_end_time: last?.endedAt !== undefined ? wholeMs(last.endedAt) : '0',
        role: 'B',
        identity: callee,
      },
    };
  }

  /**
   * A `timebreak` callback (spec §4.5 rule 3), built before the media is flushed: speech that began
   * at `speechBeganAt` breaks the media playing, which began at `playBeganAt`.
   */
  timebreak(playBeganAt: number, speechBeganAt: number): CallbackContent {
    return {
      type: 'timebreak',
      content: {
        current_media_code: this.#queue.currentItem(),
        asr_begin_time: wholeMs(speechBeganAt),
        play_begin_time: wholeMs(playBeganAt),
        dynamic_id: this.#settings.dynamicId,
      },
    };
  }

  /** A `mute` callback: MuteTime of quiet. */
  mute(): CallbackContent {
    return { type: 'mute', content: { dynamic_id: this.#settings.dynamicId } };
  }

  /** A `dtmf` callback: the keys collected, or `noInputTimeout`. */
  dtmf(dtmfDigits: string): CallbackContent {
    return { type: 'dtmf', content: { dynamic_id: this.#settings.dynamicId, dtmf_digits: dtmfDigits } };
  }

  /** A `parallel_transfer` callback (spec §4.3). */
  parallelTransfer(r: ParallelTransferResult): CallbackContent {
    return {
      type: 'parallel_transfer',
      content: {
        dynamic_id: this.#settings.dynamicId,
        transfer_status: r.status,
        fail_cause: r.failCause,
        is_monitor: r.isMonitor,
        cc_name: r.ccName,
      },
    };
  }
}
