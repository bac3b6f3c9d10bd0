/**
 * The conversation of one answered call: the recording (when `RecordFlag` asks for one), the
 * dialogue engine and the speech listener that feeds it, and the `DialoguePort` through which the
 * engine acts on the call — prompts played on the leg's media with the request's volume, barge-in
 * stopping playback, hang-up, callbacks through the call's exchange, second legs. The background
 * file (`BackgroundFileCode`) loops under it all until the call ends or the callee is handed to a
 * person.
 *
 * Owns the engine, the listener and its hold on the media's events. `close()` stops the dialogue
 * (its timers), closes the listener and lets go of the media; it does not hang up (the call is
 * over, or ending, when it is closed) and does not touch the second legs (the session owns them).
 */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Clock } from '../clock/clock.js';
import type { AmdSettings } from '../contract/answeringMachine.js';
import type { CallbackContent } from '../contract/callbackContent.js';
import type { CallbackAction } from '../contract/callbackReply.js';
import { scriptPhrases } from '../contract/dialogScript.js';
import type { SmartCallRequest } from '../contract/smartCallRequest.js';
import { voiceCodeItemText } from '../contract/voiceCode.js';
import {
  DialogueEngine,
  type DialoguePort,
  type HangupCause,
  type PlayRequest,
  type TtsSettings,
} from '../dialogue/dialogueEngine.js';
import { smartCallVolumeToDb } from '../media/gain.js';
import type { MediaSessionEvents } from '../media/mediaSession.js';
import type { PromptBuilder, PromptFailure, SpeechSettings } from '../media-library/promptBuilder.js';
import type { Logger } from '../observability/logger.js';
import { DEFAULT_VOICE } from '../speech/voices.js';
import type { AccountRecord } from '../store/records.js';
import type { OutboundCall } from '../telephony/outboundCall.js';
import { AnsweringMachineWatch } from './answeringMachine.js';
import type { CallbackExchange } from './callbackExchange.js';
import type { CallEvents } from './callEvents.js';
import type { CallLedger } from './callLedger.js';
import type { CallListener, ListenerFactory } from './callListener.js';
import { quietly } from './quietly.js';
import type { ParallelResult, SecondLegs } from './secondLegs.js';

const DEFAULT_SPEECH: SpeechSettings = { voice: DEFAULT_VOICE, volume: 0, speed: 0 };

/** How a prompt is spoken: the request's TTS settings where given (TtsConf), else the defaults. */
export function speechSettings(tts: TtsSettings | undefined): SpeechSettings {
  return {
    voice: tts?.style ?? DEFAULT_SPEECH.voice,
    volume: tts?.volume ?? DEFAULT_SPEECH.volume,
    speed: tts?.speed ?? DEFAULT_SPEECH.speed,
  };
}

export interface ConversationOptions {
  callId: string;
  request: SmartCallRequest;
  /** The callback setting read here: what an utterance the recognizer rejects produces. */
  account: Pick<AccountRecord, 'id' | 'name'> & { callback: Pick<AccountRecord['callback'], 'unrecognized'> };
  /** The answered leg: its media plays and listens; hanging it up ends the call. */
  call: Pick<OutboundCall, 'media' | 'hangup'>;
  legs: Pick<SecondLegs, 'transfer' | 'parallelTransfer' | 'bridgeParallel'>;
  /** The call's callbacks; a scripted call's (SingleCallByVoice, IvrCall, …) also opens the call. */
  callbacks: Pick<CallbackExchange, 'post'> & {
    /** The call's first step, when its script (not a VoiceCode) opens it. */
    opening?: () => CallbackAction | Promise<CallbackAction>;
  };
  prompts: Pick<PromptBuilder, 'build'>;
  listeners: ListenerFactory;
  /** Where the recording's path and start are noted. */
  ledger: Pick<CallLedger, 'note'>;
  recordingsDir: string;
  /** When the call was answered: the dialogue's offsets count from it. */
  answeredAt: number;
  events: CallEvents;
  clock: Clock;
  log: Logger;
  /** Answering-machine detection, when the account has it on (issue 16 item 4). */
  amd?: AmdSettings | undefined;
}

type MediaHandler<K extends keyof MediaSessionEvents> = (...args: MediaSessionEvents[K]) => void;

