/**
 * One SmartCall from dial to record: places the call through its trunk, follows its progress in
 * the store, and once answered wires the parts of the conversation together — the media session,
 * the speech listener (VAD → endpointer → ASR), the dialogue engine, the prompt builder and the
 * callback client. It owns their lifetime: when the call ends, everything it started is closed
 * and the record is final.
 */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { CallbackClient } from '../callback/callbackClient.js';
import type { CallbackContent } from '../contract/callbackContent.js';
import type { SmartCallRequest } from '../contract/smartCallRequest.js';
import { CallbackPolicy } from '../dialogue/callbackPolicy.js';
import {
  type CallbackDecision,
  DialogueEngine,
  type DialoguePort,
  type HangupCause,
  type PlayRequest,
  type TtsSettings,
} from '../dialogue/dialogueEngine.js';
import { smartCallVolumeToDb } from '../media/gain.js';
import type { TimeSource } from '../media/timeSource.js';
import type { PromptBuilder, SpeechSettings } from '../media-library/promptBuilder.js';
import type { Logger } from '../observability/logger.js';
import { maskNumber } from '../observability/logger.js';
import type { CallFailure, EndedBy } from '../sip/callFailure.js';
import { EARLY_MEDIA_MODEL } from '../speech/earlyMediaPhrases.js';
import type { AccountRecord, CallRecord, TrunkRecord } from '../store/records.js';
import type { CallPatch, Store } from '../store/repositories.js';
import { MediaBridge } from '../telephony/mediaBridge.js';
import { OutboundCall } from '../telephony/outboundCall.js';
import type { Telephony } from '../telephony/telephony.js';
import type { CallEvents } from './callEvents.js';
import type { CallLedger } from './callLedger.js';
import {
  answeredResult,
  EARLY_MEDIA_SMART_STATUS,
  earlyMediaCode,
  HANGUP_DIRECTION,
  unansweredResult,
} from './callOutcome.js';
import { formatNumber } from './numberFormat.js';

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
  asrBaseId: string;
  asrModelId: string | null;
  pauseTimeMs: number;
  events: ListenerEvents;
  log: Logger;
}) => CallListener;

export interface CallSessionDeps {
  store: Store;
  /** Writes the call's changes together with the receipts they owe. */
  ledger: CallLedger;
  telephony: Telephony;
  prompts: PromptBuilder;
  callbacks: CallbackClient;
  listeners: ListenerFactory;
  events: CallEvents;
  time: TimeSource;
  log: Logger;
  recordingsDir: string;
  /** CANCEL after this long without an answer (spec issue: default 60 s). */
  ringTimeoutMs: number;
  trunkPassword(trunk: TrunkRecord): string | undefined;
  /** `cc_name` → number to dial for a parallel transfer (a number as cc_name is dialled as is). */
  callCenters: Readonly<Record<string, string>>;
  /** Live sessions by CallId (SmartCallOperate reaches them here). */
  live: Map<string, CallSession>;
  callbackSecret(account: AccountRecord): string | undefined;
}

const DEFAULT_SPEECH: SpeechSettings = { voice: 'xiaoyun', volume: 0, speed: 0 };

interface ParallelLeg {
  leg: OutboundCall;
  answered: boolean;
  isMonitor: boolean;
  /** The agent listening in (is_monitor) until the bridge. */
  monitor: MediaBridge | undefined;
}

export class CallSession {
  readonly #d: CallSessionDeps;
  readonly #call: CallRecord;
  readonly #request: SmartCallRequest;
  readonly #account: AccountRecord;
  readonly #trunk: TrunkRecord;
  readonly #log: Logger;
  readonly #policy: CallbackPolicy;
  #outbound: OutboundCall | undefined;
  #engine: DialogueEngine | undefined;
  #listener: CallListener | undefined;
  #earlyListener: CallListener | undefined;
  #hangupCause: HangupCause | undefined;
  #dtmf = '';
  #earlyMediaCode: string | undefined;
  readonly #earlyPosts: Promise<unknown>[] = [];
  #recorded = false;
  readonly #legs = new Set<OutboundCall>();
  /** Media codes by play id (for events). */
  readonly #codes = new Map<string, string>();
  #parallel: ParallelLeg | undefined;
  #bridge: MediaBridge | undefined;
  #bridgedTo: OutboundCall | undefined;
  /** Whether a prompt was playing when the call ended (a callee hanging up on it is 200001). */
  #playingAtEnd = false;

  private constructor(deps: CallSessionDeps, call: CallRecord, account: AccountRecord, trunk: TrunkRecord) {
    this.#d = deps;
    this.#call = call;
    this.#account = account;
    this.#trunk = trunk;
    this.#request = JSON.parse(call.request) as SmartCallRequest;
    this.#log = deps.log.child({ callId: call.callId });
    this.#policy = new CallbackPolicy(account.callback.fallbackReply);
  }

