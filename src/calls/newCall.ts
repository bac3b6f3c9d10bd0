import type { CallRecord } from '../store/records.js';

export type NewCallFields = Pick<
  CallRecord,
  | 'callId'
  | 'accountId'
  | 'calledNumber'
  | 'calledShowNumber'
  | 'outId'
  | 'dynamicId'
  | 'request'
  | 'createdAt'
>;

/** An accepted call as it enters the queue: nothing has happened to it yet. */
export function newQueuedCall(fields: NewCallFields): CallRecord {
  return {
    ...fields,
    state: 'queued',
    originateAt: null,
    ringAt: null,
    answerAt: null,
    endAt: null,
    statusCode: null,
    smartStatusCode: null,
    statusMsg: null,
    hangupDirection: null,
    trunk: null,
    sipStatus: null,
    sipReason: null,
    dtmf: null,
    earlyMediaCode: null,
    recordPath: null,
    recordBeginAt: null,
  };
}
