/**
 * One inbound smart call (spec §4.7), from the INVITE to the final record: the coordinator, as
 * `CallSession` is for outbound calls, with the same pieces. The call is written with a CallId
 * (state `dialing`, 200101) and rings (180, 200201) while the business's callback is asked with
 * `callin`; its `answer` answers (200 with our SDP, 200102) and starts the `Conversation` — the
 * opening `action_code`, then the turn loop, recording, second legs — exactly as on an outbound
 * call; `hangup` declines (603), a callback that fails rejects (480, or 500 for a reply that is not
 * one), each with its VoiceReport. The caller hanging up ends it like a callee hanging up would.
 *
 * Owns the inbound leg, the conversation and the second legs; closed by the leg ending.
 */
import type { AnswerAction } from '../contract/callbackReply.js';
import { maskNumber } from '../observability/logger.js';
import type { EndedBy } from '../sip/index.js';
import type { AccountRecord, CallRecord, TrunkRecord } from '../store/records.js';
import type { CallPatch, Store } from '../store/repositories.js';
import { type InboundCall, MediaOfferError } from '../telephony/inboundCall.js';
import { destinationFilter } from '../tenancy/destinations.js';
import { endAnsweredCall } from './answeredCallEnd.js';
import { CallbackExchange, type CallinDecision } from './callbackExchange.js';
import { CallFinisher } from './callFinisher.js';
import type { CallIdGenerator } from './callId.js';
import { type CallResult, internalFailureResult, unansweredResult } from './callOutcome.js';
import { CallProgress } from './callProgress.js';
import type { CallSessionDeps, LiveCall } from './callSession.js';
import { Conversation, speechSettings } from './conversation.js';
import type { InboundNumbers } from './inboundNumbers.js';
import { answerOpening, inboundRequest } from './inboundRequest.js';
import { newQueuedCall } from './newCall.js';
import { SecondLegs } from './secondLegs.js';

export interface InboundSessionDeps extends Omit<CallSessionDeps, 'store'> {
  store: Pick<Store, 'accounts' | 'callbackExchanges' | 'calls'>;
  callIds: Pick<CallIdGenerator, 'next'>;
  /** The trunk second legs leave through when the call's own trunk is not known. */
  defaultTrunk(): TrunkRecord | undefined;
  /**
   * Writes the new call's row (default `store.calls.insert`); false when its CallId exists. A media
   * node writes it to the shared store already its own, under a lease it renews.
   */
  record?(call: CallRecord): Promise<boolean>;
  /** Told once the call has its final record (a media node stops renewing its lease then). */
  settled?(callId: string): Promise<void>;
}

/** An INVITE the door let in, for a number an account takes inbound calls on. */
export interface InboundOffer {
  call: InboundCall;
  account: AccountRecord;
  /** The account's number, as it owns it. */
  number: string;
  numbers: InboundNumbers;
  /** The trunk the call came from (transfers leave through it); undefined: the default trunk. */
  trunk: TrunkRecord | undefined;
}

/** How a call refused before its answer is told: the SIP answer and the VoiceReport's result. */
function refusal(decision: Extract<CallinDecision, { ok: false }>): {
  status: number;
  reason: string;
  result: CallResult;
} {
  const malformed = decision.failure === 'bad-reply';
  return {
    status: malformed ? 500 : 480,
    reason: malformed ? 'Server Internal Error' : 'Temporarily Unavailable',
    result: internalFailureResult(`callin 回调失败 (${decision.failure}): ${decision.detail}`),
  };
}

export class InboundSession implements LiveCall {
  readonly #d: InboundSessionDeps;
  readonly #offer: InboundOffer;
  readonly #callId: string;
  readonly #log: CallSessionDeps['log'];
  readonly #progress: CallProgress;
  readonly #finisher: CallFinisher;
  readonly #exchange: CallbackExchange;
  #legs: SecondLegs | undefined;
  #conversation: Conversation | undefined;
  #playingAtEnd = false;

