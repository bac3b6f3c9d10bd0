/**
 * The business logic of SingleCallByVoice, SingleCallByTts and IvrCall (spec §6.3), run in-process:
 * a `CallScriptRunner` answers the dialogue's callback events (spec §4.3) with the reply actions a
 * callback would send (spec §4.4), and `ScriptedExchange` stands where a call's `CallbackExchange`
 * stands. Everything else — dialer, trunk, prompts, keys, recording, receipts — is the SmartCall path
 * unchanged.
 *
 * - Notification: the prompt plays; each `mute` (MuteTime after it ended, 1 s for these calls) plays
 *   it again, the last time as `hangup` with the prompt, so the call ends when it has played
 *   `playTimes` times.
 * - IVR: the opening is a one-key `dtmf` collection over the start prompt (keys count over the
 *   prompt too). A key of the menu plays its prompt, then (at the next `mute`) `bye` with the
 *   hang-up. No key (`noInputTimeout`) or a key off the menu plays the menu again until it has played
 *   `playTimes` times, then `bye` with the hang-up.
 */
import type { Clock } from '../clock/clock.js';
import type { CallbackContent } from '../contract/callbackContent.js';
import type { CallbackAction, DtmfAction, HangupAction, PlayAction } from '../contract/callbackReply.js';
import type { CallScript, IvrScript, NotificationScript, ScriptPrompt } from '../contract/scriptedCall.js';
import type { CallbackDecision } from '../dialogue/dialogueEngine.js';
import type { Logger } from '../observability/logger.js';
import type { Store } from '../store/repositories.js';
import type { CallEvents } from './callEvents.js';

/** MuteTime of a scripted call: the pause between two plays of a prompt. */
export const SCRIPTED_MUTE_TIME_MS = 1000;

const MEDIA = { actionBreak: true, actionCodeTimeBreak: 0 } as const;

function play(prompt: ScriptPrompt): PlayAction {
  return {
    action: 'play',
    actionCode: prompt.code,
    actionCodeParam: prompt.params,
    ...MEDIA,
    actionCodeBreak: false,
  };
}

/** Ends the call, after `prompt` when there is one (spec §10 Q6). */
function hangup(prompt: ScriptPrompt | null): HangupAction {
  return {
    action: 'hangup',
    ...(prompt && { actionCode: prompt.code, actionCodeParam: prompt.params }),
    ...MEDIA,
    actionCodeBreak: false,
  };
}

function menu(script: IvrScript): DtmfAction {
  return {
    action: 'dtmf',
    actionCode: script.start.code,
    actionCodeParam: script.start.params,
    ...MEDIA,
    // A key stops the menu prompt: the callee knows what to press.
    actionCodeBreak: true,
    dtmf: { noInputTimeoutS: script.timeoutMs / 1000, maxDigits: 1, endCharacter: '' },
  };
}

const NOTHING: CallbackAction = { action: 'donothing' };

/** One call's script: the opening, then one reply per callback event. Pure. */
export class CallScriptRunner {
  readonly #script: CallScript;
  /** How many times the prompt (notification) or the menu (IVR) has been started. */
  #plays = 1;
  /** IVR: a key of the menu was pressed and its prompt plays; `bye` follows. */
  #chosen = false;
  #done = false;

  constructor(script: CallScript) {
    this.#script = script;
  }

  /** What the call does once answered, instead of playing a VoiceCode. */
  opening(): CallbackAction {
    const s = this.#script;
    if (s.action === 'IvrCall') return menu(s);
    if (s.playTimes <= 1) return this.#end(s.prompt);
    return play(s.prompt);
  }

  answer(event: CallbackContent): CallbackAction {
    if (this.#done) return NOTHING;
    const s = this.#script;
    return s.action === 'IvrCall' ? this.#ivr(s, event) : this.#notification(s, event);
  }

  #notification(s: NotificationScript, event: CallbackContent): CallbackAction {
    // Speech over the prompt changes nothing; the silence after it starts the next play.
    if (event.type !== 'mute') return NOTHING;
    this.#plays++;
    return this.#plays >= s.playTimes ? this.#end(s.prompt) : play(s.prompt);
  }

  #ivr(s: IvrScript, event: CallbackContent): CallbackAction {
    if (this.#chosen) return event.type === 'mute' ? this.#end(s.bye) : NOTHING;
    if (event.type !== 'dtmf') return NOTHING;
    const chosen = s.menu[event.content.dtmf_digits];
    if (chosen) {
      this.#chosen = true;
      return s.bye ? play(chosen) : this.#end(chosen);
    }
    // No key in time, or a key off the menu: the menu again while PlayTimes allows.
    if (this.#plays >= s.playTimes) return this.#end(s.bye);
    this.#plays++;
    return menu(s);
  }

  #end(prompt: ScriptPrompt | null): HangupAction {
    this.#done = true;
    return hangup(prompt);
  }
}

export interface ScriptedExchangeOptions {
  callId: string;
  script: CallScript;
  store: Pick<Store, 'callbackExchanges'>;
  events: CallEvents;
  clock: Clock;
  log: Logger;
}

/**
 * Stands where the call's `CallbackExchange` stands: each event is answered by the script at once,
 * logged with the call like any exchange (outcome `scripted`) and told to the call events.
 */
export class ScriptedExchange {
  readonly #o: ScriptedExchangeOptions;
  readonly #runner: CallScriptRunner;

  constructor(options: ScriptedExchangeOptions) {
    this.#o = options;
    this.#runner = new CallScriptRunner(options.script);
  }

  opening(): CallbackAction {
    return this.#runner.opening();
  }

  post(event: CallbackContent, options: { earlyMedia?: boolean } = {}): Promise<CallbackDecision> {
    const o = this.#o;
    const at = o.clock.now();
    const action = options.earlyMedia ? NOTHING : this.#runner.answer(event);
    try {
      o.store.callbackExchanges.insert({
        callId: o.callId,
        contentType: event.type,
        content: JSON.stringify(event.content),
        outcome: 'scripted',
        httpStatus: null,
        reply: null,
        action: `${action.action} (${o.script.action})`,
        detail: null,
        latencyMs: 0,
        createdAt: Math.round(at),
      });
    } catch (err) {
      o.log.error({ err, callId: o.callId }, 'could not log the scripted exchange');
    }
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
    return Promise.resolve({ action, source: 'reply' });
  }
}
