/**
 * The settings a reply may change for the rest of the call (spec §4.4 common fields) and that later
 * turns carry: MuteTime, `dynamic_id`, the TTS voice settings, and when the recording began. A reply's
 * `record_flag` and ASR choice are passed on to the port; `session_timeout` is the SessionLimit's.
 */

import type { ActionSettings } from '../contract/callbackReply.js';
import type { DialoguePort, TtsSettings } from './dialoguePort.js';

export interface ReplySettingsOptions {
  muteTimeMs: number;
  dynamicId: string | null;
  tts: TtsSettings | undefined;
  /** Recording start, when the call records from its answer. */
  recordBeginAt?: number;
}

export class ReplySettings {
  readonly #port: Pick<DialoguePort, 'startRecording' | 'switchRecognizer'>;
  #muteTimeMs: number;
  #dynamicId: string;
  #tts: TtsSettings | undefined;
  #recordBeginAt: number | undefined;

  constructor(
    options: ReplySettingsOptions,
    port: Pick<DialoguePort, 'startRecording' | 'switchRecognizer'>,
  ) {
    this.#port = port;
    this.#muteTimeMs = options.muteTimeMs;
    this.#dynamicId = options.dynamicId ?? '';
    this.#tts = options.tts;
    this.#recordBeginAt = options.recordBeginAt;
  }

  get muteTimeMs(): number {
    return this.#muteTimeMs;
  }

  get dynamicId(): string {
    return this.#dynamicId;
  }

  /** What the next media is spoken with (a media keeps the settings it was queued with). */
  get tts(): TtsSettings | undefined {
    return this.#tts;
  }

  /** `record_begin_time` of the callbacks, once a recording runs. */
  get recordBeginAt(): number | undefined {
    return this.#recordBeginAt;
  }

  /** A recording began (asked for by `record_flag`): the first start is the one reported. */
  recordingStarted(at: number): void {
    this.#recordBeginAt ??= at;
  }

  /** Takes a reply's settings; a field left out keeps its value. */
  apply(action: ActionSettings): void {
    if (action.muteTime !== undefined) this.#muteTimeMs = action.muteTime; // spec §3.1 #11: latest wins
    if (action.dynamicId !== undefined) this.#dynamicId = action.dynamicId;
    if (action.tts) this.#tts = { ...this.#tts, ...action.tts };
    // A call already recording records on: asking again starts nothing.
    if (action.recordFlag && this.#recordBeginAt === undefined) this.#port.startRecording();
    if (action.asrModelId !== undefined || action.asrBaseId !== undefined)
      this.#port.switchRecognizer({
        ...(action.asrModelId !== undefined && { asrModelId: action.asrModelId }),
        ...(action.asrBaseId !== undefined && { asrBaseId: action.asrBaseId }),
      });
  }
}
