/**
 * The status codes of spec §5.5 and where a call's current state maps to them.
 */
import type { CallRecord, CallState } from '../store/records.js';

/** Intermediate states (VoiceCallReport, spec §5.5.1). */
export const CALL_PROGRESS = {
  calling: '200101',
  ringing: '200201',
  answered: '200102',
  ended: '200100',
  dtmf: '300000',
} as const;

/** Result codes (spec §5.5.2) with their meaning, used as `stateDesc` / `status_msg`. */
export const RESULT_CODE_TEXT: Record<string, string> = {
  '200000': '执行完成',
  '200001': '用户未听完挂断',
  '200002': '用户忙',
  '200003': '振铃未接听',
  '200004': '空号',
  '200005': '无法接通',
  '200006': '放音失败',
  '200007': '不在服务区',
  '200008': '收号超时',
  '200010': '关机',
  '200011': '停机',
  '200100': '通话结束',
  '200101': '呼叫中',
  '200102': '已接听',
  '200201': '振铃中',
  '9996': '呼叫未建立或已结束',
  '999999': '系统错误',
  '500': '运营商错误',
  '400': '网元忙',
  '482': '被叫号码不可用',
};

/** For a call still in progress, the intermediate code of where it is. */
const PROGRESS_OF_STATE: Partial<Record<CallState, string>> = {
  queued: CALL_PROGRESS.calling,
  dialing: CALL_PROGRESS.calling,
  ringing: CALL_PROGRESS.ringing,
  early_media: CALL_PROGRESS.ringing,
  answered: CALL_PROGRESS.answered,
};

/** The code `QueryCallDetailByCallId` reports: the result when the call ended, else its progress. */
export function currentStateCode(call: CallRecord): string {
  return call.statusCode ?? PROGRESS_OF_STATE[call.state] ?? '999999';
}

export function describeCode(code: string): string {
  return RESULT_CODE_TEXT[code] ?? code;
}