export class Conversation {
  readonly #o: ConversationOptions;
  #engine: DialogueEngine | undefined;
  #listener: CallListener | undefined;
  #amd: AnsweringMachineWatch | undefined;
  /** The first `normal` callback carries `amd_result`; later ones do not. */
  #amdReported = false;
  #recorded = false;
  #background = false;
  /** A recording is starting or running (RecordFlag, or a reply's record_flag). */
  #recording = false;
  #hangupCause: HangupCause | undefined;
  #playbackFailure: PromptFailure | undefined;
  #closed = false;
  /** Media codes by play id (for events). */
  readonly #codes = new Map<string, string>();
  /** The item each play sounds now, by play id, while it plays. */
  readonly #items = new Map<string, () => string | undefined>();
  #onPlayStarted: MediaHandler<'playStarted'> | undefined;
  #onPlayEnded: MediaHandler<'playEnded'> | undefined;
  #onFrame: MediaHandler<'frame'> | undefined;
  #onWideFrame: MediaHandler<'wideFrame'> | undefined;

  constructor(options: ConversationOptions) {
    this.#o = options;
  }

  /** Whether the call is being recorded (the VoiceReport says so, a VoiceRecordReport follows). */
  get recorded(): boolean {
    return this.#recorded;
  }

  /** Whether the dialogue has begun (the recording, when asked for, came first). */
  get started(): boolean {
    return this.#engine !== undefined;
  }

  /** Whether a prompt is playing (a callee hanging up on it is 200001). */
  get playing(): boolean {
    return this.#engine?.playing ?? false;
  }

  /** The dialogue's DynamicId as the business last set it; undefined before the dialogue began. */
  get dynamicId(): string | undefined {
    return this.#engine?.dynamicId;
  }

  /** The prompt item that could not be played, when the call ended for it (200006). */
  get playbackFailure(): PromptFailure | undefined {
    return this.#playbackFailure;
  }

  /** Why the dialogue hung up, if it did. */
  get hangupCause(): HangupCause | undefined {
    return this.#hangupCause;
  }

