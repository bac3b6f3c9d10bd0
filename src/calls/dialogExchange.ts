/**
 * Stands where a call's `CallbackExchange` stands when the SmartCall names a dialog script
 * (`DialogId`, issue 16 item 3): each callback event is answered by the script's runner
 * (src/dialogue/dialogRunner.ts), logged with the call like any exchange (outcome `scripted`, the
 * action with the nodes it walked) and told to the call events. Hooks go out through
 * src/callback/dialogHook.ts. Everything else — dialer, trunk, prompts, barge-in, keys, recording,
 * receipts — is the SmartCall path unchanged.
 */
import { postDialogHook } from '../callback/dialogHook.js';
import type { Clock } from '../clock/clock.js';
import type { CallbackContent } from '../contract/callbackContent.js';
import type { CallbackAction } from '../contract/callbackReply.js';
import { HOOK_TIMEOUT_MS } from '../contract/dialogScript.js';
import type { SmartCallRequest } from '../contract/smartCallRequest.js';
import { DialogRunner } from '../dialogue/dialogRunner.js';
import type { CallbackDecision } from '../dialogue/dialogueEngine.js';
import type { Logger } from '../observability/logger.js';
import type { Store } from '../store/repositories.js';
import type { CallEvents } from './callEvents.js';

export interface DialogExchangeOptions {
  callId: string;
  request: SmartCallRequest & { dialog: NonNullable<SmartCallRequest['dialog']> };
  store: Pick<Store, 'callbackExchanges'>;
  events: CallEvents;
  clock: Clock;
  log: Logger;
  /** For tests: the hooks' HTTP client. */
  fetch?: typeof fetch;
}

export class DialogExchange {
  readonly #o: DialogExchangeOptions;
  readonly #runner: DialogRunner;
  /** How far into the runner's path the last logged exchange went. */
  #logged = 0;

  constructor(options: DialogExchangeOptions) {
    this.#o = options;
    const r = options.request;
    const { id } = r.dialog;
    this.#runner = new DialogRunner(r.dialog.script, {
      variables: {
        ...r.voiceCodeParam,
        callee: r.calledNumber,
        caller: r.calledShowNumber,
        call_id: options.callId,
        ...(r.outId && { out_id: r.outId }),
      },
      muteTimeMs: r.muteTime,
      hooks: async (hook, body) => {
        const started = options.clock.now();
        const result = await postDialogHook(
          {
            url: hook.url,
            timeoutMs: hook.timeoutMs ?? HOOK_TIMEOUT_MS.default,
            body: { call_id: options.callId, dialog_id: id, ...body },
          },
          { clock: options.clock, ...(options.fetch && { fetch: options.fetch }) },
        );
        const ms = Math.round(options.clock.now() - started);
        if ('error' in result)
          options.log.warn({ node: body.node, error: result.error, ms }, 'dialog hook failed');
        else options.log.info({ node: body.node, ms }, 'dialog hook answered');
        return result;
      },
    });
  }

  /** The nodes the dialog walked, in order. */
  get path(): readonly string[] {
    return this.#runner.path;
  }

  async opening(): Promise<CallbackAction> {
    const action = await this.#runner.opening();
    this.#record(undefined, action);
    return action;
  }

  async post(event: CallbackContent, options: { earlyMedia?: boolean } = {}): Promise<CallbackDecision> {
    let action: CallbackAction;
    try {
      action = options.earlyMedia ? { action: 'donothing' } : await this.#runner.answer(event);
    } catch (err) {
      // A bug in the runner: the call hangs up rather than hang in silence.
      this.#o.log.error({ err }, 'the dialog script failed: hanging up');
      return {
        action: { action: 'hangup', actionBreak: true, actionCodeBreak: false, actionCodeTimeBreak: 0 },
        source: 'policy',
      };
    }
    this.#record(event, action);
    return { action, source: 'reply' };
  }

  #record(event: CallbackContent | undefined, action: CallbackAction): void {
    const o = this.#o;
    const at = o.clock.now();
    const walked = this.#runner.path.slice(this.#logged);
    this.#logged = this.#runner.path.length;
    const nodes = walked.length > 0 ? ` → ${walked.join(' → ')}` : '';
    try {
      o.store.callbackExchanges.insert({
        callId: o.callId,
        contentType: event?.type ?? 'opening',
        content: JSON.stringify(event?.content ?? {}),
        outcome: 'scripted',
        httpStatus: null,
        reply: null,
        action: `${action.action} (dialog ${o.request.dialog.id}${nodes})`,
        detail: JSON.stringify({ nodes: walked, variables: this.#runner.variables }),
        latencyMs: 0,
        createdAt: Math.round(at),
      });
    } catch (err) {
      o.log.error({ err, callId: o.callId }, 'could not log the dialog exchange');
    }
    if (!event) return;
    o.events.emit('callback', {
      callId: o.callId,
      at,
      contentType: event.type,
      content: event.content,
      outcome: 'scripted',
      action: action.action,
      source: 'reply',
      latencyMs: 0,
    });
  }
}
