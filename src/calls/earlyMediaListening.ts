/**
 * Listening to a call's early media, before any answer (spec §1 step 3, §5.5.3, `EarlyMediaAsr`):
 * an operator announcement ("the number you dialled is switched off") is recognised with the
 * announcement phrase model, posted to the callback as `normal` with
 * current_media_code=early_media, and mapped to the code that says why the call failed.
 *
 * Owns its listener and its hold on the media's frames: `close()` (the call was answered) drops
 * both at once; `finish()` (the call failed) first lets the listener recognise the announcement
 * the failure cut off, and waits for its callbacks.
 */
import type { SmartCallRequest } from '../contract/smartCallRequest.js';
import type { CallMedia } from '../media/callMedia.js';
import type { Logger } from '../observability/logger.js';
import { EARLY_MEDIA_MODEL } from '../speech/earlyMediaPhrases.js';
import type { AccountRecord } from '../store/records.js';
import type { CallbackExchange } from './callbackExchange.js';
import type { CallEvents } from './callEvents.js';
import type { CallListener, ListenerEvents, ListenerFactory } from './callListener.js';
import { earlyMediaCode } from './callOutcome.js';

export interface EarlyMediaListeningOptions {
  callId: string;
  request: Pick<SmartCallRequest, 'pauseTime' | 'dynamicId' | 'calledNumber'>;
  account: Pick<AccountRecord, 'id' | 'name'>;
  /** The call's media, carrying the early audio. */
  media: Pick<CallMedia, 'on' | 'off'>;
  listeners: ListenerFactory;
  callbacks: Pick<CallbackExchange, 'post'>;
  events: CallEvents;
  log: Logger;
}

export class EarlyMediaListening {
  readonly #o: EarlyMediaListeningOptions;
  #listener: CallListener | undefined;
  #code: string | undefined;
  readonly #posts: Promise<unknown>[] = [];
  readonly #onFrame = (pcm: Int16Array, at: number): void => this.#listener?.push(pcm, at);

  /** Starts listening at once. */
  constructor(options: EarlyMediaListeningOptions) {
    this.#o = options;
    this.#listener = options.listeners({
      accountId: options.account.id,
      accountName: options.account.name,
      // Announcements, not answers: the operator-announcement phrase model.
      asrBaseId: EARLY_MEDIA_MODEL,
      asrModelId: null,
      pauseTimeMs: options.request.pauseTime,
      log: options.log,
      events: this.#events(),
    });
    options.media.on('frame', this.#onFrame);
  }

  /** What the last recognised announcement says about the call (spec §5.5.3), if anything. */
  get code(): string | undefined {
    return this.#code;
  }

  /** The call was answered: what plays now is the callee, not an announcement. */
  close(): void {
    const listener = this.#release();
    listener?.close();
  }

  /**
   * The call failed: an announcement cut by the failure is still recognised (it says why), and
   * its callbacks are waited for. Never rejects.
   */
  async finish(): Promise<void> {
    const listener = this.#release();
    if (!listener) return;
    await listener.finish().catch((err) => this.#o.log.warn({ err }, 'the announcement was not recognised'));
    listener.close();
    await Promise.allSettled(this.#posts);
  }

  #release(): CallListener | undefined {
    const listener = this.#listener;
    this.#listener = undefined;
    if (listener) this.#o.media.off('frame', this.#onFrame);
    return listener;
  }

  #events(): ListenerEvents {
    const o = this.#o;
    return {
      speechStarted: () => {},
      speechContinuing: () => {},
      speechEnded: (at, result) => {
        o.events.emit('heard', { callId: o.callId, at, ...result, earlyMedia: true });
        if (!result.words) return;
        const code = earlyMediaCode(result.words);
        if (code) this.#code = code;
        // Reported as `normal` with current_media_code=early_media (spec §1 step 3); no reply is
        // acted on, and a failure does not count toward the conversation's failure policy.
        this.#posts.push(
          o.callbacks.post(
            {
              type: 'normal',
              content: {
                words: result.words,
                begin_offset: '0',
                end_offset: String(Math.round(result.endAt - result.beginAt)),
                begin_time: '',
                is_playing: false,
                current_media_code: 'early_media',
                dynamic_id: o.request.dynamicId ?? '',
                asr_begin_time: String(Math.round(result.beginAt)),
                asr_end_time: String(Math.round(result.endAt)),
                play_begin_time: '0',
                play_end_time: '0',
                role: 'B',
                identity: o.request.calledNumber,
              },
            },
            { earlyMedia: true },
          ),
        );
      },
    };
  }
}
