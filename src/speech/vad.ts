/**
 * Voice activity detection, one 20 ms telephone frame at a time (160 samples at 8 kHz). A Vad keeps
 * whatever state it needs between frames (noise estimates, a model's hidden state); it does not
 * smooth over time: hangover and minimum-speech rules belong to the {@link Endpointer}.
 */
export interface Vad {
  /** Which detector this is, for logs and the health report. */
  readonly name: string;
  /** Probability at or above which a frame counts as speech. */
  readonly threshold: number;
  /** Speech probability (0–1) of one frame of 160 samples at 8 kHz. */
  process(frame: Int16Array): number;
  /** Forgets everything learnt about the current call (a new call reuses the detector). */
  reset(): void;
  /** Releases what the detector holds (native handles). */
  close(): void;
}

/** The frame decision the endpointer consumes. */
export function isSpeech(vad: Vad, frame: Int16Array): boolean {
  return vad.process(frame) >= vad.threshold;
}
