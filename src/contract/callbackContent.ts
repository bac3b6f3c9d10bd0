/**
 * The callback's request side (spec §4.2, §4.3): what smartcall posts to the business for each
 * turn. String-typed fields stay strings, as in Alibaba's samples; `is_playing` and `is_monitor` are
 * JSON booleans and `record_begin_time` a number (spec §10 Q4).
 */

/**
 * What an utterance the recognizer rejects (off the phrase list, no answer in time) produces: a
 * `normal` callback with empty `words` (`callback`, the default: every utterance is a turn), or
 * nothing (`silent`: the business hears of it only through MuteTime). A per-account setting.
 */
export type UnrecognizedSpeech = 'callback' | 'silent';
export const UNRECOGNIZED_SPEECH: readonly UnrecognizedSpeech[] = ['callback', 'silent'];

export type ContentType = 'normal' | 'mute' | 'timebreak' | 'dtmf' | 'parallel_transfer' | 'callin';

export interface NormalContent {
  words: string;
  begin_offset: string;
  end_offset: string;
  begin_time: string;
  is_playing: boolean;
  current_media_code: string;
  dynamic_id: string;
  record_begin_time?: number;
  asr_begin_time: string;
  asr_end_time: string;
  play_begin_time: string;
  play_end_time: string;
  /** Spec §10 Q5: kept for receivers written against the 2019 revision. */
  role: 'B';
  identity: string;
  /**
   * smartcall extension (issue 16 item 4): answering-machine detection's decision, in the call's
   * first `normal` callback when the account has detection on.
   */
  amd_result?: 'human' | 'machine' | 'unknown';
}

export interface MuteContent {
  dynamic_id: string;
}

/** `dtmf_digits` when the callee pressed nothing before `dtmf_nonin_overtime` ran out. */
export const DTMF_NO_INPUT = 'noInputTimeout';

export interface DtmfContent {
  dynamic_id: string;
  /** Collected keys (a terminator included), or {@link DTMF_NO_INPUT}. */
  dtmf_digits: string;
}

export interface TimebreakContent {
  current_media_code: string;
  asr_begin_time: string;
  play_begin_time: string;
  dynamic_id: string;
}

export interface ParallelTransferContent {
  dynamic_id: string;
  transfer_status: 'success' | 'fail';
  fail_cause: string;
  is_monitor: boolean;
  cc_name: string;
}

/**
 * The first callback of an inbound call (spec §4.7): who calls, the number they reached, and the
 * number they originally dialled when the call was forwarded (the callee when it was not).
 */
export interface CallinContent {
  caller: string;
  callee: string;
  orgcallee: string;
}

export type CallbackContent =
  | { type: 'normal'; content: NormalContent }
  | { type: 'mute'; content: MuteContent }
  | { type: 'dtmf'; content: DtmfContent }
  | { type: 'timebreak'; content: TimebreakContent }
  | { type: 'parallel_transfer'; content: ParallelTransferContent }
  | { type: 'callin'; content: CallinContent };

export interface CallbackRequest {
  callId: string;
  /** Epoch milliseconds. */
  timestamp: number;
  event: CallbackContent;
}

/** The four parameters, URL-encoded as they go on the wire (query string or form body). */
export function encodeCallbackParams(req: CallbackRequest): string {
  return new URLSearchParams({
    call_id: req.callId,
    timestamp: String(req.timestamp),
    content_type: req.event.type,
    content: JSON.stringify(req.event.content),
  }).toString();
}
