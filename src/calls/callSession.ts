/**
 * One SmartCall from dial to record: the coordinator. It places the call through the injected
 * `Dial`, follows the leg's events and hands each to the piece whose job it is:
 *
 * - `CallProgress` — dialling, ringing, answered and the keys pressed, written with their receipts;
 * - `EarlyMediaListening` — operator announcements before the answer (when EarlyMediaAsr asks);
 * - `Conversation` — once answered: the recording, the dialogue engine, the speech listener;
 * - `SecondLegs` — transfers and the parallel call-centre leg;
 * - `CallbackExchange` — the business's callback, shared by the early media and the conversation;
 * - `CallFinisher` — the final record with its receipts, retried when the write fails.
 *
 * A session owns those pieces and the call's leg; it is closed by the leg ending, not from outside.
 * `failed` lets the early listening recognise what the failure cut off, then closes it and the
 * second legs; `ended` closes the conversation and the second legs. Either way the record is then
 * made final (or, when the final write keeps failing, left to the orphan reaper) and the session
 * leaves `live`.
 */
import type { CallbackClient } from '../callback/callbackClient.js';
import type { Clock } from '../clock/clock.js';
import { type AmdSettings, amdSettingsProblem } from '../contract/answeringMachine.js';
import type { SmartCallRequest } from '../contract/smartCallRequest.js';
import type { PromptBuilder } from '../media-library/promptBuilder.js';
import type { Logger } from '../observability/logger.js';
import { maskNumber } from '../observability/logger.js';
import type { CallFailure, EndedBy } from '../sip/index.js';
import type { AccountRecord, CallRecord, TrunkRecord } from '../store/records.js';
import type { CallPatch, Store } from '../store/repositories.js';
import type { OutboundCall } from '../telephony/outboundCall.js';
import { destinationFilter } from '../tenancy/destinations.js';
import { endAnsweredCall } from './answeredCallEnd.js';
import { CallbackExchange } from './callbackExchange.js';
import type { CallEvents } from './callEvents.js';
import { CallFinisher, finishUnplaced } from './callFinisher.js';
import type { CallLedger } from './callLedger.js';
import type { ListenerFactory } from './callListener.js';
import { failedCallResult, internalFailureResult, unansweredResult } from './callOutcome.js';
import { CallProgress } from './callProgress.js';
import { Conversation, type ConversationOptions, speechSettings } from './conversation.js';
import { DialogExchange } from './dialogExchange.js';
import { EarlyMediaListening } from './earlyMediaListening.js';
import { ScriptedExchange } from './scriptedCallbacks.js';
import { SecondLegs } from './secondLegs.js';
import type { Dial } from './trunkDial.js';

export interface CallSessionDeps {
  store: Pick<Store, 'accounts' | 'callbackExchanges'> & Partial<Pick<Store, 'amdSettings'>>;
  /** Writes the call's changes together with the receipts they owe. */
  ledger: Pick<CallLedger, 'progress' | 'dtmf' | 'note' | 'finish' | 'secondLeg'>;
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
  live: Map<string, LiveCall>;
  callbackSecret(account: AccountRecord): string | undefined;
  /** Waits before retrying a final write that failed; after the last, the orphan reaper finalises. */
  finishRetriesMs?: readonly number[];
}

/** A call in progress, as SmartCallOperate and CancelCall reach it (outbound or inbound). */
export interface LiveCall {
  operateParallelBridge(): boolean;
  cancel(): boolean;
  /** Hangs the call up in whatever state it is (a media node that lost the call's lease). */
  hangUp?(): void;
}

/** What every piece of one call is told: whose call it is, and where to report. */
type Shared = Pick<
  ConversationOptions,
  'callId' | 'request' | 'account' | 'listeners' | 'callbacks' | 'events' | 'clock' | 'log'
>;

export class CallSession implements LiveCall {
  readonly #d: CallSessionDeps;
  readonly #trunk: TrunkRecord;
  readonly #shared: Shared;
  readonly #log: Logger;
  readonly #progress: CallProgress;
  readonly #finisher: CallFinisher;
  #legs: SecondLegs | undefined;
  #early: EarlyMediaListening | undefined;
  #conversation: Conversation | undefined;
  /** Whether a prompt was playing when the call ended (a callee hanging up on it is 200001). */
  #playingAtEnd = false;
  #out: OutboundCall | undefined;
  /** CancelCall came before the answer: the leg is cancelled as soon as it exists. */
  #cancelled = false;
  /** The account's allowed destinations for transfers (mainland numbers by default). */
  readonly #destinationAllowed: (number: string) => boolean;

