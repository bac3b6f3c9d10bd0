/**
 * One call's exchanges with the business's callback (spec §4.1, §4.6): posts an event, applies
 * the failure policy (the account's fallback reply, three failures in a row hang up), logs the
 * exchange in the store and tells the call events. Early-media callbacks (before the answer) are
 * posted and logged but their reply is not acted on, so they never count toward the policy.
 */
import type { CallbackClient } from '../callback/callbackClient.js';
import type { Clock } from '../clock/clock.js';
import type { CallbackContent, CallinContent } from '../contract/callbackContent.js';
import type { CallinAction } from '../contract/callbackReply.js';
import { CallbackPolicy } from '../dialogue/callbackPolicy.js';
import type { CallbackDecision } from '../dialogue/dialogueEngine.js';
import type { Logger } from '../observability/logger.js';
import type { AccountRecord } from '../store/records.js';
import type { Store } from '../store/repositories.js';
import type { CallEvents } from './callEvents.js';

/** What the business said to an inbound call's `callin`, or why it said nothing usable. */
export type CallinDecision =
  | { ok: true; action: CallinAction }
  | { ok: false; failure: string; detail: string };

export interface CallbackExchangeOptions {
  callId: string;
  account: AccountRecord;
  callbacks: Pick<CallbackClient, 'send'> & Partial<Pick<CallbackClient, 'sendCallin'>>;
  /** The account's signing secret, if it has one. */
  secret: string | undefined;
  store: Pick<Store, 'callbackExchanges'>;
  events: CallEvents;
  clock: Clock;
  log: Logger;
}

const DO_NOTHING: CallbackDecision = {
  action: { action: 'donothing' },
  source: 'policy',
};

export class CallbackExchange {
  readonly #o: CallbackExchangeOptions;
  readonly #policy: CallbackPolicy;

  constructor(options: CallbackExchangeOptions) {
    this.#o = options;
    this.#policy = new CallbackPolicy(options.account.callback.fallbackReply);
  }

  /**
   * Posts one callback and resolves with what to do next; never rejects. With `earlyMedia` the
   * exchange is outside the conversation: a failure does not count toward the failure policy and
   * a success does not reset it; the caller does not act on the reply.
   */
  async post(event: CallbackContent, options: { earlyMedia?: boolean } = {}): Promise<CallbackDecision> {
    const o = this.#o;
    const cb = o.account.callback;
    const policy = options.earlyMedia ? undefined : this.#policy;
    const started = o.clock.now();
    let decision: CallbackDecision;
    let outcome: string;
    let httpStatus: number | null = null;
    let reply: string | null = null;
    let detail: string | null = null;
    const failed = (): CallbackDecision => {
      if (!policy) return DO_NOTHING;
      const f = policy.failed(event.type);
      return { action: f.action, source: f.reason === 'fallback' ? 'fallback' : 'policy' };
    };
    if (!cb.url) {
      outcome = 'no-callback-url';
      detail = 'the account has no callback URL';
      decision = failed();
    } else {
      const result = await o.callbacks
        .send(
          { url: cb.url, timeoutMs: cb.timeoutMs, bodyMode: cb.bodyMode, signingSecret: o.secret },
          { callId: o.callId, timestamp: Math.round(started), event },
        )
        .catch(asNetworkFailure);
      httpStatus = result.status ?? null;
      reply = result.body?.slice(0, 4096) ?? null;
      if (result.ok) {
        policy?.succeeded();
        outcome = 'ok';
        decision = { action: result.reply.action, source: 'reply' };
        for (const w of result.reply.warnings) o.log.warn({ warning: w }, 'callback reply');
      } else {
        outcome = result.failure;
        detail = result.detail;
        decision = failed();
        o.log.warn(
          {
            contentType: event.type,
            failure: result.failure,
            detail,
            next: decision.action.action,
            ...(options.earlyMedia && { earlyMedia: true }),
          },
          'callback failed',
        );
      }
    }
    this.#record(event, started, { outcome, httpStatus, reply, detail }, decision);
    return decision;
  }

  /**
   * Posts an inbound call's `callin` (spec §4.7) and resolves with the business's `answer` or
   * `hangup`; never rejects. A failure (no URL, timeout, HTTP error, a reply that is not answer or
   * hangup) is not covered by the failure policy: the call has not begun, the caller decides.
   */
  async callin(content: CallinContent): Promise<CallinDecision> {
    const o = this.#o;
    const cb = o.account.callback;
    const event: CallbackContent = { type: 'callin', content };
    const started = o.clock.now();
    let decision: CallinDecision;
    let httpStatus: number | null = null;
    let reply: string | null = null;
    if (!cb.url) {
      decision = { ok: false, failure: 'no-callback-url', detail: 'the account has no callback URL' };
    } else if (!o.callbacks.sendCallin) {
      decision = { ok: false, failure: 'network', detail: 'this callback client cannot post callin' };
    } else {
      const result = await o.callbacks
        .sendCallin(
          { url: cb.url, timeoutMs: cb.timeoutMs, bodyMode: cb.bodyMode, signingSecret: o.secret },
          { callId: o.callId, timestamp: Math.round(started), event },
        )
        .catch(asNetworkFailure);
      httpStatus = result.status ?? null;
      reply = result.body?.slice(0, 4096) ?? null;
      if (result.ok) {
        decision = { ok: true, action: result.reply.action };
        for (const w of result.reply.warnings) o.log.warn({ warning: w }, 'callback reply');
      } else decision = { ok: false, failure: result.failure, detail: result.detail };
    }
    this.#record(
      event,
      started,
      {
        outcome: decision.ok ? 'ok' : decision.failure,
        httpStatus,
        reply,
        detail: decision.ok ? null : decision.detail,
      },
      decision.ok ? { action: decision.action, source: 'reply' } : undefined,
    );
    return decision;
  }

  /** The exchange in the store (the call's callback log) and as a `callback` event. */
  #record(
    event: CallbackContent,
    started: number,
    r: { outcome: string; httpStatus: number | null; reply: string | null; detail: string | null },
    decision: { action: { action: string }; source: CallbackDecision['source'] } | undefined,
  ): void {
    const o = this.#o;
    const { outcome, httpStatus, reply, detail } = r;
    const latencyMs = Math.round(o.clock.now() - started);
    try {
      o.store.callbackExchanges.insert({
        callId: o.callId,
        contentType: event.type,
        content: JSON.stringify(event.content),
        outcome,
        httpStatus,
        reply,
        action: decision ? `${decision.action.action} (${decision.source})` : null,
        detail,
        latencyMs,
        createdAt: Math.round(started),
      });
    } catch (err) {
      o.log.error({ err, callId: o.callId }, 'could not log the callback exchange');
    }
    o.events.emit('callback', {
      callId: o.callId,
      at: started,
      contentType: event.type,
      content: event.content,
      outcome,
      action: decision?.action.action ?? '',
      source: decision?.source ?? 'policy',
      latencyMs,
    });
  }
}

/** A post that threw (a dead socket, a bug in the client) is a network failure like any other. */
function asNetworkFailure(err: unknown) {
  return {
    ok: false as const,
    failure: 'network' as const,
    detail: (err as Error).message,
    status: undefined,
    body: undefined,
  };
}
