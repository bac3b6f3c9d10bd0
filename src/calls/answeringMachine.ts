/**
 * Answering-machine detection on one answered call (issue 16 item 4): the detector hears the
 * callee's frames from the answer — the same frames the call's VAD gets — while the opening prompt
 * plays as it always does (no dead air). Once it decides, the outcome goes to the call record and to
 * whoever asks (`decided`, for the first `normal` callback); then, for a machine, the account's
 * action: `report` lets the call go on, `hangup` ends it at once, `message` waits for the beep (or
 * the end of the greeting) and asks the conversation to leave the message.
 *
 * Owns its frame listener and its timers; `close()` lets go of both (the conversation closes it).
 */

import type { Clock, TimerHandle } from '../clock/clock.js';
import type { AmdOutcome, AmdSettings } from '../contract/answeringMachine.js';
import type { MediaSessionEvents } from '../media/mediaSession.js';
import type { Logger } from '../observability/logger.js';
import { type AmdEvent, AnsweringMachineDetector } from '../speech/amdDetector.js';

/** How long `message` waits for the beep or the end of the greeting after deciding, at most. */
const MESSAGE_WAIT_MS = 15_000;

export interface AnsweringMachineWatchOptions {
  settings: AmdSettings;
  /** The answered leg's media: its `frame` events (8 kHz, 20 ms). */
  media: {
    on(event: 'frame', listener: (...args: MediaSessionEvents['frame']) => void): unknown;
    off(event: 'frame', listener: (...args: MediaSessionEvents['frame']) => void): unknown;
  };
  answeredAt: number;
  clock: Clock;
  log: Logger;
  /** The outcome is known, or has changed (beep heard, message played): write it down. */
  record(outcome: AmdOutcome): void;
  /** A machine, and the account hangs up on machines. */
  hangup(): void;
  /** A machine, its greeting over (or its beep heard): play the message, then hang up. */
  leaveMessage(code: string): void;
}

export class AnsweringMachineWatch {
  readonly #o: AnsweringMachineWatchOptions;
  readonly #detector: AnsweringMachineDetector;
  readonly #onFrame: (pcm: Int16Array, at: number) => void;
  readonly #decided: Promise<AmdOutcome>;
  #resolve!: (outcome: AmdOutcome) => void;
  #outcome: AmdOutcome | undefined;
  #deadline: TimerHandle | undefined;
  #messageTimer: TimerHandle | undefined;
  #listening = false;
  /** Waiting for the beep or the greeting's end, to leave the message. */
  #awaitingMessage = false;
  #closed = false;

  constructor(options: AnsweringMachineWatchOptions) {
    this.#o = options;
    this.#detector = new AnsweringMachineDetector({ maxMs: options.settings.maxMs, startMs: 0 });
    this.#decided = new Promise((resolve) => {
      this.#resolve = resolve;
    });
    this.#onFrame = (pcm, at) => this.#handle(this.#detector.push(pcm, at - this.#o.answeredAt));
  }

  /** Resolves with the outcome once decided (by `maxMs` after the answer at the latest). */
  get decided(): Promise<AmdOutcome> {
    return this.#decided;
  }

  get outcome(): AmdOutcome | undefined {
    return this.#outcome;
  }

  start(): void {
    const o = this.#o;
    this.#listening = true;
    o.media.on('frame', this.#onFrame);
    // No frames (no RTP) must not keep the decision waiting.
    const left = Math.max(0, o.answeredAt + o.settings.maxMs - o.clock.now());
    this.#deadline = o.clock.setTimer(() => {
      this.#deadline = undefined;
      this.#handle(this.#detector.timeout(o.settings.maxMs));
    }, left + 60);
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#stopListening();
    if (this.#deadline !== undefined) this.#o.clock.clearTimer(this.#deadline);
    if (this.#messageTimer !== undefined) this.#o.clock.clearTimer(this.#messageTimer);
    this.#deadline = this.#messageTimer = undefined;
    // Whoever waits for the decision is not left waiting by a call that ended first.
    this.#resolve(
      this.#outcome ?? { result: 'unknown', reason: 'timeout', afterMs: 0, greetingMs: 0, action: 'report' },
    );
  }

  #handle(events: readonly AmdEvent[]): void {
    for (const e of events) {
      if (this.#closed) return;
      if (e.type === 'decision') this.#decision(e.decision);
      else if (e.type === 'beep' && this.#outcome) {
        this.#outcome = { ...this.#outcome, beepAtMs: e.endMs };
        this.#o.record(this.#outcome);
        if (this.#awaitingMessage) this.#message('beep');
      } else if (e.type === 'greeting-end' && this.#awaitingMessage) this.#message('greeting-end');
    }
  }

  #decision(d: NonNullable<AnsweringMachineDetector['decision']>): void {
    const o = this.#o;
    if (this.#deadline !== undefined) o.clock.clearTimer(this.#deadline);
    this.#deadline = undefined;
    const action = d.result === 'machine' ? o.settings.machine : 'report';
    this.#outcome = { ...d, action };
    o.log.info(
      { amd: d.result, reason: d.reason, afterMs: d.afterMs, greetingMs: d.greetingMs, action },
      'answering-machine detection decided',
    );
    o.record(this.#outcome);
    this.#resolve(this.#outcome);
    if (action === 'hangup') {
      this.#stopListening();
      o.hangup();
    } else if (action === 'message') {
      this.#awaitingMessage = true;
      this.#messageTimer = o.clock.setTimer(() => {
        this.#messageTimer = undefined;
        this.#message('wait-limit');
      }, MESSAGE_WAIT_MS);
    } else this.#stopListening();
  }

  #message(after: 'beep' | 'greeting-end' | 'wait-limit'): void {
    const o = this.#o;
    if (!this.#awaitingMessage || !this.#outcome) return;
    this.#awaitingMessage = false;
    this.#stopListening();
    if (this.#messageTimer !== undefined) o.clock.clearTimer(this.#messageTimer);
    this.#messageTimer = undefined;
    this.#outcome = { ...this.#outcome, messageAtMs: Math.round(o.clock.now() - o.answeredAt) };
    o.record(this.#outcome);
    o.log.info({ after }, 'leaving the message on the answering machine');
    o.leaveMessage(o.settings.messageVoiceCode ?? '');
  }

  #stopListening(): void {
    if (!this.#listening) return;
    this.#listening = false;
    this.#o.media.off('frame', this.#onFrame);
  }
}
