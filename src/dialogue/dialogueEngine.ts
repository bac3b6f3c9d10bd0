/**
 * The SmartCall dialogue of one answered call (spec §4): the opening prompt, then turn after turn —
 * a recognised sentence, a silence (MuteTime), a barge-in by speech duration, collected keys — each
 * sent to the business's callback, whose reply says what to do next.
 *
 * The engine decides; it does no I/O. Audio, hang-up and HTTP go through a `DialoguePort`, time
 * through a `Clock`, so tests drive whole conversations without sleeping. Inputs are the
 * events of the call (playback started/ended, speech started/ended, recognised words, DTMF, the far
 * end hanging up). Interruption rules are those of spec §4.5.
 */

import type { Clock } from '../clock/clock.js';
import type { CallbackContent, UnrecognizedSpeech } from '../contract/callbackContent.js';
import type { ActionMedia, CallbackAction, DtmfAction } from '../contract/callbackReply.js';
import { formatChinaTime } from '../contract/chinaTime.js';
import type { Logger } from '../observability/logger.js';
import { DtmfCollection } from './dtmfCollection.js';

export interface TtsSettings {
  style?: string;
  volume?: number;
  speed?: number;
}

/** One thing to play: a whole VoiceCode / action_code, whose items play back to back. */
export interface PlayRequest {
  id: string;
  /** The VoiceCode / action_code text (`current_media_code` names the item of it that sounds). */
  code: string;
  params: Record<string, string>;
  breakable: boolean;
  /** Barge-in after this much continuous speech (0 = off). */
  timeBreakMs: number;
  purpose: 'prompt' | 'hangup' | 'dtmf';
  tts: TtsSettings | undefined;
}

export type HangupCause = 'business' | 'session-timeout' | 'callback-failure' | 'playback-failed';

export interface CallbackDecision {
  action: CallbackAction;
  /** Where the action came from: the business, the account's fallback, or the failure policy. */
  source: 'reply' | 'fallback' | 'policy';
}

export interface DialoguePort {
  /** Start playing now (the engine plays one request at a time and says when to stop). */
  play(request: PlayRequest): void;
  /** Stop what plays, at once (barge-in). */
  stopPlayback(): void;
  hangup(cause: HangupCause): void;
  /** Posts a callback; resolves with what to do, the failure policy already applied. */
  callback(event: CallbackContent): Promise<CallbackDecision>;
  /** Blind transfer (spec §4.4 `transfer`): the robot leaves the call to `number`. */
  transfer(number: string): void;
  /** A second leg to a call centre while the robot keeps talking (`parallel_transfer`). */
  parallelTransfer(options: { ccName?: string; playFile?: string; isMonitor: boolean }): void;
  /** Bridges the callee with the parallel leg's agent (`parallel_bridge`); false if there is none. */
  parallelBridge(): boolean;
  /**
   * The code of the VoiceCode item of play `id` that sounds now (a voice file ID, a URL, `$var$`,
   * a template ID): `current_media_code` names the item, not the whole sequence.
   */
  playingItem(id: string): string | undefined;
  /** `record_flag` true: record the call from now on; `recordingStarted` follows once it does. */
  startRecording(): void;
  /** `asr_model_id` / `asr_base_id`: recognise the following sentences with this choice. */
  switchRecognizer(choice: RecognizerChoice): void;
}

/** A reply's ASR choice; a field left out keeps what the call uses. */
export interface RecognizerChoice {
  asrModelId?: string;
  asrBaseId?: string;
}

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
}

interface Playing extends PlayRequest {
  startedAt: number | undefined;
}

/** What plays for an action's media (spec §4.5 rule 1: a time-break needs a breakable media). */
function mediaRequest(
  code: string,
  media: ActionMedia,
  purpose: PlayRequest['purpose'],
  breakable: boolean,
): Omit<PlayRequest, 'id' | 'tts'> {
  return {
    code,
    params: media.actionCodeParam ?? {},
    breakable,
    timeBreakMs: breakable ? media.actionCodeTimeBreak : 0,
    purpose,
  };
}

