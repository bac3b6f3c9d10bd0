/**
 * What a reply does (spec §4.4), carried out on the parts of the dialogue: first its settings
 * (MuteTime, dynamic_id, TTS, record_flag, ASR choice, then session_timeout, which may end the call
 * at once), then its action. Interruptions follow spec §4.5 rule 2 (`action_break` stops only a
 * breakable media). Replies and the opening of a scripted call both come through here.
 */

import type { CallbackAction } from '../contract/callbackReply.js';
import type { CallbackDecision, DialoguePort, HangupCause } from './dialoguePort.js';
import type { DtmfCollector } from './dtmfCollector.js';
import { type MediaRequest, mediaRequest } from './interruptionRules.js';
import type { PlaybackQueue } from './playbackQueue.js';
import type { ReplySettings } from './replySettings.js';
import type { SessionLimit } from './sessionLimit.js';

/** The dialogue a reply acts on: its parts, and the three ways the robot's part can end. */
export interface ReplyTarget {
  port: DialoguePort;
  settings: ReplySettings;
  session: SessionLimit;
  queue: PlaybackQueue;
  keys: DtmfCollector;
  /** The dialogue stops and the call hangs up. */
  hangup(cause: HangupCause): void;
  /** The dialogue stops; the call goes on without the robot. */
  stop(): void;
  /** The callee now talks to a person. */
  handOver(): void;
}

export class ReplyActions {
  readonly #t: ReplyTarget;

  constructor(target: ReplyTarget) {
    this.#t = target;
  }

  carryOut(action: CallbackAction, source: CallbackDecision['source']): void {
    const { port, queue, keys } = this.#t;
    this.#t.settings.apply(action);
    // Like SessionTimeout, the call's whole length: a limit already passed ends the call now.
    if (action.sessionTimeout !== undefined && !this.#t.session.moveTo(action.sessionTimeout)) {
      this.#t.hangup('session-timeout');
      return;
    }
    switch (action.action) {
      case 'play':
        queue.interruptIf(action.actionBreak);
        this.#play(mediaRequest(action.actionCode, action, 'prompt', action.actionCodeBreak));
        break;
      case 'break':
        queue.interruptIf(true);
        break;
      case 'continue':
      case 'donothing':
        break;
      case 'hangup':
        // The business ends the call: keys still awaited are no longer reported.
        keys.cancel();
        if (!action.actionCode) {
          this.#t.hangup(source === 'policy' ? 'callback-failure' : 'business');
          return;
        }
        // Spec §10 Q6: its action_code plays first, uninterruptibly; its end ends the call.
        queue.interruptIf(action.actionBreak);
        queue.clearPending();
        this.#play(mediaRequest(action.actionCode, action, 'hangup', false));
        break;
      case 'dtmf':
        // Collection opens at once; its prompt, if any, is queued like any media.
        keys.cancel();
        queue.interruptIf(action.actionBreak);
        keys.open(action.dtmf);
        if (action.actionCode)
          this.#play(mediaRequest(action.actionCode, action, 'dtmf', action.actionCodeBreak));
        keys.update();
        break;
      case 'transfer':
        // The conversation with the robot is over: no more prompts, timers or callbacks.
        this.#t.stop();
        port.stopPlayback();
        port.transfer(action.number);
        break;
      case 'parallel_transfer':
        port.parallelTransfer({ ...action.transfer });
        break;
      case 'parallel_bridge':
        if (port.parallelBridge()) this.#t.handOver();
        break;
    }
  }

  /** A media is spoken with the TTS settings in force when it is queued. */
  #play(request: MediaRequest): void {
    this.#t.queue.enqueue(request, this.#t.settings.tts);
  }
}