  private constructor(deps: InboundSessionDeps, offer: InboundOffer, callId: string) {
    this.#d = deps;
    this.#offer = offer;
    this.#callId = callId;
    this.#log = deps.log.child({ callId });
    const base = { callId, events: deps.events, clock: deps.time, log: this.#log };
    this.#progress = new CallProgress({ ...base, ledger: deps.ledger });
    this.#finisher = new CallFinisher({
      ...base,
      ledger: deps.ledger,
      ...(deps.finishRetriesMs && { retriesMs: deps.finishRetriesMs }),
    });
    this.#exchange = new CallbackExchange({
      ...base,
      account: offer.account,
      callbacks: deps.callbacks,
      secret: deps.callbackSecret(offer.account),
      store: deps.store,
    });
  }

  /**
   * Takes the offered call through to its final record. Never rejects; when the call cannot even
   * be written, the INVITE is answered 500 and the cause logged.
   */
  static async run(deps: InboundSessionDeps, offer: InboundOffer): Promise<void> {
    const now = Math.round(deps.time.now());
    const callId = deps.callIds.next();
    const { caller, callee, orgcallee } = offer.numbers;
    const request = inboundRequest({ ...offer.numbers, number: offer.number });
    try {
      const record = newQueuedCall({
        callId,
        accountId: offer.account.id,
        calledNumber: offer.number,
        calledShowNumber: caller,
        outId: null,
        dynamicId: null,
        request: JSON.stringify(request),
        createdAt: now,
      });
      // Never `queued`: the dialer's queue must not pick an inbound call up.
      const row: CallRecord = { ...record, state: 'dialing', originateAt: now };
      if (!(deps.record ? await deps.record(row) : deps.store.calls.insert(row)))
        throw new Error(`CallId ${callId} exists already`);
    } catch (err) {
      deps.log.error({ err, sipCallId: offer.call.sip.callId }, 'an inbound call could not be recorded: 500');
      offer.call.reject(500, 'Server Internal Error');
      return;
    }
    const session = new InboundSession(deps, offer, callId);
    deps.live.set(callId, session);
    session.#log.info(
      { caller: maskNumber(caller), callee: maskNumber(callee), orgcallee: maskNumber(orgcallee) },
      'inbound call',
    );
    try {
      await session.#run();
    } catch (err) {
      session.#log.error({ err }, 'the inbound call failed unexpectedly');
      offer.call.hangup();
      await session.#finish({
        state: 'failed',
        ...internalFailureResult(`internal error: ${(err as Error).message}`),
      });
    } finally {
      deps.live.delete(callId);
      await deps
        .settled?.(callId)
        .catch((err: unknown) => session.#log.warn({ err }, 'releasing the ended inbound call failed'));
    }
  }

  /** SmartCallOperate Command=parallelBridge (spec §6.2). */
  operateParallelBridge(): boolean {
    if (!this.#legs?.bridgeParallel()) return false;
    this.#conversation?.handOver();
    return true;
  }

  /** CancelCall places nothing for an inbound call: the caller decides when it ends. */
  cancel(): boolean {
    return false;
  }

  /**
   * Hangs the call up whatever its state (480 while it rings, BYE once answered): a media node that
   * lost the call's lease, or fenced itself, must not talk on while another node finalises it.
   */
  hangUp(): void {
    this.#log.warn('the inbound call is hung up: it is no longer this node’s');
    this.#offer.call.hangup();
  }

  async #run(): Promise<void> {
    const { call, trunk } = this.#offer;
    const sip = call.sip;
    // Made when the call was offered: a caller who hung up while the row was written is seen here.
    const ended = call.whenEnded;
    sip.once('ended', () => {
      this.#playingAtEnd = this.#conversation?.playing ?? false;
    });
    this.#progress.dialing(trunk?.name ?? '');
    call.ring();
    this.#progress.reached('ringing');
    const { caller, callee, orgcallee } = this.#offer.numbers;
    const gone = () => call.ended || sip.state !== 'ringing';
    // A caller who hung up while the row was written is not offered to the business.
    const decision = gone() ? undefined : await this.#exchange.callin({ caller, callee, orgcallee });
    if (decision === undefined || gone()) {
      // The caller gave up while the business was asked.
      this.#log.info('the caller hung up before the answer');
      await ended;
      await this.#finish({
        state: 'failed',
        ...unansweredResult({ kind: 'cancelled' }),
        hangupDirection: '',
      });
      return;
    }
    if (!decision.ok) {
      const r = refusal(decision);
      this.#log.warn(
        { failure: decision.failure, detail: decision.detail, sip: r.status },
        'the callin callback failed: the inbound call is refused',
      );
      await this.#refuse(r.status, r.reason, r.result, ended);
      return;
    }
    const action = decision.action;
    if (action.action === 'hangup') {
      this.#log.info('the business declined the inbound call (callin → hangup): 603');
      await this.#refuse(
        603,
        'Decline',
        { statusCode: '200005', smartStatusCode: 'CALL_REJECTED', statusMsg: '业务拒接 (callin → hangup)' },
        ended,
      );
      return;
    }
    if (!(await this.#answer(action, ended))) return;
    const [by, reason] = await ended;
    await this.#ended(by, reason);
  }

  async #refuse(
    status: number,
    reason: string,
    result: CallResult,
    ended: Promise<[EndedBy, string]>,
  ): Promise<void> {
    this.#offer.call.reject(status, reason);
    await ended;
    await this.#finish({ state: 'failed', ...result, sipStatus: status, sipReason: reason });
  }

  /** 200 OK, then the conversation; false when the call could not be answered (it is finished). */
  async #answer(answer: AnswerAction, ended: Promise<[EndedBy, string]>): Promise<boolean> {
    const d = this.#d;
    const { call, account, trunk } = this.#offer;
    const request = inboundRequest({ ...this.#offer.numbers, number: this.#offer.number }, answer);
    let media: Awaited<ReturnType<InboundCall['answer']>>;
    try {
      media = await call.answer(this.#log.child({ component: 'media' }));
    } catch (err) {
      if (!(err instanceof MediaOfferError)) throw err;
      this.#log.warn({ err: err.message }, 'the inbound call could not be answered (488)');
      await ended;
      await this.#finish({
        state: 'failed',
        ...unansweredResult({ kind: 'sip-final', status: 488, reason: err.message }),
        sipStatus: 488,
        sipReason: 'Not Acceptable Here',
      });
      return false;
    }
    const answeredAt = this.#progress.answered();
    const leg = {
      media,
      hangup: () => call.hangup(),
      get answered() {
        return call.sip.state === 'answered';
      },
    };
    const log = this.#log;
    const base = { callId: this.#callId, events: d.events, clock: d.time, log };
    const dial = async (number: string) => {
      const t = trunk ?? d.defaultTrunk();
      if (!t) throw new Error('no trunk to dial a second leg through');
      return d.dial({ number, trunk: t, callerNumber: this.#offer.number });
    };
    this.#legs = new SecondLegs({
      ...base,
      main: leg,
      dial,
      prompt: (code) => d.prompts.build(account.id, code, {}, speechSettings(undefined), log).source,
      parallelResult: (result) => this.#conversation?.parallelTransferResult(result),
      callCenters: d.callCenters,
      destinationAllowed: destinationFilter(account.allowedDestinations),
      ledger: d.ledger,
    });
    const exchange = this.#exchange;
    const opening = answerOpening(answer);
    this.#conversation = new Conversation({
      ...base,
      request,
      account,
      listeners: d.listeners,
      callbacks: { post: (event, options) => exchange.post(event, options), opening: () => opening },
      call: leg,
      legs: this.#legs,
      answeredAt,
      prompts: d.prompts,
      ledger: d.ledger,
      recordingsDir: d.recordingsDir,
    });
    media.on('dtmf', (e) => {
      this.#progress.key(e.digit, true);
      this.#conversation?.dtmf(e.digit);
    });
    if (answer.dynamicId !== undefined) d.ledger.note(this.#callId, { dynamicId: answer.dynamicId || null });
    try {
      await this.#conversation.start();
    } catch (err) {
      log.error({ err }, 'the conversation failed to start: hanging up');
      call.hangup();
    }
    return true;
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
      { earlyMediaAsr: false, recorded: this.#conversation?.recorded ?? false },
    );
  }
}
