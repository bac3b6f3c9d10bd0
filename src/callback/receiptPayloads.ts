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
    ...(call.parallelLegHangupCause != null && { parallel_leg_hangup_cause: call.parallelLegHangupCause }),
    ...dialogIdOf(call),
    ...amdOf(call),
  };
}

/** `amd_result` (smartcall extension): answering-machine detection, when the account has it on. */
function amdOf(call: CallRecord): { amd_result?: string } {
  if (!call.amd) return {};
  try {
    const result = (JSON.parse(call.amd) as { result?: unknown }).result;
    return typeof result === 'string' ? { amd_result: result } : {};
  } catch {
    return {};
  }
}

/** `dialog_id` (spec §5.3): the call's DialogId, when a dialog script ran it. */
function dialogIdOf(call: CallRecord): { dialog_id?: string } {
  if (!call.request.includes('"dialog"')) return {};
  try {
    const id = (JSON.parse(call.request) as { dialog?: { id?: unknown } }).dialog?.id;
    return typeof id === 'string' ? { dialog_id: id } : {};
  } catch {
    return {};
  }
}

/** A transfer or parallel (call-centre) leg of a call, as its VoiceReport tells it. */
export interface SecondLegReport {
  /** 1, 2, …: the order in which the call placed its second legs (part of the receipt id). */
  index: number;
  kind: 'transfer' | 'parallel';
  /** The number the leg dialled. */
  callee: string;
  originateAt: number;
  ringAt: number | null;
  answerAt: number | null;
  endAt: number;
  statusCode: string;
  smartStatusCode: string;
  statusMsg: string;
  /** `""` when the leg was never answered. */
  hangupDirection: string;
}

/**
 * VoiceReport of a second leg (spec §5.3, `voice_type` `smart_transfer`): the smart call's
 * `call_id` and `out_id`, so the receiver joins it to the call; the leg's numbers (shown as the
 * call's display number), times, talk seconds and result.
 */
export function secondLegReport(call: CallRecord, leg: SecondLegReport): Payload {
  const answered = leg.answerAt != null;
  const duration = answered ? Math.round((leg.endAt - leg.answerAt!) / 1000) : 0;
  return {
    call_id: call.callId,
    caller: call.calledShowNumber,
    callee: leg.callee,
    originate_time: chinaTimeOrEmpty(leg.originateAt),
    ring_time: chinaTimeOrEmpty(leg.ringAt),
    start_time: chinaTimeOrEmpty(leg.answerAt),
    end_time: answered ? chinaTimeOrEmpty(leg.endAt) : '',
    duration: String(duration),
    status_code: leg.statusCode,
    smart_status_code: leg.smartStatusCode,
    status_msg: leg.statusMsg,
    hangup_direction: leg.hangupDirection,
    out_id: call.outId ?? '',
    dtmf: '',
    voice_type: 'smart_transfer',
    toll_type: 'UNKNOWN',
    b_originate_time: chinaTimeOrEmpty(leg.originateAt),
    b_ring_time: chinaTimeOrEmpty(leg.ringAt),
    b_start_time: chinaTimeOrEmpty(leg.answerAt),
    b_end_time: chinaTimeOrEmpty(leg.endAt),
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