  /** Places the call and resolves when it is over and its record is final. Never rejects. */
  static async run(deps: CallSessionDeps, call: CallRecord, trunk: TrunkRecord): Promise<void> {
    const account = deps.store.accounts.findById(call.accountId);
    if (!account) {
      deps.store.calls.update(call.callId, {
        state: 'failed',
        endAt: Date.now(),
        statusCode: '999999',
        smartStatusCode: 'OTHER',
        statusMsg: 'account no longer exists',
      });
      return;
    }
    const session = new CallSession(deps, call, account, trunk);
    deps.live.set(call.callId, session);
    try {
      await session.#place();
    } finally {
      deps.live.delete(call.callId);
    }
  }

  async #place(): Promise<void> {
    const t = this.#trunk;
    const r = this.#request;
    this.#d.ledger.progress(this.#call.callId, { trunk: t.name }, '200101', Date.now());
    this.#log.info({ callee: maskNumber(r.calledNumber), trunk: t.name }, 'dialing');
    try {
      this.#outbound = await this.#dial(r.calledNumber);
    } catch (err) {
      this.#log.error({ err }, 'the call could not be placed');
      this.#finish({
        state: 'failed',
        ...unansweredResult({ kind: 'transport-error', detail: (err as Error).message }),
      });
      return;
    }
    const out = this.#outbound;
    await new Promise<void>((resolve) => {
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
        this.#dtmf += d.digit;
        if (out.answered) this.#d.ledger.dtmf(this.#call.callId, this.#dtmf, Date.now());
        this.#d.events.emit('dtmf', { callId: this.#call.callId, at: Date.now(), digit: d.digit });
        this.#engine?.dtmf(d.digit);
      });
      out.once('failed', (cause) => {
        void this.#failed(cause).finally(resolve);
      });
      out.once('ending', () => {
        this.#playingAtEnd = this.#engine?.playing ?? false;
      });
      out.once('ended', (by, reason) => {
        void this.#ended(by, reason).finally(resolve);
      });
    });
  }

  // ---- progress -------------------------------------------------------------------------------

  #progress(state: 'ringing' | 'early_media'): void {
    const current = this.#d.store.calls.find(this.#call.callId);
    if (current?.state === state) return;
    const now = Date.now();
    if (current?.ringAt == null)
      this.#d.ledger.progress(this.#call.callId, { state, ringAt: now }, '200201', now);
    else this.#d.ledger.note(this.#call.callId, { state });
    this.#d.events.emit('state', { callId: this.#call.callId, state, at: now });
  }

  #listenToEarlyMedia(): void {
    const out = this.#outbound!;
    const listener = this.#d.listeners({
      accountId: this.#account.id,
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
          // Reported as `normal` with current_media_code=early_media (spec §1 step 3); no reply is acted on.
          this.#earlyPosts.push(
            this.#postCallback({
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
            }),
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
    const answeredAt = Date.now();
    this.#d.ledger.progress(
      this.#call.callId,
      { state: 'answered', answerAt: answeredAt },
      '200102',
      answeredAt,
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
        recordBeginAt = Date.now();
        this.#d.ledger.note(this.#call.callId, { recordPath: path, recordBeginAt });
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
    this.#listener = this.#d.listeners({
      accountId: this.#account.id,
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
    const listener = this.#listener;
    out.media.on('frame', (pcm, at) => listener.push(pcm, at));
    engine.start();
  }

  #port(): DialoguePort {
    const out = this.#outbound!;
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
          at: Date.now(),
          code: request.code,
          texts: items.map((i) => i.text),
        });
      },
      stopPlayback: () => {
        const decidedAt = Date.now();
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
      callback: (event) => this.#postCallback(event),
      transfer: (number) => void this.#transfer(number),
      parallelTransfer: (o) => void this.#parallelTransfer(o),
      parallelBridge: () => this.#bridgeParallel(),
    };
  }

  // ---- second legs (spec §4.4: transfer, parallel_transfer, parallel_bridge) ----------------

  /**
   * Dials `number` through this call's trunk, shown as the call's display number, in the trunk's
   * number formats, with its credentials and (if it wants it) P-Asserted-Identity.
   */
  #dial(number: string): Promise<OutboundCall> {
    const t = this.#trunk;
    const host = t.host.includes(':') ? `[${t.host}]` : t.host;
    const password = this.#d.trunkPassword(t);
    const caller = formatNumber(this.#request.calledShowNumber, t.callerFormat);
    const identity = `sip:${caller}@${this.#d.telephony.address}`;
    return OutboundCall.place(this.#d.telephony, {
      target: `sip:${formatNumber(number, t.calleeFormat)}@${host}:${t.port}`,
      from: identity,
      transport: t.transport === 'tcp' ? 'tcp' : 'udp',
      ...(t.username && password !== undefined && { credentials: { username: t.username, password } }),
      ...(t.sendPai && { headers: { 'P-Asserted-Identity': `<${identity}>` } }),
      setupTimeoutMs: this.#d.ringTimeoutMs,
    });
  }

  /** Blind transfer: the callee is bridged to `number`; when either side leaves, both are ended. */
  async #transfer(number: string): Promise<void> {
    const out = this.#outbound!;
    this.#log.info({ to: maskNumber(number) }, 'transferring');
    let leg: OutboundCall;
    try {
      leg = await this.#dial(number);
    } catch (err) {
      this.#log.error({ err }, 'the transfer leg could not be placed: hanging up');
      out.hangup();
      return;
    }
    this.#legs.add(leg);
    leg.once('answered', () => {
      this.#bridge?.close();
      this.#bridge = MediaBridge.bothWays(out.media, leg.media);
      this.#bridgedTo = leg;
      this.#d.events.emit('said', {
        callId: this.#call.callId,
        at: Date.now(),
        code: 'transfer',
        texts: [`[transferred to ${maskNumber(number)}]`],
      });
    });
    leg.once('failed', (cause) => {
      this.#legs.delete(leg);
      this.#log.warn({ sip: `${cause.status} ${cause.reason}` }, 'the transfer failed: hanging up');
      out.hangup();
    });
    leg.once('ended', () => {
      this.#legs.delete(leg);
      out.hangup();
    });
  }

  /** A leg to a call centre while the robot talks on; its progress goes to the callback. */
  async #parallelTransfer(o: { ccName?: string; playFile?: string; isMonitor: boolean }): Promise<void> {
    const ccName = o.ccName ?? '';
    const number = this.#d.callCenters[ccName] ?? (/^\+?\d{3,20}$/.test(ccName) ? ccName : undefined);
    const report = (status: 'success' | 'fail', failCause: string) =>
      this.#engine?.parallelTransferResult({ status, failCause, isMonitor: o.isMonitor, ccName });
    if (this.#parallel) return report('fail', 'a parallel transfer is already in progress');
    if (!number) return report('fail', `unknown call centre "${ccName}"`);
    let leg: OutboundCall;
    try {
      leg = await this.#dial(number);
    } catch (err) {
      return report('fail', (err as Error).message);
    }
    const parallel: ParallelLeg = { leg, answered: false, isMonitor: o.isMonitor, monitor: undefined };
    this.#parallel = parallel;
    this.#legs.add(leg);
    leg.once('answered', () => {
      parallel.answered = true;
      const startMonitor = () => {
        if (parallel.isMonitor && this.#parallel === parallel && !this.#bridge) {
          parallel.monitor = MediaBridge.oneWay(this.#outbound!.media, leg.media);
        }
      };
      if (o.playFile) {
        const { source } = this.#d.prompts.build(
          this.#account.id,
          o.playFile,
          {},
          this.#speech(undefined),
          this.#log,
        );
        const id = leg.media.play(source, { id: 'transfer-playfile' });
        leg.media.on('playEnded', (e) => e.id === id && startMonitor());
      } else startMonitor();
      report('success', '');
    });
    leg.once('failed', (cause) => {
      this.#legs.delete(leg);
      if (this.#parallel === parallel) this.#parallel = undefined;
      report('fail', `${cause.status} ${cause.reason}`);
    });
    leg.once('ended', () => {
      this.#legs.delete(leg);
      parallel.monitor?.close();
      if (this.#parallel === parallel) this.#parallel = undefined;
      // After the bridge the agent leaving ends the call; before it the robot carries on.
      if (this.#bridgedTo === leg) this.#outbound?.hangup();
    });
  }

  /** `parallel_bridge` / SmartCallOperate parallelBridge: callee and agent talk; false without a live leg. */
  #bridgeParallel(): boolean {
    const p = this.#parallel;
    const out = this.#outbound;
    if (!p || !p.answered || !out || !out.answered) return false;
    p.monitor?.close();
    this.#bridge?.close();
    this.#bridge = MediaBridge.bothWays(out.media, p.leg.media);
    this.#bridgedTo = p.leg;
    this.#log.info('bridged with the parallel leg');
    return true;
  }

  /** SmartCallOperate Command=parallelBridge (spec §6.2). */
  operateParallelBridge(): boolean {
    if (!this.#bridgeParallel()) return false;
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

  /** Posts one callback, logs the exchange, applies the failure policy (spec §4.6). */
  async #postCallback(event: CallbackContent): Promise<CallbackDecision> {
    const cb = this.#account.callback;
    const started = Date.now();
    let decision: CallbackDecision;
    let outcome: string;
    let httpStatus: number | null = null;
    let reply: string | null = null;
    let detail: string | null = null;
    if (!cb.url) {
      outcome = 'no-callback-url';
      detail = 'the account has no callback URL';
      const f = this.#policy.failed(event.type);
      decision = { action: f.action, source: f.reason === 'fallback' ? 'fallback' : 'policy' };
    } else {
      const result = await this.#d.callbacks.send(
        {
          url: cb.url,
          timeoutMs: cb.timeoutMs,
          bodyMode: cb.bodyMode,
          signingSecret: this.#d.callbackSecret(this.#account),
        },
        { callId: this.#call.callId, timestamp: started, event },
      );
      httpStatus = result.status ?? null;
      reply = result.body?.slice(0, 4096) ?? null;
      if (result.ok) {
        this.#policy.succeeded();
        outcome = 'ok';
        decision = { action: result.reply.action, source: 'reply' };
        for (const w of result.reply.warnings) this.#log.warn({ warning: w }, 'callback reply');
      } else {
        outcome = result.failure;
        detail = result.detail;
        const f = this.#policy.failed(event.type);
        decision = { action: f.action, source: f.reason === 'fallback' ? 'fallback' : 'policy' };
        this.#log.warn(
          { contentType: event.type, failure: result.failure, detail, next: f.action.action },
          'callback failed',
        );
      }
    }
    const latencyMs = Date.now() - started;
    this.#d.store.callbackExchanges.insert({
      callId: this.#call.callId,
      contentType: event.type,
      content: JSON.stringify(event.content),
      outcome,
      httpStatus,
      reply,
      action: `${decision.action.action} (${decision.source})`,
      detail,
      latencyMs,
      createdAt: started,
    });
    this.#d.events.emit('callback', {
      callId: this.#call.callId,
      at: started,
      contentType: event.type,
      content: event.content,
      outcome,
      action: decision.action.action,
      source: decision.source,
      latencyMs,
    });
    return decision;
  }

  // ---- the end ----------------------------------------------------------------------------------

  async #failed(cause: CallFailure): Promise<void> {
    // An announcement cut by the failure is still recognised: it says why the call failed.
    const early = this.#earlyListener;
    this.#earlyListener = undefined;
    if (early) {
      await early.finish();
      early.close();
      await Promise.allSettled(this.#earlyPosts);
    }
    let result = unansweredResult(
      cause.code === 'timeout' && cause.status !== 408
        ? { kind: 'ring-timeout' }
        : cause.code === 'timeout'
          ? { kind: 'no-response' }
          : cause.code === 'auth-failed'
            ? { kind: 'auth-failed' }
            : cause.code === 'transport-error' || cause.code === 'bad-target'
              ? { kind: 'transport-error', detail: cause.reason }
              : { kind: 'sip-final', status: cause.status, reason: cause.reason },
    );
    const smart = this.#earlyMediaCode && EARLY_MEDIA_SMART_STATUS[this.#earlyMediaCode];
    if (smart) result = { ...result, smartStatusCode: smart };
    this.#log.info(
      { sip: `${cause.status} ${cause.reason}`, code: cause.code, status: result.statusCode },
      'call not answered',
    );
    this.#finish({
      state: 'failed',
      ...result,
      sipStatus: cause.status,
      sipReason: cause.reason,
      ...(this.#earlyMediaCode && { earlyMediaCode: this.#earlyMediaCode }),
    });
  }

  async #ended(by: EndedBy, reason: string): Promise<void> {
    const duringPrompt = by === 'remote' && this.#playingAtEnd;
    this.#engine?.stop();
    this.#listener?.close();
    this.#bridge?.close();
    for (const leg of this.#legs) leg.hangup();
    const result = answeredResult(duringPrompt);
    this.#log.info({ by, reason, cause: this.#hangupCause, status: result.statusCode }, 'call ended');
    this.#finish({
      state: 'ended',
      ...result,
      hangupDirection: by === 'remote' ? HANGUP_DIRECTION.user : HANGUP_DIRECTION.machine,
      ...(this.#engine && { dynamicId: this.#engine.dynamicId || null }),
    });
  }

  #finish(patch: CallPatch): void {
    const endAt = Date.now();
    const record = this.#d.ledger.finish(
      this.#call.callId,
      { ...patch, endAt, ...(this.#dtmf && { dtmf: this.#dtmf }) },
      { earlyMediaAsr: this.#request.earlyMediaAsr, recorded: this.#recorded },
    );
    if (record) this.#d.events.emit('ended', { callId: this.#call.callId, record });
  }
}
