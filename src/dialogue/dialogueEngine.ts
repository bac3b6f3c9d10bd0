/**
 * The SmartCall dialogue of one answered call (spec §4): the opening prompt, then turn after turn —
 * a recognised sentence, a silence (MuteTime), a barge-in by speech duration, collected keys — each
 * sent to the business's callback, whose reply says what to do next.
 *
 * The engine decides; it does no I/O. Audio, hang-up and HTTP go through a `DialoguePort`, time
 * through a `Clock`, so tests drive whole conversations without sleeping. Inputs are the events of
 * the call (playback started/ended, speech started/ended, recognised words, DTMF, the far end
 * hanging up).
 *
 * This file is the coordinator: it owns the dialogue's lifetime (`start`, `stop`), routes the call's
 * events to the parts below and decides when the call is quiet (MuteTime). Each part has one job:
 * `PlaybackQueue` (what plays), `interruptionRules` (§4.5: what may stop it, barge-in by speech),
 * `CallbackTurns` (callbacks one at a time), `CallbackContents` (what each says), `ReplyActions`
 * (what a reply does), `ReplySettings` and `SessionLimit` (what a reply changes for the rest of the
 * call), `MuteTimer`, `DtmfCollector` (keys). `stop()` closes every timer they hold.
 */

import type { Clock } from '../clock/clock.js';
import type { CallbackContent, UnrecognizedSpeech } from '../contract/callbackContent.js';
import type { CallbackAction } from '../contract/callbackReply.js';
import type { Logger } from '../observability/logger.js';
import { CallbackContents, type ParallelTransferResult } from './callbackContents.js';
import { CallbackTurns } from './callbackTurns.js';
import type { DialoguePort, HangupCause, TtsSettings } from './dialoguePort.js';
import { DtmfCollector } from './dtmfCollector.js';
import { BargeIn, breakRules } from './interruptionRules.js';
import { MuteTimer } from './muteTimer.js';
import { PlaybackQueue } from './playbackQueue.js';
import { ReplyActions } from './replyActions.js';
import { ReplySettings } from './replySettings.js';
import { SessionLimit } from './sessionLimit.js';

// The port's types were first declared here; their users import them from here still.
export type {
  CallbackDecision,
  DialoguePort,
  HangupCause,
  PlayRequest,
  RecognizerChoice,
  TtsSettings,
} from './dialoguePort.js';

export interface DialogueOptions {
  port: DialoguePort;
  time: Clock;
  log: Logger;
  callee: string;
  /** When the call was answered (epoch ms): offsets are relative to it (spec §4.3). */
  answeredAt: number;
  /** Recording start, when recording. */
  recordBeginAt?: number;
  voiceCode: string;
  voiceCodeParam: Record<string, string>;
  actionCodeBreak: boolean;
  actionCodeTimeBreak: number;
  muteTimeMs: number;
  /** Maximum call duration, ms. */
  sessionTimeoutMs: number;
  dynamicId: string | null;
  tts: TtsSettings | undefined;
  /**
   * What the call does once answered instead of playing `voiceCode`: the first step of a call whose
   * script runs in the platform (SingleCallByVoice, IvrCall, …), carried out like a reply.
   */
  opening?: CallbackAction;
  /** What a rejected utterance produces (the account's setting). */
  unrecognized: UnrecognizedSpeech;
  /**
   * A key pressed outside a key collection is a `dtmf` turn of its own (one key), and cuts a
   * breakable prompt: a scripted dialog listens for speech and keys at once. Off for callbacks,
   * which are told keys only when a `dtmf` action collects them (spec §4.4).
   */
  keysWhileListening?: boolean;
}

export class DialogueEngine {
  readonly #o: DialogueOptions;
  readonly #time: Clock;
  readonly #settings: ReplySettings;
  readonly #session: SessionLimit;
  readonly #mute: MuteTimer;
  readonly #queue: PlaybackQueue;
  readonly #speech = new BargeIn();
  readonly #keys: DtmfCollector;
  readonly #contents: CallbackContents;
  readonly #turns: CallbackTurns;
  readonly #replies: ReplyActions;
  #ended = false;