  private constructor(deps: CallSessionDeps, call: CallRecord, account: AccountRecord, trunk: TrunkRecord) {
    this.#d = deps;
    this.#trunk = trunk;
    this.#log = deps.log.child({ callId: call.callId });
    this.#destinationAllowed = destinationFilter(account.allowedDestinations);
    const { ledger, events } = deps;
    const base = { callId: call.callId, events, clock: deps.time, log: this.#log };
    const request = JSON.parse(call.request) as SmartCallRequest;
    // SingleCallByVoice, SingleCallByTts, IvrCall: the platform answers the callbacks itself.
    // A SmartCall with DialogId: the account's dialog script answers them (issue 16 item 3).
    const dialog = request.dialog;
    const callbacks = dialog
      ? new DialogExchange({ ...base, request: { ...request, dialog }, store: deps.store })
      : request.script
        ? new ScriptedExchange({ ...base, script: request.script, store: deps.store })
        : new CallbackExchange({
            ...base,
            // A call placed from the console's playground may name its own callback URL.
            account: request.callbackUrl
              ? { ...account, callback: { ...account.callback, url: request.callbackUrl } }
              : account,
            callbacks: deps.callbacks,
            secret: deps.callbackSecret(account),
            store: deps.store,
          });
    this.#shared = { ...base, request, account, listeners: deps.listeners, callbacks };
    this.#progress = new CallProgress({ ...base, ledger });
    this.#finisher = new CallFinisher({
      ...base,
      ledger,
      ...(deps.finishRetriesMs && { retriesMs: deps.finishRetriesMs }),
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

  /** SmartCallOperate Command=parallelBridge (spec §6.2). */
  operateParallelBridge(): boolean {
    if (!this.#legs?.bridgeParallel()) return false;
    this.#conversation?.handOver();
    return true;
  }

  /**
   * CancelCall: a call still dialling or ringing is cancelled (CANCEL, so it ends as `CANCEL`);
   * false once it has been answered or has ended.
   */
  cancel(): boolean {
    const out = this.#out;
    if (out && (out.answered || out.sip.state === 'failed' || out.sip.state === 'ended')) return false;
    this.#cancelled = true;
    out?.hangup();
    return true;
  }

  hangUp(): void {
    this.#cancelled = true;
    this.#out?.hangup();
  }

  #dial(number: string): Promise<OutboundCall> {
    return this.#d.dial({
      number,
      trunk: this.#trunk,
      callerNumber: this.#shared.request.calledShowNumber,
      log: this.#log,
    });
  }

  async #place(): Promise<void> {
    const r = this.#shared.request;
    this.#progress.dialing(this.#trunk.name);
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
    this.#out = out;
    const { account, log } = this.#shared;
    this.#legs = new SecondLegs({
      ...this.#shared,
      main: out,
      dial: (number) => this.#dial(number),
      prompt: (code) => this.#d.prompts.build(account.id, code, {}, speechSettings(undefined), log).source,
      parallelResult: (result) => this.#conversation?.parallelTransferResult(result),
      callCenters: this.#d.callCenters,
      destinationAllowed: this.#destinationAllowed,
      ledger: this.#d.ledger,
    });
    await new Promise<void>((resolve) => {
      const settle = (end: Promise<void>) => {
        void end
          .catch(async (err: unknown) => {
            // Whatever broke while ending, the call still gets its record.
            this.#log.error({ err }, 'ending the call failed');
            await this.#finish({
              state: out.answered || this.#conversation?.started ? 'ended' : 'failed',
              ...internalFailureResult(`internal error: ${(err as Error).message}`),
            });
          })
          .finally(resolve);
      };
      out.on('ringing', () => this.#progress.reached('ringing'));
      out.on('early-media', () => {
        this.#progress.reached('early_media');
        if (r.earlyMediaAsr && !this.#early)
          this.#early = new EarlyMediaListening({ ...this.#shared, media: out.media });
      });
      out.once('answered', () => {
        void this.#answered(out).catch((err) => {
          this.#log.error({ err }, 'the conversation failed to start: hanging up');
          out.hangup();
        });
      });
      out.media.on('dtmf', (d) => {
        this.#progress.key(d.digit, out.answered);
        this.#conversation?.dtmf(d.digit);
      });
      out.once('failed', (cause) => settle(this.#failed(cause)));
      out.once('ending', () => {
        this.#playingAtEnd = this.#conversation?.playing ?? false;
      });
      out.once('ended', (by, reason) => settle(this.#ended(by, reason)));
      if (this.#cancelled) out.hangup();
    });
  }

  async #answered(out: OutboundCall): Promise<void> {
    this.#early?.close();
    const answeredAt = this.#progress.answered();
    this.#conversation = new Conversation({
      ...this.#shared,
      amd: this.#amdSettings(),
      call: out,
      legs: this.#legs!,
      answeredAt,
      prompts: this.#d.prompts,
      ledger: this.#d.ledger,
      recordingsDir: this.#d.recordingsDir,
    });
    await this.#conversation.start();
  }

  /** The account's answering-machine detection (none: off); a setting that cannot be read is logged. */
  #amdSettings(): AmdSettings | undefined {
    const json = this.#d.store.amdSettings?.get(this.#shared.account.id);
    if (!json) return undefined;
    try {
      const settings = JSON.parse(json) as AmdSettings;
      const problem = amdSettingsProblem(settings);
      if (!problem) return settings;
      this.#log.error({ problem }, 'answering-machine detection setting is invalid: detection off');
    } catch (err) {
      this.#log.error({ err }, 'answering-machine detection setting is unreadable: detection off');
    }
    return undefined;
  }

  async #failed(cause: CallFailure): Promise<void> {
    // An announcement cut by the failure is still recognised: it says why the call failed.
    await this.#early?.finish();
    this.#legs?.close();
    const earlyMediaCode = this.#early?.code;
    const result = failedCallResult(cause, earlyMediaCode);
    this.#log.info(
      { sip: `${cause.status} ${cause.reason}`, code: cause.code, status: result.statusCode },
      'call not answered',
    );
    await this.#finish({
      state: 'failed',
      ...result,
      sipStatus: cause.status,
      sipReason: cause.reason,
      ...(earlyMediaCode && { earlyMediaCode }),
    });
  }

  async #ended(by: EndedBy, reason: string): Promise<void> {
    await this.#finish(
      endAnsweredCall(by, reason, {
        conversation: this.#conversation,
        legs: this.#legs,
        playingAtEnd: this.#playingAtEnd,
        log: this.#log,
      }),
    );
  }

  #finish(patch: CallPatch): Promise<void> {
    return this.#finisher.finish(
      { ...patch, ...(this.#progress.dtmf && { dtmf: this.#progress.dtmf }) },
      { earlyMediaAsr: this.#shared.request.earlyMediaAsr, recorded: this.#conversation?.recorded ?? false },
    );
  }
}
