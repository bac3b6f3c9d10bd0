/**
 * Text to speech as a stream of 8 kHz 16-bit mono PCM chunks, ready for the playout: the first
 * chunk comes as soon as the first sentence is synthesised, so playback starts before a long
 * prompt is finished.
 */
export interface TtsRequest {
  text: string;
  /** A SmartCall voice name (`TtsStyle`, e.g. xiaoyun); the engine's default when absent. */
  voice?: string;
  /** SmartCall `TtsVolume` 0–100; 0 means the engine's default loudness. */
  volume?: number;
  /** SmartCall `TtsSpeed` −200…200; 0 is normal speed. */
  speed?: number;
  signal?: AbortSignal;
}

export interface Tts {
  readonly name: string;
  synthesize(request: TtsRequest): AsyncIterable<Int16Array>;
  close(): Promise<void>;
}

/** TtsSpeed → speaking-rate factor, on Alibaba's curve for speech_rate (0.8× at −200, 1.25× at 200). */
export function speedFactor(speed = 0): number {
  const s = Math.max(-200, Math.min(200, speed));
  return s >= 0 ? 1 / (1 - s / 1000) : 1 + s / 1000;
}

/** TtsVolume → linear gain: 50 is the engine's own level, 100 is +6 dB, 0 means default. */
export function volumeGain(volume = 0): number {
  if (!volume) return 1;
  return Math.max(0, Math.min(100, volume)) / 50;
}

/** Splits text where a pause is natural, so each piece can be synthesised and played in turn. */
export function splitSentences(text: string, maxChars = 60): string[] {
  const pieces = text
    .replace(/\s+/g, ' ')
    .split(/(?<=[。！？!?；;…\n]|[.](?=\s))/u)
    .map((s) => s.trim())
    .filter(Boolean);
  const out: string[] = [];
  for (const piece of pieces) {
    if ([...piece].length <= maxChars) {
      out.push(piece);
      continue;
    }
    // Long sentences break at commas so the first audio does not wait for the whole sentence.
    let current = '';
    for (const part of piece.split(/(?<=[，,、：:])/u)) {
      if (current && [...current].length + [...part].length > maxChars) {
        out.push(current.trim());
        current = '';
      }
      current += part;
    }
    if (current.trim()) out.push(current.trim());
  }
  return out;
}
