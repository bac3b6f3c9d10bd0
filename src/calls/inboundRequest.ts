/**
 * An inbound smart call's settings (spec §4.7): the business's `answer` read as the SmartCall
 * request an outbound call would have had, so the same conversation runs it. What the answer leaves
 * out takes SmartCall's defaults, with SmartCall's ranges (PauseTime 300 … 1200 else 800, MuteTime
 * 1000 … 20000 else 10000, SessionTimeout ≤ 3600 s). Its `action_code` is the opening prompt.
 */
import type { AnswerAction, CallbackAction } from '../contract/callbackReply.js';
import {
  DEFAULT_MUTE_TIME,
  DEFAULT_PAUSE_TIME,
  MAX_SESSION_TIMEOUT,
  type SmartCallRequest,
} from '../contract/smartCallRequest.js';
import { DEFAULT_VOICE } from '../contract/ttsVoices.js';
import type { InboundNumbers } from './inboundNumbers.js';

/** The request of an inbound call; before the answer (no `answer`), every setting is a default. */
export function inboundRequest(
  numbers: InboundNumbers & { number: string },
  answer?: AnswerAction,
): SmartCallRequest {
  const a = answer;
  const pause = a?.pauseTime;
  const tts = a?.tts;
  return {
    calledShowNumber: numbers.caller,
    calledNumber: numbers.number,
    voiceCode: a?.actionCode ?? '',
    voiceCodeItems: [],
    voiceCodeParam: a?.actionCodeParam ?? {},
    recordFlag: a?.recordFlag ?? false,
    volume: 0,
    asrModelId: a?.asrModelId ?? null,
    asrBaseId: a?.asrBaseId ?? 'customer_service_8k',
    pauseTime: pause !== undefined && pause >= 300 && pause <= 1200 ? pause : DEFAULT_PAUSE_TIME,
    muteTime: a?.muteTime ?? DEFAULT_MUTE_TIME,
    actionCodeBreak: a?.actionCodeBreak ?? true,
    actionCodeTimeBreak: a?.actionCodeTimeBreak ?? 0,
    outId: null,
    dynamicId: a?.dynamicId ?? null,
    earlyMediaAsr: false,
    sessionTimeout: a?.sessionTimeout ?? MAX_SESSION_TIMEOUT,
    ttsConf: tts !== undefined,
    ttsStyle: tts?.style ?? DEFAULT_VOICE,
    ttsVolume: tts?.volume ?? 0,
    ttsSpeed: tts?.speed ?? 0,
    streamAsr: 0,
    backgroundFileCode: null,
    enableItn: false,
    inbound: { caller: numbers.caller, callee: numbers.callee, orgcallee: numbers.orgcallee },
    ignored: {},
  };
}

/** What the conversation does first: play the answer's `action_code`, or nothing (it listens). */
export function answerOpening(answer: AnswerAction): CallbackAction {
  if (!answer.actionCode) return { action: 'donothing' };
  return {
    action: 'play',
    actionCode: answer.actionCode,
    ...(answer.actionCodeParam && { actionCodeParam: answer.actionCodeParam }),
    actionBreak: true,
    actionCodeBreak: answer.actionCodeBreak,
    actionCodeTimeBreak: answer.actionCodeTimeBreak,
  };
}
