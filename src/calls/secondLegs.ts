/**
 * A call's second legs (spec §4.4): the blind `transfer` (the callee is bridged to another number
 * and the robot leaves), the `parallel_transfer` to a call centre while the robot talks on (with
 * an agent optionally listening in), and the `parallel_bridge` that then connects callee and agent.
 * Owns every leg and bridge it starts; `close()` ends them when the call ends. Every leg it dials
 * gets its own VoiceReport through the ledger (`voice_type` `smart_transfer`, spec §5.3), once,
 * when the leg ends, fails, or is hung up by `close()` — so a parallel leg's hang-up cause is on
 * the call record before the call's own VoiceReport is written.
 */
import type { SecondLegReport } from '../callback/receiptPayloads.js';
import type { Clock } from '../clock/clock.js';
import type { AudioSource } from '../media/audioSource.js';
import type { Logger } from '../observability/logger.js';
import { maskNumber } from '../observability/logger.js';
import { MediaBridge } from '../telephony/mediaBridge.js';
import type { OutboundCall } from '../telephony/outboundCall.js';
import type { CallEvents } from './callEvents.js';
import type { CallLedger } from './callLedger.js';
import {
  answeredResult,
  type CallResult,
  failedCallResult,
  HANGUP_DIRECTION,
  unansweredResult,
} from './callOutcome.js';

export interface ParallelResult {
  status: 'success' | 'fail';
  failCause: string;
  isMonitor: boolean;
  ccName: string;
}

export interface SecondLegsOptions {
  callId: string;
  /** The call's own leg (the callee; the caller of an inbound call). */
  main: Pick<OutboundCall, 'media' | 'hangup' | 'answered'>;
  /** Places a leg through the call's trunk, shown as the call's display number. */
  dial(number: string): Promise<OutboundCall>;
  /** A prompt to play to an agent before the robot's call is handed over (`play_file`). */
  prompt(code: string): AudioSource;
  /** How a parallel transfer went (the dialogue posts it as a callback). */
  parallelResult(result: ParallelResult): void;
  /** `cc_name` → number to dial (a number as cc_name is dialled as is, if allowed). */
  callCenters: Readonly<Record<string, string>>;
  /**
   * Whether the account may be handed to `number` (its allowed destinations). A number that is not
   * allowed is never dialled; call-centre names are the operator's and are not checked.
   */
  destinationAllowed(number: string): boolean;
  /** Where each leg's VoiceReport is written. */
  ledger: Pick<CallLedger, 'secondLeg'>;
  events: CallEvents;
  clock: Clock;
  log: Logger;
}

interface ParallelLeg {
  leg: OutboundCall;
  answered: boolean;
  isMonitor: boolean;
  /** The agent listening in (is_monitor) until the bridge. */
  monitor: MediaBridge | undefined;
}

/** A leg being dialled or up, until its VoiceReport is written. */
interface TrackedLeg {
  index: number;
  kind: SecondLegReport['kind'];
  callee: string;
  originateAt: number;
  ringAt: number | null;
  answerAt: number | null;
  reported: boolean;
}

export class SecondLegs {
  readonly #o: SecondLegsOptions;
  readonly #legs = new Set<OutboundCall>();
  readonly #tracked = new Map<OutboundCall, TrackedLeg>();
  #placed = 0;
  #parallel: ParallelLeg | undefined;
  #bridge: MediaBridge | undefined;
  #bridgedTo: OutboundCall | undefined;
  #closed = false;

  constructor(options: SecondLegsOptions) {
    this.#o = options;
  }

