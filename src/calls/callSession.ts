/**
 * One SmartCall from dial to record: the coordinator. It dials through the injected `Dial`,
 * follows the call's progress (each state change through the ledger, with its receipt), and once
 * answered wires the conversation together — the media session, the speech listener (VAD →
 * endpointer → ASR), the dialogue engine, the prompt builder, the callback exchange and the second
 * legs. It owns their lifetime: when the call ends, everything it started is closed and the record
 * is final — or, when the final write fails, retried and then left to the orphan reaper.
 */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { CallbackClient } from '../callback/callbackClient.js';
import type { Clock } from '../clock/clock.js';
import { sleep } from '../clock/within.js';
import type { SmartCallRequest } from '../contract/smartCallRequest.js';
import {
  DialogueEngine,
  type DialoguePort,
  type HangupCause,
  type PlayRequest,
  type TtsSettings,
} from '../dialogue/dialogueEngine.js';
import { smartCallVolumeToDb } from '../media/gain.js';
import type { PromptBuilder, SpeechSettings } from '../media-library/promptBuilder.js';
import type { Logger } from '../observability/logger.js';
import { maskNumber } from '../observability/logger.js';
import type { CallFailure, EndedBy } from '../sip/index.js';
import { EARLY_MEDIA_MODEL } from '../speech/earlyMediaPhrases.js';
import type { AccountRecord, CallRecord, TrunkRecord } from '../store/records.js';
import type { CallPatch, Store } from '../store/repositories.js';
import type { OutboundCall } from '../telephony/outboundCall.js';
import { CallbackExchange } from './callbackExchange.js';
import type { CallEvents } from './callEvents.js';
import type { CallLedger } from './callLedger.js';
import {
  answeredResult,
  earlyMediaCode,
  failedCallResult,
  HANGUP_DIRECTION,
  internalFailureResult,
  unansweredResult,
} from './callOutcome.js';
import { SecondLegs } from './secondLegs.js';
import type { Dial } from './trunkDial.js';

/** What the speech layer tells a call about the callee's voice. */
export interface ListenerEvents {
  speechStarted(at: number): void;
  /** The endpointer decided the sentence is over (its recognition follows). */
  sentenceEnded?(at: number): void;
  /** Continuous speech so far (for time-based barge-in), called as it grows. */
  speechContinuing(durationMs: number, at: number): void;
  /** A sentence ended (PauseTime of silence); `words` undefined when nothing on the list matched. */
  speechEnded(at: number, result: { words: string | undefined; beginAt: number; endAt: number }): void;
}

/** The callee's audio for one call, frame by frame (8 kHz, 20 ms). */
export interface CallListener {
  push(pcm: Int16Array, at: number): void;
  /** No more audio: the last sentence is recognised and reported (bounded in time). */
  finish(): Promise<void>;
  close(): void;
}

export type ListenerFactory = (options: {
  accountId: number;
  /** The account's name: per-account speech engines are configured by it. */
  accountName: string;
  asrBaseId: string;
  asrModelId: string | null;
  pauseTimeMs: number;
  events: ListenerEvents;
  log: Logger;
}) => CallListener;

export interface CallSessionDeps {
  store: Pick<Store, 'accounts' | 'callbackExchanges'>;
  /** Writes the call's changes together with the receipts they owe. */
  ledger: Pick<CallLedger, 'progress' | 'dtmf' | 'note' | 'finish'>;
  /** Places a leg through a trunk (the call itself and its second legs). */
  dial: Dial;
  prompts: Pick<PromptBuilder, 'build'>;
  callbacks: Pick<CallbackClient, 'send'>;
  listeners: ListenerFactory;
  events: CallEvents;
  /** The one clock: answer, speech and end times all come from it. */
  time: Clock;
  log: Logger;
  recordingsDir: string;
  /** `cc_name` → number to dial for a parallel transfer (a number as cc_name is dialled as is). */
  callCenters: Readonly<Record<string, string>>;
  /** Live sessions by CallId (SmartCallOperate reaches them here; the reaper leaves them alone). */
  live: Map<string, CallSession>;
  callbackSecret(account: AccountRecord): string | undefined;
  /** Waits before retrying a final write that failed; after the last, the orphan reaper finalises. */
  finishRetriesMs?: readonly number[];
}

const DEFAULT_SPEECH: SpeechSettings = { voice: 'xiaoyun', volume: 0, speed: 0 };
const FINISH_RETRIES_MS = [1000, 5000];