export class DialogueEngine {
  readonly #o: DialogueOptions;
  readonly #port: DialoguePort;
  readonly #time: Clock;
  #muteTimeMs: number;
  #dynamicId: string;
  #tts: TtsSettings | undefined;
  #playing: Playing | undefined;
  readonly #pending: PlayRequest[] = [];
  /** When the last media played (play_begin_time / play_end_time). */
  #lastPlay: { startedAt: number; endedAt: number | undefined } | undefined;
  #speechStartedAt: number | undefined;
  #speechStartedWhilePlaying = false;
  #timeBreakFired = false;
  #muteTimer: unknown;
  #sessionTimer: unknown;
  /** When the SessionTimeout clock started (a reply's `session_timeout` counts from there too). */
  #sessionStartedAt = 0;
  #recordBeginAt: number | undefined;
  readonly #callbackQueue: CallbackContent[] = [];
  #callbackBusy = false;
  #dtmf: DtmfCollection | undefined;
  #hangupAfterPlay = false;
  #ended = false;
  #nextId = 1;

  constructor(options: DialogueOptions) {
    this.#o = options;
    this.#port = options.port;
    this.#time = options.time;
    this.#muteTimeMs = options.muteTimeMs;
    this.#dynamicId = options.dynamicId ?? '';
    this.#tts = options.tts;
    this.#recordBeginAt = options.recordBeginAt;
  }

  get ended(): boolean {
    return this.#ended;
  }

  get dynamicId(): string {
    return this.#dynamicId;
  }

  /** Whether a prompt is playing (for the call record: a hang-up during a prompt is 200001). */
  get playing(): boolean {
    return this.#playing !== undefined;
  }

