/**
 * How a call's end maps to the codes of spec §5.5: `status_code` (carrier result, also the `state`
 * of QueryCallDetailByCallId), `smart_status_code`, and the hang-up direction of the VoiceReport.
 */
import type { CallFailure } from '../sip/index.js';

export interface CallResult {
  statusCode: string;
  smartStatusCode: string;
  statusMsg: string;
}

/** Why a call that was never answered ended. */
export type UnansweredEnd =
  | { kind: 'sip-final'; status: number; reason: string }
  | { kind: 'ring-timeout' }
  | { kind: 'no-response' }
  | { kind: 'cancelled' }
  | { kind: 'transport-error'; detail: string }
  | { kind: 'auth-failed' };

const result = (statusCode: string, smartStatusCode: string, statusMsg: string): CallResult => ({
  statusCode,
  smartStatusCode,
  statusMsg,
});

/** Maps a failed or unanswered attempt (SIP final response, our timeout, ...) to spec codes. */
export function unansweredResult(end: UnansweredEnd): CallResult {
  switch (end.kind) {
    case 'ring-timeout':
      return result('200003', 'NO_ANSWER', '振铃未接听');
    case 'cancelled':
      return result('200003', 'CANCEL', '主叫取消');
    case 'no-response':
      return result('200005', 'NETWORK_BUSY', '无法接通: 对端无响应');
    case 'transport-error':
      return result('500', 'NETWORK_BUSY', `运营商错误: ${end.detail}`);
    case 'auth-failed':
      return result('999999', 'OPERATOR_BLOCK', '中继鉴权失败');
    case 'sip-final':
      return sipFinalResult(end.status, end.reason);
  }
}

function sipFinalResult(status: number, reason: string): CallResult {
  const why = `${status} ${reason}`;
  switch (status) {
    case 486:
    case 600:
      return result('200002', 'USER_BUSY', `用户忙 (${why})`);
    case 404:
    case 410:
    case 484:
    case 604:
      return result('200004', 'INVALID_NUMBER', `空号 (${why})`);
    case 480:
      return result('200005', 'UNAVAILABLE', `无法接通 (${why})`);
    case 403:
    case 603:
      return result('200005', 'CALL_REJECTED', `拒接 (${why})`);
    case 408:
      return result('200003', 'NO_ANSWER', `振铃未接听 (${why})`);
    case 487:
      return result('200003', 'CANCEL', `呼叫取消 (${why})`);
    case 401:
    case 407:
      return result('999999', 'OPERATOR_BLOCK', `中继鉴权失败 (${why})`);
    default:
      if (status >= 500) return result('500', 'NETWORK_BUSY', `运营商错误 (${why})`);
      return result('200005', 'OTHER', `无法接通 (${why})`);
  }
}

/**
 * A call the carrier never answered, from the SIP failure; an operator announcement recognised in
 * its early media (`earlyMediaCode`) says more precisely why (spec §5.5.3).
 */
export function failedCallResult(cause: CallFailure, earlyMediaCode?: string): CallResult {
  const result = unansweredResult(
    cause.code === 'timeout' && cause.status !== 408
      ? { kind: 'ring-timeout' }
      : cause.code === 'timeout'
        ? { kind: 'no-response' }
        : cause.code === 'auth-failed'
          ? { kind: 'auth-failed' }
          : cause.code === 'transport-error' || cause.code === 'bad-target'
            ? { kind: 'transport-error', detail: cause.reason }
            : { kind: 'sip-final', status: cause.status, reason: cause.reason },
  );
  const smart = earlyMediaCode && EARLY_MEDIA_SMART_STATUS[earlyMediaCode];
  return smart ? { ...result, smartStatusCode: smart } : result;
}

/** A call that ended inside the platform before (or instead of) reaching the carrier. */
export function internalFailureResult(why: string): CallResult {
  return result('999999', 'OTHER', why);
}

/** An answered call: 200000 normal end, or 200001 when the callee hung up during a prompt. */
export function answeredResult(hungUpDuringPrompt: boolean): CallResult {
  return hungUpDuringPrompt
    ? result('200001', 'ANSWERED', '用户未听完挂断')
    : result('200000', 'ANSWERED', '执行完成');
}

/**
 * An answered call that ended because a prompt item could not be played (spec §5.5.2 `200006`);
 * `what` names the item and why, so the business can tell which file to fix.
 */
export function playbackFailedResult(what: string): CallResult {
  return result('200006', 'ANSWERED', `放音失败: ${what}`);
}

/** Spec §10 Q19: the Chinese service's values. */
export const HANGUP_DIRECTION = { user: '用户', machine: '机器' } as const;

/**
 * Early-media recognition (spec §5.5.3): what an operator announcement says about why the call
 * failed, from the words recognised in it.
 */
export function earlyMediaCode(words: string): string | undefined {
  const w = words.toLowerCase();
  if (/关机|powered off|switched off/.test(w)) return '200010';
  if (/停机|欠费|suspended/.test(w)) return '200011';
  if (/空号|不存在|not in service|does not exist|invalid number/.test(w)) return '200004';
  if (/正忙|忙线|busy/.test(w)) return '200002';
  if (/服务区|out of (the )?service area|not reachable/.test(w)) return '200007';
  if (/无法接通|暂时无法|unavailable|cannot be reached/.test(w)) return '200005';
  if (/无人接听|no answer/.test(w)) return '200003';
  if (/呼入限制|限制|restricted|barred/.test(w)) return '200012';
  return words.trim() ? '200130' : undefined;
}

/** The smart status an early-media code implies. */
export const EARLY_MEDIA_SMART_STATUS: Record<string, string> = {
  '200010': 'POWERED_OFF',
  '200011': 'SUSPEND',
  '200004': 'INVALID_NUMBER',
  '200002': 'USER_BUSY',
  '200007': 'NO_USER_RESPONDING',
  '200005': 'UNAVAILABLE',
  '200003': 'NO_ANSWER',
  '200012': 'INCOMING_CALL_BARRED',
  '200130': 'OTHER',
};