/**
 * Finalises a call that never got a session (its account is gone, an internal error): the failed
 * record and its VoiceReport through the ledger. Never throws; false when the write failed (the
 * orphan reaper finalises the call later).
 */
export function finishUnplaced(
  deps: Pick<CallSessionDeps, 'ledger' | 'time' | 'log'>,
  call: CallRecord,
  why: string,
): boolean {
  try {
    deps.ledger.finish(
      call.callId,
      { state: 'failed', endAt: Math.round(deps.time.now()), ...internalFailureResult(why) },
      { earlyMediaAsr: requestOf(call)?.earlyMediaAsr ?? false, recorded: false },
    );
    return true;
  } catch (err) {
    deps.log.error({ err, callId: call.callId }, 'the failed call could not be recorded: left to the reaper');
    return false;
  }
}

function requestOf(call: CallRecord): SmartCallRequest | undefined {
  try {
    return JSON.parse(call.request) as SmartCallRequest;
  } catch {
    return undefined;
  }
}

export class CallSession {
  readonly #d: CallSessionDeps;
  readonly #call: CallRecord;
  readonly #request: SmartCallRequest;
  readonly #account: AccountRecord;
  readonly #trunk: TrunkRecord;
  readonly #log: Logger;
  readonly #callbacks: CallbackExchange;
  #outbound: OutboundCall | undefined;
  #legs: SecondLegs | undefined;
  #engine: DialogueEngine | undefined;
  #listener: CallListener | undefined;
  #earlyListener: CallListener | undefined;
  #hangupCause: HangupCause | undefined;
  #dtmf = '';
  #state: 'dialing' | 'ringing' | 'early_media' | 'answered' = 'dialing';
  #earlyMediaCode: string | undefined;
  readonly #earlyPosts: Promise<unknown>[] = [];
  #recorded = false;
  /** Media codes by play id (for events). */
  readonly #codes = new Map<string, string>();
  /** Whether a prompt was playing when the call ended (a callee hanging up on it is 200001). */
  #playingAtEnd = false;

