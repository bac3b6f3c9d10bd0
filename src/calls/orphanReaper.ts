/**
 * Crash safety: calls that were in progress when the process died (dialing, ringing, answered...)
 * get their terminal state at the next start, with their VoiceReport and — if any audio was
 * recorded — their VoiceRecordReport, exactly once (the ledger's receipt ids make a second run a
 * no-op). The recorder patches its WAV header every second, so a recording cut by `kill -9` is
 * readable up to its last second.
 *
 * While the process runs, the reaper also sweeps now and then for calls in progress that no
 * session owns any more: a call whose final write failed (and failed again on retry) is finalised
 * here, so every accepted call still ends with one terminal state and one VoiceReport.
 */
import { statSync } from 'node:fs';
import { type Clock, systemClock } from '../clock/clock.js';
import type { SmartCallRequest } from '../contract/smartCallRequest.js';
import type { Logger } from '../observability/logger.js';
import type { CallRecord } from '../store/records.js';
import type { Store } from '../store/repositories.js';
import type { CallLedger } from './callLedger.js';

const IN_PROGRESS = ['dialing', 'ringing', 'early_media', 'answered'] as const;

export interface ReapOptions {
  /** Calls to leave alone (those a live session still owns). */
  skip?: (callId: string) => boolean;
  clock?: Clock;
  /** Why the calls were cut: a restart (the default) or a failure while the process ran. */
  cause?: 'restart' | 'lost';
}

const MESSAGES = {
  restart: { answered: '平台重启: 通话中断', unanswered: '平台重启: 呼叫中断' },
  lost: { answered: '平台错误: 通话记录未能写入', unanswered: '平台错误: 呼叫记录未能写入' },
};

export function reapOrphanedCalls(
  store: Store,
  ledger: Pick<CallLedger, 'finish'>,
  log: Logger,
  options: ReapOptions = {},
): number {
  const orphans = store.calls.listByState(IN_PROGRESS, 1_000_000).filter((c) => !options.skip?.(c.callId));
  return finaliseOrphans(orphans, ledger, log, options);
}

/**
 * Finalises the given calls as orphans (the work of {@link reapOrphanedCalls}, for calls found some
 * other way: a media node's calls whose owner died). Returns how many were finalised.
 */
export function finaliseOrphans(
  orphans: readonly CallRecord[],
  ledger: Pick<CallLedger, 'finish'>,
  log: Logger,
  options: ReapOptions = {},
): number {
  const clock = options.clock ?? systemClock;
  const messages = MESSAGES[options.cause ?? 'restart'];
  let finalised = 0;
  for (const call of orphans) {
    let recordedUntil: number | undefined;
    if (call.recordPath) {
      try {
        const st = statSync(call.recordPath);
        if (st.size > 44) recordedUntil = st.mtimeMs;
      } catch {
        // no file: nothing was recorded
      }
    }
    let earlyMediaAsr = false;
    try {
      earlyMediaAsr = (JSON.parse(call.request) as SmartCallRequest).earlyMediaAsr;
    } catch {
      // an unreadable request changes nothing here
    }
    const answered = call.answerAt != null;
    const endAt = Math.max(recordedUntil ?? clock.now(), call.answerAt ?? call.originateAt ?? call.createdAt);
    try {
      ledger.finish(
        call.callId,
        answered
          ? {
              state: 'ended',
              endAt: Math.round(endAt),
              statusCode: '200000',
              smartStatusCode: 'ANSWERED',
              statusMsg: messages.answered,
              hangupDirection: '机器',
            }
          : {
              state: 'failed',
              endAt: Math.round(endAt),
              statusCode: '999999',
              smartStatusCode: 'OTHER',
              statusMsg: messages.unanswered,
            },
        { earlyMediaAsr, recorded: recordedUntil !== undefined },
      );
      finalised++;
      // The call's own line (every line about a call names it): why its record says what it says.
      log.info({ callId: call.callId, state: answered ? 'ended' : 'failed' }, 'orphaned call finalised');
    } catch {
      // logged by the ledger; the next sweep tries again
    }
  }
  if (orphans.length)
    log.warn(
      { calls: orphans.length, finalised, cause: options.cause ?? 'restart' },
      options.cause === 'lost'
        ? 'calls no session could finalise were finalised'
        : 'calls interrupted by the last shutdown were finalised',
    );
  return finalised;
}

export interface OrphanReaperOptions {
  store: Store;
  ledger: Pick<CallLedger, 'finish'>;
  log: Logger;
  clock: Clock;
  /** Whether a live session owns the call (it is left alone). */
  isLive: (callId: string) => boolean;
  intervalMs: number;
}

/** Sweeps for calls in progress that no live session owns, every `intervalMs`. */
export class OrphanReaper {
  readonly #o: OrphanReaperOptions;
  #timer: unknown;
  #running = false;

  constructor(options: OrphanReaperOptions) {
    this.#o = options;
  }

  start(): void {
    this.#running = true;
    this.#schedule();
  }

  stop(): void {
    this.#running = false;
    if (this.#timer !== undefined) this.#o.clock.clearTimer(this.#timer);
    this.#timer = undefined;
  }

  /** One sweep now; the number of calls finalised. */
  sweep(): number {
    return reapOrphanedCalls(this.#o.store, this.#o.ledger, this.#o.log, {
      skip: this.#o.isLive,
      clock: this.#o.clock,
      cause: 'lost',
    });
  }

  #schedule(): void {
    if (!this.#running) return;
    this.#timer = this.#o.clock.setTimer(() => {
      this.#timer = undefined;
      try {
        this.sweep();
      } catch (err) {
        this.#o.log.error({ err }, 'the orphan sweep failed');
      }
      this.#schedule();
    }, this.#o.intervalMs);
  }
}
