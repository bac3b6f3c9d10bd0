/**
 * Speech recognition as a stream: the call writes 8 kHz frames as they arrive and receives results
 * as events. Offsets are milliseconds from the first sample written to the stream (the caller adds
 * its own session offset for the callback's `begin_offset`/`end_offset`, spec §4.3).
 *
 * Engines that recognise one utterance at a time (the embedded phrase recognizer, offline models)
 * sit behind VAD segmentation ({@link SegmentedAsrStream}); streaming engines (NLS, FunASR, Vosk,
 * sherpa online models) implement the stream directly.
 */
import type { Logger } from '../observability/logger.js';

/** A recognised sentence; `partial` results may still change, `final` ones will not. */
export interface AsrResultEvent {
  type: 'partial' | 'final';
  text: string;
  beginMs: number;
  endMs: number;
  /** 0–1; engines without a score report 1 for finals they stand by. */
  confidence: number;
}

/**
 * Speech was heard but produced no answer: `no-match` (not on the phrase list, or below the
 * confidence bar), `timeout` (the engine did not answer in time), `error` (the engine failed).
 */
export interface AsrRejectedEvent {
  type: 'rejected';
  reason: 'no-match' | 'timeout' | 'error';
  beginMs: number;
  endMs: number;
  detail?: string;
  /**
   * The stream itself failed (connection lost, task failed, engine fell behind) and will report
   * nothing more: not a judgement on any sentence, so a call never reports it as one.
   */
  fatal?: true;
}

export type AsrEvent = AsrResultEvent | AsrRejectedEvent;

export interface AsrStreamOptions {
  onEvent: (event: AsrEvent) => void;
  /** End-of-sentence silence for engines segmented by our VAD (SmartCall PauseTime), ms. */
  pauseMs?: number;
  /**
   * EnableITN: engines that normalise numbers themselves (NLS, FunASR) do it only when true; the call
   * normalises the final text as well, so engines that cannot still give digits.
   */
  itn?: boolean;
  log?: Logger;
}

export interface AsrStream {
  /**
   * One frame of 8 kHz 16-bit mono samples (normally 160). Never blocks. `speech`: the caller's VAD
   * decision for this very frame, given only when the caller's detector is of the engine's kind and
   * has heard exactly the frames this stream has (the call's listener opened both together): a
   * stream segmented by our VAD then takes it instead of running a second detector on the frame.
   */
  write(frame: Int16Array, speech?: boolean): void;
  /**
   * Optional, for engines that take 16 kHz: the same tick's audio at 16 kHz (normally 320 samples),
   * offered instead of {@link write} while the call runs G.722. The caller writes each frame once,
   * by one method or the other. Never blocks.
   */
  writeWide?(frame: Int16Array): void;
  /** No more audio: resolves once every pending result has been emitted (bounded by timeouts). */
  finish(): Promise<void>;
  /** Abandons the stream now (call hung up); pending results are dropped. */
  close(): void;
  /**
   * The caller's own endpointer heard a sentence end (stream offsets, ms): an answer for it is due
   * within the engine's timeout, else it is `rejected` (`timeout`). Optional: streams that segment
   * the audio themselves bound their own recognitions.
   */
  sentenceEnded?(beginMs: number, endMs: number): void;
}

/** Something that can open recognition streams: one per engine configuration, shared by calls. */
export interface AsrEngine {
  readonly name: string;
  createStream(options: AsrStreamOptions): AsrStream;
  /** Releases warm decoders, sockets, native handles. */
  close(): Promise<void>;
}

/** An engine that hears one whole utterance and names what it heard (or null for no match). */
export interface UtteranceRecognizer {
  readonly name: string;
  recognize(samples: Int16Array, signal: AbortSignal): Promise<Recognition | null>;
  close(): Promise<void>;
}

export interface Recognition {
  text: string;
  confidence: number;
}
