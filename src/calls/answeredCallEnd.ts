/**
 * The end of an answered call, outbound or inbound alike: the conversation and its second legs are
 * closed, and the call's final patch says how it ended (a prompt that failed to play, or a
 * hang-up during a prompt) and who hung up, with the last `dynamic_id`.
 */
import type { Logger } from '../observability/logger.js';
import type { EndedBy } from '../sip/index.js';
import type { CallPatch } from '../store/repositories.js';
import { answeredResult, HANGUP_DIRECTION, playbackFailedResult } from './callOutcome.js';
import type { Conversation } from './conversation.js';
import { quietly } from './quietly.js';
import type { SecondLegs } from './secondLegs.js';

export interface AnsweredCallParts {
  conversation: Conversation | undefined;
  legs: SecondLegs | undefined;
  /** A prompt was playing when the far end hung up. */
  playingAtEnd: boolean;
  log: Logger;
}

export function endAnsweredCall(by: EndedBy, reason: string, parts: AnsweredCallParts): CallPatch {
  const { conversation, log } = parts;
  conversation?.close();
  quietly(log, 'ending the second legs', () => parts.legs?.close());
  const failure = conversation?.playbackFailure;
  const result = failure
    ? playbackFailedResult(`${failure.code} ${failure.name}`)
    : answeredResult(by === 'remote' && parts.playingAtEnd);
  log.info({ by, reason, cause: conversation?.hangupCause, status: result.statusCode }, 'call ended');
  const dynamicId = conversation?.dynamicId;
  return {
    state: 'ended',
    ...result,
    hangupDirection: by === 'remote' ? HANGUP_DIRECTION.user : HANGUP_DIRECTION.machine,
    ...(dynamicId !== undefined && { dynamicId: dynamicId || null }),
  };
}