  /**
   * Starts the recording when asked for (a recording that cannot start is logged and the call goes
   * on), then the dialogue: the opening prompt plays and the callee is listened to. Rejects only on
   * a bug; the caller hangs up then. A conversation closed meanwhile does not start its dialogue.
   */
  async start(): Promise<void> {
    const o = this.#o;
    const r = o.request;
    // Detection hears the callee from the answer, beside the prompt (which starts as always).
    if (o.amd) this.#startAmd(o.amd);
    const recordBeginAt = r.recordFlag ? await this.#startRecording() : undefined;
    if (this.#closed) return;
    // A dialog script's opening may wait for its HTTP hook (bounded by the hook's timeout).
    const opening = await o.callbacks.opening?.();
    if (this.#closed) return;
    this.#startBackground();
    const engine = new DialogueEngine({
      port: this.#port(),
      time: o.clock,
      log: o.log,
      // The person the robot talks to: the callee, or the caller of an inbound call.
      callee: r.inbound?.caller ?? r.calledNumber,
      answeredAt: o.answeredAt,
      ...(recordBeginAt !== undefined && { recordBeginAt }),
      voiceCode: r.voiceCode,
      voiceCodeParam: r.voiceCodeParam,
      actionCodeBreak: r.actionCodeBreak,
      actionCodeTimeBreak: r.actionCodeTimeBreak,
      muteTimeMs: r.muteTime,
      sessionTimeoutMs: r.sessionTimeout * 1000,
      dynamicId: r.dynamicId,
      tts: r.ttsConf ? { style: r.ttsStyle, volume: r.ttsVolume, speed: r.ttsSpeed } : undefined,
      ...(opening && { opening }),
      unrecognized: o.account.callback.unrecognized,
      keysWhileListening: r.dialog !== undefined,
    });
    this.#engine = engine;
    const media = o.call.media;
    this.#onPlayStarted = (e) => {
      engine.playbackStarted(e.id, e.at);
      o.events.emit('playStarted', {
        callId: o.callId,
        id: e.id,
        code: this.#codes.get(e.id) ?? '',
        at: e.at,
      });
    };
    this.#onPlayEnded = (e) => {
      this.#items.delete(e.id);
      engine.playbackEnded(e.id, e.at, e.reason === 'completed');
    };
    media.on('playStarted', this.#onPlayStarted);
    media.on('playEnded', this.#onPlayEnded);
    const listener = o.listeners({
      accountId: o.account.id,
      accountName: o.account.name,
      asrBaseId: r.asrBaseId,
      asrModelId: r.asrModelId,
      pauseTimeMs: r.pauseTime,
      itn: r.enableItn,
      ...(r.dialog && { phrases: scriptPhrases(r.dialog.script) }),
      log: o.log,
      events: {
        speechStarted: (at) => engine.speechStarted(at),
        sentenceEnded: (at) => o.events.emit('sentenceEnded', { callId: o.callId, at }),
        speechContinuing: (ms) => engine.speechContinuing(ms),
        speechEnded: (at, result) => {
          o.events.emit('heard', { callId: o.callId, at, ...result, earlyMedia: false });
          engine.speechEnded(at, result.words, { beginAt: result.beginAt, endAt: result.endAt });
        },
      },
    });
    this.#listener = listener;
    this.#onFrame = (pcm, at) => listener.push(pcm, at);
    media.on('frame', this.#onFrame);
    if (listener.pushWide) {
      this.#onWideFrame = (pcm, at) => listener.pushWide?.(pcm, at);
      media.on('wideFrame', this.#onWideFrame);
    }
    engine.start();
  }

  /** A key the callee pressed. */
  dtmf(digit: string): void {
    this.#engine?.dtmf(digit);
  }

  /** The callee is bridged to an agent (SmartCallOperate parallelBridge): the robot stops talking. */
  handOver(): void {
    this.#stopBackground();
    this.#engine?.handOver();
  }

  /** How a parallel transfer went (the dialogue posts it as a callback). */
  parallelTransferResult(result: ParallelResult): void {
    this.#engine?.parallelTransferResult(result);
  }

  /** The call is over: stops the dialogue and closes the listener. Never throws; idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    const log = this.#o.log;
    quietly(log, 'stopping the dialogue', () => this.#engine?.stop());
    quietly(log, 'closing the listener', () => this.#listener?.close());
    quietly(log, 'closing the answering-machine detection', () => this.#amd?.close());
    quietly(log, 'stopping the background', () => this.#stopBackground());
    const media = this.#o.call.media;
    if (this.#onPlayStarted) media.off('playStarted', this.#onPlayStarted);
    if (this.#onPlayEnded) media.off('playEnded', this.#onPlayEnded);
    if (this.#onFrame) media.off('frame', this.#onFrame);
    if (this.#onWideFrame) media.off('wideFrame', this.#onWideFrame);
  }

  #startAmd(settings: AmdSettings): void {
    const o = this.#o;
    const media = o.call.media;
    this.#amd = new AnsweringMachineWatch({
      settings,
      media,
      answeredAt: o.answeredAt,
      clock: o.clock,
      log: o.log,
      record: (outcome) => {
        o.ledger.note(o.callId, { amd: JSON.stringify(outcome) });
        o.events.emit('amd', { callId: o.callId, at: o.clock.now(), outcome });
      },
      hangup: () => {
        if (this.#closed) return;
        o.log.info('hanging up on the answering machine (account setting)');
        o.call.hangup();
      },
      leaveMessage: (code) => this.#leaveMessage(code),
    });
    this.#amd.start();
  }

  /**
   * The machine records now: the dialogue stops (its prompt and callbacks), the account's message
   * plays once, and the call hangs up when it has played.
   */
  #leaveMessage(code: string): void {
    const o = this.#o;
    if (this.#closed) return;
    this.#stopBackground();
    this.#engine?.handOver();
    const media = o.call.media;
    media.flushPlayout();
    const id = 'amd-message';
    const { source, items } = o.prompts.build(o.account.id, code, {}, speechSettings(undefined), o.log, (f) =>
      this.#unplayable(f),
    );
    const ended: MediaHandler<'playEnded'> = (e) => {
      if (e.id !== id) return;
      media.off('playEnded', ended);
      if (this.#closed) return;
      o.log.info({ completed: e.reason === 'completed' }, 'message left: hanging up');
      o.call.hangup();
    };
    media.on('playEnded', ended);
    media.play(source, { id, gainDb: smartCallVolumeToDb(o.request.volume) });
    o.events.emit('said', { callId: o.callId, at: o.clock.now(), code, texts: items.map((i) => i.text) });
  }

  #waitsForAmd(event: CallbackContent): boolean {
    return this.#amd !== undefined && !this.#amdReported && event.type === 'normal';
  }

  /** The first `normal` callback waits for the detection (bounded by its `maxMs`) and carries it. */
  async #withAmd(event: CallbackContent): Promise<CallbackContent> {
    const amd = this.#amd;
    if (!amd || event.type !== 'normal') return event;
    this.#amdReported = true;
    const outcome = await amd.decided;
    return { type: 'normal', content: { ...event.content, amd_result: outcome.result } };
  }

  /**
   * Loops the background file under everything the call sends, at BackgroundVolume (the Volume
   * scale). Each loop is built afresh from the voice file (decoded once and cached by the builder).
   */
  #startBackground(): void {
    const o = this.#o;
    const code = o.request.backgroundFileCode;
    if (!code) return;
    const gainDb = smartCallVolumeToDb(o.request.backgroundVolume ?? 0);
    o.call.media.playBackground(() => o.prompts.build(o.account.id, code, {}, DEFAULT_SPEECH, o.log).source, {
      gainDb,
    });
    this.#background = true;
  }

  #stopBackground(): void {
    if (!this.#background) return;
    this.#background = false;
    this.#o.call.media.stopBackground();
  }

  /** Records the call under `<recordingsDir>/<day>/<CallId>.wav`; resolves with when it began. */
  async #startRecording(): Promise<number | undefined> {
    const o = this.#o;
    this.#recording = true;
    const day = new Date(o.answeredAt).toISOString().slice(0, 10);
    const path = join(o.recordingsDir, day, `${o.callId.replace('^', '_')}.wav`);
    let recordBeginAt: number | undefined;
    try {
      await mkdir(join(o.recordingsDir, day), { recursive: true });
      await o.call.media.startRecording(path);
      this.#recorded = true;
      recordBeginAt = o.clock.now();
      o.ledger.note(o.callId, { recordPath: path, recordBeginAt: Math.round(recordBeginAt) });
    } catch (err) {
      this.#recording = false;
      o.log.error({ err, path }, 'recording could not start: the call goes on unrecorded');
    }
    return recordBeginAt;
  }

  /** A prompt item could not be played (spec §5.5.2 200006): the call ends rather than go silent. */
  #unplayable(failure: PromptFailure): void {
    if (this.#closed || this.#hangupCause) return;
    this.#playbackFailure = failure;
    this.#hangupCause = 'playback-failed';
    this.#o.log.error(
      { item: failure.name, code: failure.code, err: failure.reason },
      'prompt item cannot be played: hanging up (200006)',
    );
    this.#o.call.hangup();
  }

