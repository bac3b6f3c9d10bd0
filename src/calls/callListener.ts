/**
 * What a call and the speech layer say to each other: the call pushes the callee's audio into a
 * `CallListener`, the listener reports the callee's voice through `ListenerEvents`. The call makes
 * one listener for early media (operator announcements) and one for the conversation; each is
 * closed by whoever made it. `speechBridge.ts` implements the factory.
 */
import type { Logger } from '../observability/logger.js';

/** What the speech layer tells a call about the callee's voice. */
export interface ListenerEvents {
  speechStarted(at: number): void;
  /** The endpointer decided the sentence is over (its recognition follows). */
  sentenceEnded?(at: number): void;
  /** Continuous speech so far (for time-based barge-in), called as it grows. */
  speechContinuing(durationMs: number, at: number): void;
  /** A sentence ended (PauseTime of silence); `words` undefined when nothing on the list matched. */
  speechEnded(at: number, result: { words: string | undefined; beginAt: number; endAt: number }): void;
}

/** The callee's audio for one call, frame by frame (8 kHz, 20 ms). */
export interface CallListener {
  push(pcm: Int16Array, at: number): void;
  /**
   * Optional: the same tick at 16 kHz (320 samples), given just before its `push` while the call
   * runs G.722, for a recognizer that takes 16 kHz (`AsrStream.writeWide`).
   */
  pushWide?(pcm: Int16Array, at: number): void;
  /** No more audio: the last sentence is recognised and reported (bounded in time). */
  finish(): Promise<void>;
  /**
   * A callback reply's `asr_model_id` / `asr_base_id`: the following sentences go to the recognizer
   * so chosen (a field left out keeps the current one; an unknown model keeps the current one too).
   */
  switchRecognizer?(choice: { asrModelId?: string; asrBaseId?: string }): void;
  close(): void;
}

export type ListenerFactory = (options: {
  accountId: number;
  /** The account's name: per-account speech engines are configured by it. */
  accountName: string;
  asrBaseId: string;
  asrModelId: string | null;
  pauseTimeMs: number;
  /** EnableITN: spoken numbers in `words` become digits (default false). */
  itn?: boolean;
  /**
   * Phrases to expect beside the base model's (a dialog script's intents): the embedded recogniser
   * adds them to its grammar, a remote engine takes them as hot words. Ignored with an ASR model.
   */
  phrases?: readonly string[];
  events: ListenerEvents;
  log: Logger;
}) => CallListener;
