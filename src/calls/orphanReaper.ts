/**
 * Crash safety: calls that were in progress when the process died (dialing, ringing, answered...)
 * get their terminal state at the next start, with their VoiceReport and — if any audio was
 * recorded — their VoiceRecordReport, exactly once (the ledger's receipt ids make a second run a
 * no-op). The recorder patches its WAV header every second, so a recording cut by `kill -9` is
 * readable up to its last second.
 */
import { statSync } from 'node:fs';
import type { SmartCallRequest } from '../contract/smartCallRequest.js';
import type { Logger } from '../observability/logger.js';
import type { Store } from '../store/repositories.js';
import type { CallLedger } from './callLedger.js';

const IN_PROGRESS = ['dialing', 'ringing', 'early_media', 'answered'] as const;

export function reapOrphanedCalls(store: Store, ledger: CallLedger, log: Logger): number {
  const orphans = store.calls.listByState(IN_PROGRESS, 1_000_000);
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
    const endAt = Math.max(recordedUntil ?? Date.now(), call.answerAt ?? call.originateAt ?? call.createdAt);
    ledger.finish(
      call.callId,
      answered
        ? {
            state: 'ended',
            endAt: Math.round(endAt),
            statusCode: '200000',
            smartStatusCode: 'ANSWERED',
            statusMsg: '平台重启: 通话中断',
            hangupDirection: '机器',
          }
        : {
            state: 'failed',
            endAt: Math.round(endAt),
            statusCode: '999999',
            smartStatusCode: 'OTHER',
            statusMsg: '平台重启: 呼叫中断',
          },
      { earlyMediaAsr, recorded: recordedUntil !== undefined },
    );
  }
  if (orphans.length)
    log.warn({ calls: orphans.length }, 'calls interrupted by the last shutdown were finalised');
  return orphans.length;
}