  /** The call is answered: play the opening prompt, start the SessionTimeout clock. */
  start(): void {
    this.#sessionStartedAt = this.#time.now();
    this.#armSessionTimer(this.#o.sessionTimeoutMs);
    if (this.#o.opening) {
      this.#execute(this.#o.opening, 'reply');
      return;
    }
    this.#enqueue({
      code: this.#o.voiceCode,
      params: this.#o.voiceCodeParam,
      breakable: this.#o.actionCodeBreak,
      // Spec §3.1 #13: time-based barge-in needs ActionCodeBreak=true.
      timeBreakMs: this.#o.actionCodeBreak ? this.#o.actionCodeTimeBreak : 0,
      purpose: 'prompt',
    });
  }

  /** The far end hung up, or the call ended for any other reason: stop every timer. */
  stop(): void {
    if (this.#ended) return;
    this.#ended = true;
    for (const t of [this.#muteTimer, this.#sessionTimer]) if (t !== undefined) this.#time.clearTimer(t);
    this.#muteTimer = undefined;
    this.#sessionTimer = undefined;
    this.#dtmf?.close();
    this.#dtmf = undefined;
    this.#pending.length = 0;
    this.#callbackQueue.length = 0;
  }

  /** A recording a reply asked for (`record_flag`) began: later callbacks carry its start. */
  recordingStarted(at: number): void {
    this.#recordBeginAt ??= at;
  }

  // ---- events from the media path ------------------------------------------------------------

  playbackStarted(id: string, at: number): void {
    if (this.#playing?.id !== id) return;
    this.#playing.startedAt = at;
    this.#lastPlay = { startedAt: at, endedAt: undefined };
    this.#updateMuteTimer();
  }

  /**
   * `_completed` false: flushed, or the media could not be played. What follows is the same either
   * way: the next media, or the no-input clock of a key collection.
   */
  playbackEnded(id: string, at: number, _completed: boolean): void {
    const ended = this.#playing;
    if (ended?.id !== id) return;
    this.#playing = undefined;
    if (this.#lastPlay && this.#lastPlay.endedAt === undefined) this.#lastPlay.endedAt = at;
    if (ended.purpose === 'hangup' && this.#hangupAfterPlay) {
      this.#hangup('business');
      return;
    }
    this.#playNext();
    this.#updateDtmfTimer();
    this.#updateMuteTimer();
  }

  speechStarted(at: number): void {
    if (this.#ended) return;
    this.#speechStartedAt = at;
    this.#speechStartedWhilePlaying = this.#playing !== undefined;
    this.#timeBreakFired = false;
    this.#updateMuteTimer();
  }

  /**
   * Continuous speech has lasted `durationMs` (called as it grows). Spec §4.5 rule 3: over a
   * breakable media with a time-break, playback stops and a `timebreak` callback goes out.
   */
  speechContinuing(durationMs: number): void {
    const p = this.#playing;
    if (
      this.#ended ||
      this.#timeBreakFired ||
      !p ||
      !p.breakable ||
      p.timeBreakMs <= 0 ||
      p.startedAt === undefined
    )
      return;
    if (durationMs < p.timeBreakMs) return;
    this.#timeBreakFired = true;
    const item = this.#currentItem();
    this.#stopAll();
    this.#send({
      type: 'timebreak',
      content: {
        current_media_code: item,
        asr_begin_time: String(Math.round(this.#speechStartedAt ?? this.#time.now())),
        play_begin_time: String(Math.round(p.startedAt)),
        dynamic_id: this.#dynamicId,
      },
    });
  }

  /** The end of a sentence (PauseTime of silence) with what was recognised, if anything. */
  speechEnded(at: number, words: string | undefined, bounds?: { beginAt: number; endAt: number }): void {
    if (this.#ended) return;
    const began = bounds?.beginAt ?? this.#speechStartedAt ?? at;
    const endAt = bounds?.endAt ?? at;
    const wasPlaying = this.#speechStartedWhilePlaying;
    this.#speechStartedAt = undefined;
    this.#speechStartedWhilePlaying = false;
    this.#updateMuteTimer();
    // Keys are being collected: speech is not a turn of its own.
    if (this.#dtmf) return;
    if (!words && this.#o.unrecognized === 'silent') {
      this.#o.log.debug({ began, endAt }, 'speech not recognised: no callback (account setting)');
      return;
    }
    const last = this.#lastPlay;
    this.#send({
      type: 'normal',
      content: {
        // Issue 11 item 8: an utterance the recognizer rejects is still a turn, with no words.
        words: words ?? '',
        begin_offset: String(Math.max(0, Math.round(began - this.#o.answeredAt))),
        end_offset: String(Math.max(0, Math.round(endAt - this.#o.answeredAt))),
        begin_time: formatChinaTime(this.#o.answeredAt),
        is_playing: wasPlaying || this.#playing !== undefined,
        current_media_code: this.#currentItem(),
        dynamic_id: this.#dynamicId,
        ...(this.#recordBeginAt !== undefined && { record_begin_time: Math.round(this.#recordBeginAt) }),
        asr_begin_time: String(Math.round(began)),
        asr_end_time: String(Math.round(endAt)),
        play_begin_time: last ? String(Math.round(last.startedAt)) : '0',
        play_end_time: last?.endedAt !== undefined ? String(Math.round(last.endedAt)) : '0',
        role: 'B',
        identity: this.#o.callee,
      },
    });
  }

  /**
   * A key. Keys count from the moment a `dtmf` action is carried out, over its prompt too; outside a
   * collection they are ignored.
   */
  dtmf(digit: string): void {
    const d = this.#dtmf;
    if (this.#ended || !d) return;
    // A key ends the prompt asking for it (the callee already knows what to press), unless that
    // prompt may not be interrupted (action_code_break=false, spec §4.5 rule 1): it then plays on,
    // and the key still counts (why: test/dialogue/dtmfCollection.test.ts).
    const p = this.#playing;
    if (p?.purpose === 'dtmf' && p.breakable) this.#stopAll();
    d.key(digit);
  }

  // ---- turns ----------------------------------------------------------------------------------

  #send(event: CallbackContent): void {
    if (this.#ended) return;
    this.#callbackQueue.push(event);
    this.#pumpCallbacks();
  }

  /** One callback at a time, in order: a reply is executed before the next event is posted. */
  #pumpCallbacks(): void {
    if (this.#callbackBusy || this.#ended) return;
    const event = this.#callbackQueue.shift();
    if (!event) return;
    this.#callbackBusy = true;
    this.#updateMuteTimer();
    this.#port.callback(event).then(
      (decision) => {
        this.#callbackBusy = false;
        if (!this.#ended) this.#execute(decision.action, decision.source);
        this.#updateMuteTimer();
        this.#pumpCallbacks();
      },
      (err) => {
        this.#callbackBusy = false;
        this.#o.log.error({ err }, 'callback port failed unexpectedly: hanging up');
        this.#hangup('callback-failure');
      },
    );
  }

  #execute(action: CallbackAction, source: CallbackDecision['source']): void {
    if (action.muteTime !== undefined) this.#muteTimeMs = action.muteTime; // spec §3.1 #11: latest wins
    if (action.dynamicId !== undefined) this.#dynamicId = action.dynamicId;
    if (action.tts) this.#tts = { ...this.#tts, ...action.tts };
    if (action.recordFlag && this.#recordBeginAt === undefined) this.#port.startRecording();
    if (action.asrModelId !== undefined || action.asrBaseId !== undefined)
      this.#port.switchRecognizer({
        ...(action.asrModelId !== undefined && { asrModelId: action.asrModelId }),
        ...(action.asrBaseId !== undefined && { asrBaseId: action.asrBaseId }),
      });
    if (action.sessionTimeout !== undefined) {
      // Like SessionTimeout, the call's whole length: a limit already passed ends the call now.
      const left = this.#sessionStartedAt + action.sessionTimeout * 1000 - this.#time.now();
      if (left <= 0) {
        this.#hangup('session-timeout');
        return;
      }
      this.#armSessionTimer(left);
    }
    switch (action.action) {
      case 'play':
        this.#interruptIf(action.actionBreak);
        this.#enqueue(mediaRequest(action.actionCode, action, 'prompt', action.actionCodeBreak));
        break;
      case 'break':
        this.#interruptIf(true);
        break;
      case 'continue':
      case 'donothing':
        break;
      case 'hangup': {
        // The business ends the call: keys still awaited are no longer reported.
        this.#closeDtmf();
        if (!action.actionCode) {
          this.#hangup(source === 'policy' ? 'callback-failure' : 'business');
          return;
        }
        // Spec §10 Q6: its action_code plays first, uninterruptibly, then the call ends.
        this.#interruptIf(action.actionBreak);
        this.#pending.length = 0;
        this.#hangupAfterPlay = true;
        this.#enqueue(mediaRequest(action.actionCode, action, 'hangup', false));
        break;
      }
      case 'dtmf':
        this.#collectDtmf(action);
        break;
      case 'transfer':
        // The conversation with the robot is over: no more prompts, timers or callbacks.
        this.stop();
        this.#port.stopPlayback();
        this.#port.transfer(action.number);
        break;
      case 'parallel_transfer':
        this.#port.parallelTransfer({ ...action.transfer });
        break;
      case 'parallel_bridge':
        if (this.#port.parallelBridge()) this.handOver();
        break;
    }
  }

  /** The callee now talks to a person (a bridge made here or through SmartCallOperate). */
  handOver(): void {
    if (this.#ended) return;
    this.stop();
    if (this.#playing) this.#port.stopPlayback();
  }

  /** A `parallel_transfer` callback (spec §4.3): how the second leg went. */
  parallelTransferResult(result: {
    status: 'success' | 'fail';
    failCause: string;
    isMonitor: boolean;
    ccName: string;
  }): void {
    this.#send({
      type: 'parallel_transfer',
      content: {
        dynamic_id: this.#dynamicId,
        transfer_status: result.status,
        fail_cause: result.failCause,
        is_monitor: result.isMonitor,
        cc_name: result.ccName,
      },
    });
  }

  #armSessionTimer(ms: number): void {
    if (this.#sessionTimer !== undefined) this.#time.clearTimer(this.#sessionTimer);
    this.#sessionTimer = this.#time.setTimer(() => this.#hangup('session-timeout'), ms);
  }

  /** `current_media_code` (spec §4.3): the item sounding now, `""` when nothing plays. */
  #currentItem(): string {
    const p = this.#playing;
    if (!p) return '';
    return this.#port.playingItem(p.id) ?? p.code;
  }

  /** Spec §4.5 rule 2: stop what plays only if it may be interrupted. */
  #interruptIf(requested: boolean): void {
    if (requested && this.#playing?.breakable) this.#stopAll();
  }

  #enqueue(request: Omit<PlayRequest, 'id' | 'tts'>): void {
    this.#pending.push({ ...request, id: `m${this.#nextId++}`, tts: this.#tts });
    if (!this.#playing) this.#playNext();
  }

  #playNext(): void {
    if (this.#ended || this.#playing) return;
    const next = this.#pending.shift();
    if (!next) return;
    this.#playing = { ...next, startedAt: undefined };
    this.#updateDtmfTimer();
    this.#updateMuteTimer();
    this.#port.play(next);
  }

  #stopAll(): void {
    this.#pending.length = 0;
    if (this.#playing) this.#port.stopPlayback(); // playbackEnded(flushed) follows from the port
  }

  // ---- keys -----------------------------------------------------------------------------------

  /**
   * A `dtmf` action: collection opens at once; its prompt, if any, is queued like any media
   * (spec §4.5 rule 2). Exactly one `dtmf` callback ends it, unless the call ends first (hang-up,
   * transfer, bridge) or a later `dtmf` action replaces it: the business asked again, and the new
   * collection's callback answers both (reporting the replaced one as well would make a business
   * that asks again on each noInputTimeout loop without end).
   */
  #collectDtmf(action: DtmfAction): void {
    this.#closeDtmf();
    this.#interruptIf(action.actionBreak);
    const collection: DtmfCollection = new DtmfCollection(action.dtmf, this.#time, (digits) => {
      if (this.#dtmf === collection) this.#closeDtmf();
      this.#send({ type: 'dtmf', content: { dynamic_id: this.#dynamicId, dtmf_digits: digits } });
    });
    this.#dtmf = collection;
    if (action.actionCode)
      this.#enqueue(mediaRequest(action.actionCode, action, 'dtmf', action.actionCodeBreak));
    this.#updateDtmfTimer();
  }

  /**
   * The no-input clock runs while keys are awaited and nothing plays or waits to play: it starts
   * when the last media ends however it ended (completed, cut by a key, a timebreak or a `break`),
   * or at once when nothing plays.
   */
  #updateDtmfTimer(): void {
    this.#dtmf?.setWaiting(!this.#ended && !this.#playing && this.#pending.length === 0);
  }

  /** Ends the collection without a callback; its prompt, if it has not started, no longer plays. */
  #closeDtmf(): void {
    const d = this.#dtmf;
    if (!d) return;
    d.close();
    this.#dtmf = undefined;
    const rest = this.#pending.filter((p) => p.purpose !== 'dtmf');
    this.#pending.splice(0, this.#pending.length, ...rest);
  }

  // ---- silence and the end ----------------------------------------------------------------------

  /**
   * Spec §4.5 rule 5: `mute` after MuteTime with neither speech nor playback (nor a turn in
   * progress). The clock starts again whenever that condition begins.
   */
  #updateMuteTimer(): void {
    const quiet =
      !this.#ended &&
      !this.#playing &&
      this.#pending.length === 0 &&
      this.#speechStartedAt === undefined &&
      !this.#callbackBusy &&
      this.#callbackQueue.length === 0 &&
      !this.#dtmf;
    if (!quiet) {
      if (this.#muteTimer !== undefined) this.#time.clearTimer(this.#muteTimer);
      this.#muteTimer = undefined;
      return;
    }
    if (this.#muteTimer !== undefined) return;
    this.#muteTimer = this.#time.setTimer(() => {
      this.#muteTimer = undefined;
      this.#send({ type: 'mute', content: { dynamic_id: this.#dynamicId } });
    }, this.#muteTimeMs);
  }

  #hangup(cause: HangupCause): void {
    if (this.#ended) return;
    this.stop();
    this.#port.hangup(cause);
  }
}