  private constructor(deps: CallSessionDeps, call: CallRecord, account: AccountRecord, trunk: TrunkRecord) {
    this.#d = deps;
    this.#call = call;
    this.#account = account;
    this.#trunk = trunk;
    this.#request = JSON.parse(call.request) as SmartCallRequest;
    this.#log = deps.log.child({ callId: call.callId });
    this.#callbacks = new CallbackExchange({
      callId: call.callId,
      account,
      callbacks: deps.callbacks,
      secret: deps.callbackSecret(account),
      store: deps.store,
      events: deps.events,
      clock: deps.time,
      log: this.#log,
    });
  }

  /**
   * Places the call and resolves when it is over and its record is final (or, when the final
   * write keeps failing, left to the orphan reaper). Never rejects.
   */
  static async run(deps: CallSessionDeps, call: CallRecord, trunk: TrunkRecord): Promise<void> {
    let session: CallSession;
    try {
      const account = deps.store.accounts.findById(call.accountId);
      if (!account) {
        finishUnplaced(deps, call, 'account no longer exists');
        return;
      }
      session = new CallSession(deps, call, account, trunk);
    } catch (err) {
      deps.log.error({ err, callId: call.callId }, 'the call could not start');
      finishUnplaced(deps, call, `internal error: ${(err as Error).message}`);
      return;
    }
    deps.live.set(call.callId, session);
    try {
      await session.#place();
    } catch (err) {
      session.#log.error({ err }, 'the call failed unexpectedly');
      await session.#finish({
        state: 'failed',
        ...internalFailureResult(`internal error: ${(err as Error).message}`),
      });
    } finally {
      deps.live.delete(call.callId);
    }
  }

  #now(): number {
    return this.#d.time.now();
  }

  #dial(number: string): Promise<OutboundCall> {
    return this.#d.dial({ number, trunk: this.#trunk, callerNumber: this.#request.calledShowNumber });
  }

  async #place(): Promise<void> {
    const r = this.#request;
    const callId = this.#call.callId;
    this.#d.ledger.progress(callId, { trunk: this.#trunk.name }, '200101', Math.round(this.#now()));
    this.#log.info({ callee: maskNumber(r.calledNumber), trunk: this.#trunk.name }, 'dialing');
    let out: OutboundCall;
    try {
      out = await this.#dial(r.calledNumber);
    } catch (err) {
      this.#log.error({ err }, 'the call could not be placed');
      await this.#finish({
        state: 'failed',
        ...unansweredResult({ kind: 'transport-error', detail: (err as Error).message }),
      });
      return;
    }
    this.#outbound = out;
    this.#legs = new SecondLegs({
      callId,
      main: out,
      dial: (number) => this.#dial(number),
      prompt: (code) =>
        this.#d.prompts.build(this.#account.id, code, {}, this.#speech(undefined), this.#log).source,
      parallelResult: (result) => this.#engine?.parallelTransferResult(result),
      callCenters: this.#d.callCenters,
      events: this.#d.events,
      clock: this.#d.time,
      log: this.#log,
    });
    await new Promise<void>((resolve) => {
      const settle = (end: Promise<void>) => {
        void end
          .catch(async (err: unknown) => {
            // Whatever broke while ending, the call still gets its record.
            this.#log.error({ err }, 'ending the call failed');
            await this.#finish({
              state: out.answered || this.#engine ? 'ended' : 'failed',
              ...internalFailureResult(`internal error: ${(err as Error).message}`),
            });
          })
          .finally(resolve);
      };
      out.on('ringing', () => this.#progress('ringing'));
      out.on('early-media', () => {
        this.#progress('early_media');
        if (r.earlyMediaAsr && !this.#earlyListener) this.#listenToEarlyMedia();
      });
      out.once('answered', () => {
        void this.#answered().catch((err) => {
          this.#log.error({ err }, 'the conversation failed to start: hanging up');
          out.hangup();
        });
      });
      out.media.on('dtmf', (d) => {
        const at = this.#now();
        this.#dtmf += d.digit;
        if (out.answered) this.#d.ledger.dtmf(callId, this.#dtmf, Math.round(at));
        this.#d.events.emit('dtmf', { callId, at, digit: d.digit });
        this.#engine?.dtmf(d.digit);
      });
      out.once('failed', (cause) => settle(this.#failed(cause)));
      out.once('ending', () => {
        this.#playingAtEnd = this.#engine?.playing ?? false;
      });
      out.once('ended', (by, reason) => settle(this.#ended(by, reason)));
    });
  }

  // ---- progress -------------------------------------------------------------------------------

  #progress(state: 'ringing' | 'early_media'): void {
    if (this.#state === state || this.#state === 'answered') return;
    const first = this.#state === 'dialing';
    this.#state = state;
    const now = this.#now();
    if (first)
      this.#d.ledger.progress(
        this.#call.callId,
        { state, ringAt: Math.round(now) },
        '200201',
        Math.round(now),
      );
    else this.#d.ledger.note(this.#call.callId, { state });
    this.#d.events.emit('state', { callId: this.#call.callId, state, at: now });
  }

  #listenToEarlyMedia(): void {
    const out = this.#outbound!;
    const listener = this.#d.listeners({
      accountId: this.#account.id,
      accountName: this.#account.name,
      // Announcements, not answers: the operator-announcement phrase model.
      asrBaseId: EARLY_MEDIA_MODEL,
      asrModelId: null,
      pauseTimeMs: this.#request.pauseTime,
      log: this.#log,
      events: {
        speechStarted: () => {},
        speechContinuing: () => {},
        speechEnded: (at, result) => {
          this.#d.events.emit('heard', { callId: this.#call.callId, at, ...result, earlyMedia: true });
          if (!result.words) return;
          const code = earlyMediaCode(result.words);
          if (code) this.#earlyMediaCode = code;
          // Reported as `normal` with current_media_code=early_media (spec §1 step 3); no reply is
          // acted on, and a failure does not count toward the conversation's failure policy.
          this.#earlyPosts.push(
            this.#callbacks.post(
              {
                type: 'normal',
                content: {
                  words: result.words,
                  begin_offset: '0',
                  end_offset: String(Math.round(result.endAt - result.beginAt)),
                  begin_time: '',
                  is_playing: false,
                  current_media_code: 'early_media',
                  dynamic_id: this.#request.dynamicId ?? '',
                  asr_begin_time: String(Math.round(result.beginAt)),
                  asr_end_time: String(Math.round(result.endAt)),
                  play_begin_time: '0',
                  play_end_time: '0',
                  role: 'B',
                  identity: this.#request.calledNumber,
                },
              },
              { earlyMedia: true },
            ),
          );
        },
      },
    });
    this.#earlyListener = listener;
    out.media.on('frame', (pcm, at) => {
      if (this.#earlyListener) this.#earlyListener.push(pcm, at);
    });
  }

  // ---- the conversation -------------------------------------------------------------------------

  async #answered(): Promise<void> {
    const out = this.#outbound!;
    this.#earlyListener?.close();
    this.#earlyListener = undefined;
    this.#state = 'answered';
    const answeredAt = this.#now();
    this.#d.ledger.progress(
      this.#call.callId,
      { state: 'answered', answerAt: Math.round(answeredAt) },
      '200102',
      Math.round(answeredAt),
    );
    this.#d.events.emit('state', { callId: this.#call.callId, state: 'answered', at: answeredAt });
    const r = this.#request;
    let recordBeginAt: number | undefined;
    if (r.recordFlag) {
      const day = new Date(answeredAt).toISOString().slice(0, 10);
      const path = join(this.#d.recordingsDir, day, `${this.#call.callId.replace('^', '_')}.wav`);
      try {
        await mkdir(join(this.#d.recordingsDir, day), { recursive: true });
        await out.media.startRecording(path);
        this.#recorded = true;
        recordBeginAt = this.#now();
        this.#d.ledger.note(this.#call.callId, {
          recordPath: path,
          recordBeginAt: Math.round(recordBeginAt),
        });
      } catch (err) {
        this.#log.error({ err, path }, 'recording could not start: the call goes on unrecorded');
      }
    }
    const engine = new DialogueEngine({
      port: this.#port(),
      time: this.#d.time,
      log: this.#log,
      callee: r.calledNumber,
      answeredAt,
      ...(recordBeginAt !== undefined && { recordBeginAt }),
      voiceCode: r.voiceCode,
      voiceCodeParam: r.voiceCodeParam,
      actionCodeBreak: r.actionCodeBreak,
      actionCodeTimeBreak: r.actionCodeTimeBreak,
      muteTimeMs: r.muteTime,
      sessionTimeoutMs: r.sessionTimeout * 1000,
      dynamicId: r.dynamicId,
      tts: r.ttsConf ? { style: r.ttsStyle, volume: r.ttsVolume, speed: r.ttsSpeed } : undefined,
    });
    this.#engine = engine;
    out.media.on('playStarted', (e) => {
      engine.playbackStarted(e.id, e.at);
      this.#d.events.emit('playStarted', {
        callId: this.#call.callId,
        id: e.id,
        code: this.#codes.get(e.id) ?? '',
        at: e.at,
      });
    });
    out.media.on('playEnded', (e) => engine.playbackEnded(e.id, e.at, e.reason === 'completed'));
    const listener = this.#d.listeners({
      accountId: this.#account.id,
      accountName: this.#account.name,
      asrBaseId: r.asrBaseId,
      asrModelId: r.asrModelId,
      pauseTimeMs: r.pauseTime,
      log: this.#log,
      events: {
        speechStarted: (at) => engine.speechStarted(at),
        sentenceEnded: (at) => this.#d.events.emit('sentenceEnded', { callId: this.#call.callId, at }),
        speechContinuing: (ms) => engine.speechContinuing(ms),
        speechEnded: (at, result) => {
          this.#d.events.emit('heard', { callId: this.#call.callId, at, ...result, earlyMedia: false });
          engine.speechEnded(at, result.words, { beginAt: result.beginAt, endAt: result.endAt });
        },
      },
    });
    this.#listener = listener;
    out.media.on('frame', (pcm, at) => listener.push(pcm, at));
    engine.start();
  }

  #port(): DialoguePort {
    const out = this.#outbound!;
    const legs = this.#legs!;
    return {
      play: (request: PlayRequest) => {
        this.#codes.set(request.id, request.code);
        const { source, items } = this.#d.prompts.build(
          this.#account.id,
          request.code,
          request.params,
          this.#speech(request.tts),
          this.#log,
        );
        out.media.play(source, { id: request.id, gainDb: smartCallVolumeToDb(this.#request.volume) });
        this.#d.events.emit('said', {
          callId: this.#call.callId,
          at: this.#now(),
          code: request.code,
          texts: items.map((i) => i.text),
        });
      },
      stopPlayback: () => {
        const decidedAt = this.#now();
        out.media.flushPlayout();
        this.#d.events.emit('interrupted', { callId: this.#call.callId, at: decidedAt });
        out.media.onNextSend((at, audible) =>
          this.#d.events.emit('silenced', { callId: this.#call.callId, decidedAt, at, audible }),
        );
      },
      hangup: (cause) => {
        this.#hangupCause = cause;
        this.#log.info({ cause }, 'hanging up');
        out.hangup();
      },
      callback: (event) => this.#callbacks.post(event),
      transfer: (number) => void legs.transfer(number),
      parallelTransfer: (o) => void legs.parallelTransfer(o),
      parallelBridge: () => legs.bridgeParallel(),
    };
  }

  /** SmartCallOperate Command=parallelBridge (spec §6.2). */
  operateParallelBridge(): boolean {
    if (!this.#legs?.bridgeParallel()) return false;
    this.#engine?.handOver();
    return true;
  }

  #speech(tts: TtsSettings | undefined): SpeechSettings {
    return {
      voice: tts?.style ?? DEFAULT_SPEECH.voice,
      volume: tts?.volume ?? DEFAULT_SPEECH.volume,
      speed: tts?.speed ?? DEFAULT_SPEECH.speed,
    };
  }

  // ---- the end ----------------------------------------------------------------------------------

  async #failed(cause: CallFailure): Promise<void> {
    // An announcement cut by the failure is still recognised: it says why the call failed.
    const early = this.#earlyListener;
    this.#earlyListener = undefined;
    if (early) {
      await early.finish().catch((err) => this.#log.warn({ err }, 'the announcement was not recognised'));
      early.close();
      await Promise.allSettled(this.#earlyPosts);
    }
    this.#legs?.close();
    const result = failedCallResult(cause, this.#earlyMediaCode);
    this.#log.info(
      { sip: `${cause.status} ${cause.reason}`, code: cause.code, status: result.statusCode },
      'call not answered',
    );
    await this.#finish({
      state: 'failed',
      ...result,
      sipStatus: cause.status,
      sipReason: cause.reason,
      ...(this.#earlyMediaCode && { earlyMediaCode: this.#earlyMediaCode }),
    });
  }

  async #ended(by: EndedBy, reason: string): Promise<void> {
    const duringPrompt = by === 'remote' && this.#playingAtEnd;
    this.#quietly('stopping the dialogue', () => this.#engine?.stop());
    this.#quietly('closing the listener', () => this.#listener?.close());
    this.#quietly('ending the second legs', () => this.#legs?.close());
    const result = answeredResult(duringPrompt);
    this.#log.info({ by, reason, cause: this.#hangupCause, status: result.statusCode }, 'call ended');
    await this.#finish({
      state: 'ended',
      ...result,
      hangupDirection: by === 'remote' ? HANGUP_DIRECTION.user : HANGUP_DIRECTION.machine,
      ...(this.#engine && { dynamicId: this.#engine.dynamicId || null }),
    });
  }

  #quietly(what: string, step: () => void): void {
    try {
      step();
    } catch (err) {
      this.#log.error({ err }, `${what} failed`);
    }
  }

  /**
   * The final record with its receipts. A write that fails is retried after each of
   * `finishRetriesMs`; after the last the call is left in progress for the orphan reaper, which
   * finalises it (exactly one VoiceReport either way: the ledger's receipt ids are unique).
   */
  async #finish(patch: CallPatch): Promise<void> {
    const endAt = Math.round(this.#now());
    const full: CallPatch = { ...patch, endAt, ...(this.#dtmf && { dtmf: this.#dtmf }) };
    const options = { earlyMediaAsr: this.#request.earlyMediaAsr, recorded: this.#recorded };
    const retries = this.#d.finishRetriesMs ?? FINISH_RETRIES_MS;
    for (let attempt = 0; ; attempt++) {
      let record: CallRecord | undefined;
      try {
        record = this.#d.ledger.finish(this.#call.callId, full, options);
      } catch (err) {
        const retryInMs = retries[attempt];
        if (retryInMs === undefined) {
          this.#log.error({ err }, 'the call could not be finalised: the orphan reaper will');
          return;
        }
        this.#log.error({ err, retryInMs }, 'the call could not be finalised: retrying');
        await sleep(retryInMs, this.#d.time);
        continue;
      }
      if (record)
        this.#quietly('telling the end', () =>
          this.#d.events.emit('ended', { callId: this.#call.callId, record }),
        );
      return;
    }
  }
}
