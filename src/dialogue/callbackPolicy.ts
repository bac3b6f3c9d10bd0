/**
 * What a call does when the callback fails (spec §4.6, §10 Q2): the account's fallback reply if it
 * has one, otherwise `donothing`; after 3 failures in a row, or a failed `mute` callback, the call
 * hangs up. Pure, so the rule is tested without HTTP.
 */

import type { ContentType } from '../contract/callbackContent.js';
import { type CallbackAction, parseCallbackReply } from '../contract/callbackReply.js';

export const MAX_CONSECUTIVE_FAILURES = 3;

const DO_NOTHING: CallbackAction = { action: 'donothing' };
const HANG_UP: CallbackAction = {
  action: 'hangup',
  actionBreak: true,
  actionCodeBreak: false,
  actionCodeTimeBreak: 0,
};

export class CallbackPolicy {
  readonly #fallback: CallbackAction | undefined;
  #consecutiveFailures = 0;

  /** `fallbackReply` is the account's configured reply text (validated when it was set). */
  constructor(fallbackReply: string | null) {
    this.#fallback = fallbackReply ? parseCallbackReply(fallbackReply).action : undefined;
  }

  succeeded(): void {
    this.#consecutiveFailures = 0;
  }

  /** The action to take instead of the reply that did not come. */
  failed(contentType: ContentType): { action: CallbackAction; reason: 'fallback' | 'donothing' | 'hangup' } {
    this.#consecutiveFailures++;
    if (this.#consecutiveFailures >= MAX_CONSECUTIVE_FAILURES) return { action: HANG_UP, reason: 'hangup' };
    if (this.#fallback) return { action: this.#fallback, reason: 'fallback' };
    if (contentType === 'mute') return { action: HANG_UP, reason: 'hangup' };
    return { action: DO_NOTHING, reason: 'donothing' };
  }
}
