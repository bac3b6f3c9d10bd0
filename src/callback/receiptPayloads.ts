/**
 * The three SmartCall receipts (spec §5.2–§5.4) built from a call record. Every receipt carries
 * `receipt_id`, stable across retries and restarts, so a receiver can drop duplicates (HTTP push
 * may deliver one twice: spec §5.1).
 */
import { chinaTimeOrEmpty } from '../contract/chinaTime.js';
import type { CallRecord } from '../store/records.js';

export type Payload = Record<string, string | number>;

/** VoiceCallReport for a progress code (200101 calling, 200201 ringing, 200102 answered, 200100 ended, 300000 DTMF). */
export function voiceCallReport(
  call: CallRecord,
  statusCode: string,
  at: number,
  options: { smartStatusCode?: string; dtmf?: string } = {},
): Payload {
  return {
    call_id: call.callId,
    status_code: statusCode,
    smart_status_code: options.smartStatusCode ?? '',
    status_time: chinaTimeOrEmpty(at),
    out_id: call.outId ?? '',
    ...(options.dtmf !== undefined && { dtmf: options.dtmf }),
  };
}

function talkSeconds(call: CallRecord): number {
  return call.answerAt != null && call.endAt != null ? Math.round((call.endAt - call.answerAt) / 1000) : 0;
}

/** VoiceReport: the call detail record after the call ended (spec §5.3). */
export function voiceReport(call: CallRecord, options: { earlyMediaAsr: boolean }): Payload {
  const answered = call.answerAt != null;
  const duration = talkSeconds(call);
  return {
    call_id: call.callId,
    caller: call.calledShowNumber,
    callee: call.calledNumber,
    originate_time: chinaTimeOrEmpty(call.originateAt),
    ring_time: chinaTimeOrEmpty(call.ringAt),
    start_time: chinaTimeOrEmpty(call.answerAt),
    end_time: answered ? chinaTimeOrEmpty(call.endAt) : '',
    duration: String(duration),
    status_code: call.statusCode ?? '999999',
    smart_status_code: call.smartStatusCode ?? 'OTHER',
    status_msg: call.statusMsg ?? '',
    ...(options.earlyMediaAsr && { early_media_code: call.earlyMediaCode ?? '' }),
    hangup_direction: call.hangupDirection ?? '',
    out_id: call.outId ?? '',
    dtmf: call.dtmf ?? '',
    voice_type: 'voice',
    toll_type: 'UNKNOWN',
    b_originate_time: chinaTimeOrEmpty(call.originateAt),
    b_ring_time: chinaTimeOrEmpty(call.ringAt),
    b_start_time: chinaTimeOrEmpty(call.answerAt),
    b_end_time: chinaTimeOrEmpty(call.endAt),
    b_duration: duration,
  };
}

/** VoiceRecordReport: where the recording can be fetched (spec §5.4). */
export function voiceRecordReport(call: CallRecord, recordUrl: string): Payload {
  return {
    call_id: call.callId,
    start_time: chinaTimeOrEmpty(call.answerAt),
    end_time: call.answerAt != null ? chinaTimeOrEmpty(call.endAt) : '',
    duration: String(talkSeconds(call)),
    status_code: call.statusCode ?? '999999',
    smart_status_code: call.smartStatusCode ?? 'OTHER',
    record_file: recordUrl,
    out_id: call.outId ?? '',
    record_begin_time: chinaTimeOrEmpty(call.recordBeginAt),
  };
}