  /** Blind transfer: the callee is bridged to `number`; when either side leaves, both are ended. */
  async transfer(number: string): Promise<void> {
    const out = this.#o.main;
    this.#o.log.info({ to: maskNumber(number) }, 'transferring');
    if (!this.#o.destinationAllowed(number)) {
      // Like a transfer leg that cannot be placed: the robot has already left, so the call ends.
      this.#o.log.warn(
        { to: maskNumber(number) },
        "the transfer number is not one of the account's allowed destinations: not dialled, hanging up",
      );
      out.hangup();
      return;
    }
    const tracked = this.#track('transfer', number);
    let leg: OutboundCall;
    try {
      leg = await this.#o.dial(number);
    } catch (err) {
      this.#o.log.error({ err }, 'the transfer leg could not be placed: hanging up');
      this.#report(
        tracked,
        unansweredResult({ kind: 'transport-error', detail: (err as Error).message }),
        '',
      );
      out.hangup();
      return;
    }
    if (this.#adoptAfterClose(leg, tracked)) return;
    this.#watch(leg, tracked);
    leg.once('answered', () => {
      this.#bridge?.close();
      this.#bridge = MediaBridge.bothWays(out.media, leg.media);
      this.#bridgedTo = leg;
      this.#o.events.emit('said', {
        callId: this.#o.callId,
        at: this.#o.clock.now(),
        code: 'transfer',
        texts: [`[transferred to ${maskNumber(number)}]`],
      });
    });
    leg.once('failed', (cause) => {
      this.#legs.delete(leg);
      this.#o.log.warn({ sip: `${cause.status} ${cause.reason}` }, 'the transfer failed: hanging up');
      out.hangup();
    });
    leg.once('ended', () => {
      this.#legs.delete(leg);
      out.hangup();
    });
  }

  /** A leg to a call centre while the robot talks on; its progress goes to the callback. */
  async parallelTransfer(o: { ccName?: string; playFile?: string; isMonitor: boolean }): Promise<void> {
    const ccName = o.ccName ?? '';
    const centre = this.#o.callCenters[ccName];
    const number = centre ?? (/^\+?\d{3,20}$/.test(ccName) ? ccName : undefined);
    const report = (status: 'success' | 'fail', failCause: string) =>
      this.#o.parallelResult({ status, failCause, isMonitor: o.isMonitor, ccName });
    if (this.#parallel) return report('fail', 'a parallel transfer is already in progress');
    if (!number) return report('fail', `unknown call centre "${ccName}"`);
    if (centre === undefined && !this.#o.destinationAllowed(number)) {
      this.#o.log.warn(
        { to: maskNumber(number) },
        "the parallel transfer number is not one of the account's allowed destinations: not dialled",
      );
      return report('fail', 'destination not allowed');
    }
    const tracked = this.#track('parallel', number);
    let leg: OutboundCall;
    try {
      leg = await this.#o.dial(number);
    } catch (err) {
      const detail = (err as Error).message;
      this.#report(tracked, unansweredResult({ kind: 'transport-error', detail }), '');
      return report('fail', detail);
    }
    if (this.#adoptAfterClose(leg, tracked)) return;
    const parallel: ParallelLeg = { leg, answered: false, isMonitor: o.isMonitor, monitor: undefined };
    this.#parallel = parallel;
    this.#watch(leg, tracked);
    leg.once('answered', () => {
      parallel.answered = true;
      const startMonitor = () => {
        if (parallel.isMonitor && this.#parallel === parallel && !this.#bridge) {
          parallel.monitor = MediaBridge.oneWay(this.#o.main.media, leg.media);
        }
      };
      if (o.playFile) {
        const id = leg.media.play(this.#o.prompt(o.playFile), { id: 'transfer-playfile' });
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
      if (this.#bridgedTo === leg) this.#o.main.hangup();
    });
  }

  /** `parallel_bridge`: callee and agent talk; false without an answered parallel leg. */
  bridgeParallel(): boolean {
    const p = this.#parallel;
    const out = this.#o.main;
    if (this.#closed || !p || !p.answered || !out.answered) return false;
    p.monitor?.close();
    this.#bridge?.close();
    this.#bridge = MediaBridge.bothWays(out.media, p.leg.media);
    this.#bridgedTo = p.leg;
    this.#o.log.info('bridged with the parallel leg');
    return true;
  }

  /**
   * The call is over: bridges stop, legs still up are hung up, and their VoiceReports are written
   * now (hung up by the machine), before the call's own.
   */
  close(): void {
    this.#closed = true;
    this.#bridge?.close();
    this.#parallel?.monitor?.close();
    for (const leg of this.#legs) {
      const tracked = this.#tracked.get(leg);
      if (tracked) this.#report(tracked, ...hungUpByUs(tracked));
      leg.hangup();
    }
  }

  /** A leg whose dialing finished after the call ended is hung up at once. */
  #adoptAfterClose(leg: OutboundCall, tracked: TrackedLeg): boolean {
    if (!this.#closed) return false;
    this.#report(tracked, ...hungUpByUs(tracked));
    leg.hangup();
    return true;
  }

  /** A leg is about to be dialled: its number in the call, and when. */
  #track(kind: TrackedLeg['kind'], callee: string): TrackedLeg {
    return {
      index: ++this.#placed,
      kind,
      callee,
      originateAt: Math.round(this.#o.clock.now()),
      ringAt: null,
      answerAt: null,
      reported: false,
    };
  }

  /** Follows a placed leg to its end, which writes its VoiceReport. */
  #watch(leg: OutboundCall, tracked: TrackedLeg): void {
    this.#legs.add(leg);
    this.#tracked.set(leg, tracked);
    const now = () => Math.round(this.#o.clock.now());
    const rang = () => {
      tracked.ringAt ??= now();
    };
    leg.once('ringing', rang);
    leg.once('early-media', rang);
    leg.once('answered', () => {
      tracked.answerAt = now();
    });
    leg.once('failed', (cause) => {
      this.#tracked.delete(leg);
      this.#report(tracked, failedCallResult(cause), '');
    });
    leg.once('ended', (by) => {
      this.#tracked.delete(leg);
      this.#report(
        tracked,
        answeredResult(false),
        by === 'remote' ? HANGUP_DIRECTION.user : HANGUP_DIRECTION.machine,
      );
    });
  }

  #report(tracked: TrackedLeg, result: CallResult, hangupDirection: string): void {
    if (tracked.reported) return;
    tracked.reported = true;
    const { reported: _, ...leg } = tracked;
    this.#o.ledger.secondLeg(this.#o.callId, {
      ...leg,
      endAt: Math.round(this.#o.clock.now()),
      ...result,
      hangupDirection,
    });
  }
}

/** A leg the call hangs up as it ends: a normal end when answered, a cancelled attempt otherwise. */
function hungUpByUs(tracked: TrackedLeg): [CallResult, string] {
  return tracked.answerAt != null
    ? [answeredResult(false), HANGUP_DIRECTION.machine]
    : [unansweredResult({ kind: 'cancelled' }), ''];
}