  #port(): DialoguePort {
    const o = this.#o;
    const { media } = o.call;
    return {
      play: (request: PlayRequest) => {
        this.#codes.set(request.id, request.code);
        const { source, items, playing } = o.prompts.build(
          o.account.id,
          request.code,
          request.params,
          speechSettings(request.tts),
          o.log,
          (failure) => this.#unplayable(failure),
        );
        if (playing)
          this.#items.set(request.id, () => {
            const item = playing();
            return item && voiceCodeItemText(item);
          });
        media.play(source, { id: request.id, gainDb: smartCallVolumeToDb(o.request.volume) });
        o.events.emit('said', {
          callId: o.callId,
          at: o.clock.now(),
          code: request.code,
          texts: items.map((i) => i.text),
        });
      },
      stopPlayback: () => {
        const decidedAt = o.clock.now();
        media.flushPlayout();
        o.events.emit('interrupted', { callId: o.callId, at: decidedAt });
        media.onNextSend((at, audible) =>
          o.events.emit('silenced', { callId: o.callId, decidedAt, at, audible }),
        );
      },
      hangup: (cause) => {
        this.#hangupCause = cause;
        o.log.info({ cause }, 'hanging up');
        o.call.hangup();
      },
      // Only the first `normal` callback of a call with detection waits (for the decision); every
      // other one is posted at once, as without detection.
      callback: (event) =>
        this.#waitsForAmd(event)
          ? this.#withAmd(event).then((e) => o.callbacks.post(e))
          : o.callbacks.post(event),
      transfer: (number) => {
        this.#stopBackground(); // the callee is handed to a person
        void o.legs.transfer(number);
      },
      parallelTransfer: (options) => void o.legs.parallelTransfer(options),
      parallelBridge: () => o.legs.bridgeParallel(),
      playingItem: (id) => this.#items.get(id)?.(),
      startRecording: () => {
        // record_flag mid-call: from now on, as RecordFlag would have from the answer.
        if (this.#recording || this.#closed) return;
        void this.#startRecording().then((at) => {
          if (at !== undefined) this.#engine?.recordingStarted(at);
        });
      },
      switchRecognizer: (choice) => this.#listener?.switchRecognizer?.(choice),
    };
  }
}
