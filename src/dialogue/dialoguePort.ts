/**
 * What the dialogue asks of the call around it (the `DialoguePort`) and the values that cross that
 * line: a media to play, why the call hangs up, what a callback decided. The engine only decides;
 * everything that touches audio, SIP or HTTP is behind this interface, so tests put a fake here.
 */

import type { CallbackContent } from '../contract/callbackContent.js';
import type { CallbackAction } from '../contract/callbackReply.js';

export interface TtsSettings {
  style?: string;
  volume?: number;
  speed?: number;
}

/** One thing to play: a whole VoiceCode / action_code, whose items play back to back. */
export interface PlayRequest {
  id: string;
  /** The VoiceCode / action_code text (`current_media_code` names the item of it that sounds). */
  code: string;
  params: Record<string, string>;
  breakable: boolean;
  /** Barge-in after this much continuous speech (0 = off). */
  timeBreakMs: number;
  purpose: 'prompt' | 'hangup' | 'dtmf';
  tts: TtsSettings | undefined;
}

export type HangupCause = 'business' | 'session-timeout' | 'callback-failure' | 'playback-failed';

export interface CallbackDecision {
  action: CallbackAction;
  /** Where the action came from: the business, the account's fallback, or the failure policy. */
  source: 'reply' | 'fallback' | 'policy';
}

/** A reply's ASR choice; a field left out keeps what the call uses. */
export interface RecognizerChoice {
  asrModelId?: string;
  asrBaseId?: string;
}

export interface DialoguePort {
  /** Start playing now (the engine plays one request at a time and says when to stop). */
  play(request: PlayRequest): void;
  /** Stop what plays, at once (barge-in). */
  stopPlayback(): void;
  hangup(cause: HangupCause): void;
  /** Posts a callback; resolves with what to do, the failure policy already applied. */
  callback(event: CallbackContent): Promise<CallbackDecision>;
  /** Blind transfer (spec §4.4 `transfer`): the robot leaves the call to `number`. */
  transfer(number: string): void;
  /** A second leg to a call centre while the robot keeps talking (`parallel_transfer`). */
  parallelTransfer(options: { ccName?: string; playFile?: string; isMonitor: boolean }): void;
  /** Bridges the callee with the parallel leg's agent (`parallel_bridge`); false if there is none. */
  parallelBridge(): boolean;
  /**
   * The code of the VoiceCode item of play `id` that sounds now (a voice file ID, a URL, `$var$`,
   * a template ID): `current_media_code` names the item, not the whole sequence.
   */
  playingItem(id: string): string | undefined;
  /** `record_flag` true: record the call from now on; `recordingStarted` follows once it does. */
  startRecording(): void;
  /** `asr_model_id` / `asr_base_id`: recognise the following sentences with this choice. */
  switchRecognizer(choice: RecognizerChoice): void;
}