  constructor(options: DialogueOptions) {
    const { port, time } = options;
    this.#o = options;
    this.#time = time;
    this.#settings = new ReplySettings(options, port);
    this.#session = new SessionLimit(time, () => this.#hangup('session-timeout'));
    this.#mute = new MuteTimer(time, () => this.#send(this.#contents.mute()));
    this.#queue = new PlaybackQueue(port, () => {
      this.#keys.update();
      this.#updateMuteTimer();
    });
    this.#keys = new DtmfCollector(time, this.#queue, (digits) => this.#send(this.#contents.dtmf(digits)));
    this.#contents = new CallbackContents(options, this.#settings, this.#queue);
    this.#replies = new ReplyActions({
      port,
      settings: this.#settings,
      session: this.#session,
      queue: this.#queue,
      keys: this.#keys,
      hangup: (cause) => this.#hangup(cause),
      stop: () => this.stop(),
      handOver: () => this.handOver(),
    });
    this.#turns = new CallbackTurns(port, {
      posted: () => this.#updateMuteTimer(),
      decided: (decision) => {
        this.#replies.carryOut(decision.action, decision.source);
        this.#updateMuteTimer();
      },
      failed: (err) => {
        this.#o.log.error({ err }, 'callback port failed unexpectedly: hanging up');
        this.#hangup('callback-failure');
      },
    });
  }

  get ended(): boolean {
    return this.#ended;
  }

  get dynamicId(): string {
    return this.#settings.dynamicId;
  }

  /** Whether a prompt is playing (for the call record: a hang-up during a prompt is 200001). */
  get playing(): boolean {
    return this.#queue.playing !== undefined;
  }

  /** The call is answered: play the opening prompt, start the SessionTimeout clock. */
  start(): void {
    const o = this.#o;
    this.#session.start(o.sessionTimeoutMs);
    if (o.opening) {
      this.#replies.carryOut(o.opening, 'reply');
      return;
    }
    this.#queue.enqueue(
      {
        code: o.voiceCode,
        params: o.voiceCodeParam,
        // Spec §3.1 #13: time-based barge-in needs ActionCodeBreak=true.
        ...breakRules(o.actionCodeBreak, o.actionCodeTimeBreak),
        purpose: 'prompt',
      },
      this.#settings.tts,
    );
  }

  /** The far end hung up, or the call ended for any other reason: stop every timer. */
  stop(): void {
    if (this.#ended) return;
    this.#ended = true;
    this.#mute.close();
    this.#session.close();
    this.#keys.close();
    this.#queue.close();
    this.#turns.close();
  }

  /** A recording a reply asked for (`record_flag`) began: later callbacks carry its start. */
  recordingStarted(at: number): void {
    this.#settings.recordingStarted(at);
  }

  // ---- events from the media path ------------------------------------------------------------

  playbackStarted(id: string, at: number): void {
    if (this.#queue.started(id, at)) this.#updateMuteTimer();
  }

  /**
   * `_completed` false: flushed, or the media could not be played. What follows is the same either
   * way: the next media, or the no-input clock of a key collection; after a hang-up's last words,
   * the hang-up.
   */
  playbackEnded(id: string, at: number, _completed: boolean): void {
    const ended = this.#queue.ended(id, at);
    if (!ended) return;
    if (ended.purpose === 'hangup') {
      this.#hangup('business');
      return;
    }
    this.#queue.playNext();
    this.#keys.update();
    this.#updateMuteTimer();
  }

  speechStarted(at: number): void {
    if (this.#ended) return;
    this.#speech.speechStarted(at, this.#queue.playing !== undefined);
    this.#updateMuteTimer();
  }

  /** Continuous speech has lasted `durationMs` (called as it grows): spec §4.5 rule 3. */
  speechContinuing(durationMs: number): void {
    const p = this.#queue.playing;
    if (this.#ended || p?.startedAt === undefined || !this.#speech.timeBreak(p, durationMs)) return;
    const event = this.#contents.timebreak(p.startedAt, this.#speech.startedAt ?? this.#time.now());
    this.#queue.stopAll();
    this.#send(event);
  }

  /** The end of a sentence (PauseTime of silence) with what was recognised, if anything. */
  speechEnded(at: number, words: string | undefined, bounds?: { beginAt: number; endAt: number }): void {
    if (this.#ended) return;
    const speech = this.#speech.speechEnded();
    const beganAt = bounds?.beginAt ?? speech.startedAt ?? at;
    const endAt = bounds?.endAt ?? at;
    this.#updateMuteTimer();
    // Keys are being collected: speech is not a turn of its own.
    if (this.#keys.collecting) return;
    if (!words && this.#o.unrecognized === 'silent') {
      this.#o.log.debug({ began: beganAt, endAt }, 'speech not recognised: no callback (account setting)');
      return;
    }
    const startedWhilePlaying = speech.startedWhilePlaying;
    this.#send(this.#contents.normal({ words, beganAt, endAt, startedWhilePlaying }));
  }

  /** A key: keys count from the moment a `dtmf` action is carried out, over its prompt too. */
  dtmf(digit: string): void {
    if (this.#ended) return;
    if (this.#o.keysWhileListening && !this.#keys.collecting) {
      if (this.#queue.playing?.breakable) this.#queue.stopAll();
      this.#send(this.#contents.dtmf(digit));
      return;
    }
    this.#keys.key(digit);
  }

  /** The callee now talks to a person (a bridge made here or through SmartCallOperate). */
  handOver(): void {
    if (this.#ended) return;
    this.stop();
    if (this.#queue.playing) this.#o.port.stopPlayback();
  }

  /** A `parallel_transfer` callback (spec §4.3): how the second leg went. */
  parallelTransferResult(result: ParallelTransferResult): void {
    this.#send(this.#contents.parallelTransfer(result));
  }

  #send(event: CallbackContent): void {
    if (!this.#ended) this.#turns.post(event);
  }

  /**
   * Spec §4.5 rule 5: `mute` after MuteTime with neither speech nor playback, nor a turn or a key
   * collection under way. The clock starts again whenever that condition begins.
   */
  #updateMuteTimer(): void {
    const quiet =
      !this.#ended &&
      this.#queue.idle &&
      this.#speech.startedAt === undefined &&
      this.#turns.idle &&
      !this.#keys.collecting;
    this.#mute.update(quiet, this.#settings.muteTimeMs);
  }

  #hangup(cause: HangupCause): void {
    if (this.#ended) return;
    this.stop();
    this.#o.port.hangup(cause);
  }
}
