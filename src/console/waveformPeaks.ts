/**
 * A recording's waveform for the call detail: per channel, the lowest and highest sample of each
 * of `buckets` equal slices of the file, scaled to −127 … 127. Computed on the server from the WAV
 * the CallRecorder wrote (16-bit PCM, one or two channels), so the browser draws a few kilobytes
 * instead of decoding the whole file. A header whose data size is 0 or runs past the end (a
 * recorder that died mid-call) is read as "up to the end of the file".
 */
import { open } from 'node:fs/promises';

export interface Waveform {
  sampleRate: number;
  channels: number;
  durationMs: number;
  /** One array per channel: min, max, min, max … (2 × buckets values, −127 … 127). */
  peaks: number[][];
}

export class WaveformError extends Error {
  override name = 'WaveformError';
}

/** Where the samples are in a RIFF/WAVE file and what they are. */
function layout(bytes: Buffer): { offset: number; length: number; channels: number; sampleRate: number } {
  if (
    bytes.length < 12 ||
    bytes.toString('ascii', 0, 4) !== 'RIFF' ||
    bytes.toString('ascii', 8, 12) !== 'WAVE'
  )
    throw new WaveformError('not a WAV file');
  let pos = 12;
  let fmt: { channels: number; sampleRate: number } | undefined;
  while (pos + 8 <= bytes.length) {
    const id = bytes.toString('ascii', pos, pos + 4);
    const size = bytes.readUInt32LE(pos + 4);
    const body = pos + 8;
    if (id === 'fmt ') {
      const format = bytes.readUInt16LE(body);
      const bits = bytes.readUInt16LE(body + 14);
      // 0xFFFE (extensible) carries PCM too; anything else is not what the recorder writes.
      if ((format !== 1 && format !== 0xfffe) || bits !== 16)
        throw new WaveformError(`only 16-bit PCM is drawn (format ${format}, ${bits} bits)`);
      fmt = { channels: bytes.readUInt16LE(body + 2), sampleRate: bytes.readUInt32LE(body + 4) };
      if (fmt.channels < 1 || fmt.channels > 8 || fmt.sampleRate < 1)
        throw new WaveformError('bad fmt chunk');
    } else if (id === 'data') {
      if (!fmt) throw new WaveformError('data before fmt');
      const rest = bytes.length - body;
      const length = size === 0 || size > rest ? rest : size;
      return { offset: body, length, ...fmt };
    }
    pos = body + size + (size % 2);
  }
  throw new WaveformError('no data chunk');
}

/** The waveform of WAV bytes in `buckets` slices per channel. */
export function waveformOf(bytes: Buffer, buckets: number): Waveform {
  const { offset, length, channels, sampleRate } = layout(bytes);
  const frameBytes = channels * 2;
  const frames = Math.floor(length / frameBytes);
  const n = Math.max(1, Math.min(buckets, frames));
  const peaks = Array.from({ length: channels }, () => new Array<number>(2 * n).fill(0));
  for (let b = 0; b < n; b++) {
    const from = Math.floor((b * frames) / n);
    const to = Math.floor(((b + 1) * frames) / n);
    for (let c = 0; c < channels; c++) {
      let lo = 0;
      let hi = 0;
      for (let f = from; f < to; f++) {
        const s = bytes.readInt16LE(offset + f * frameBytes + c * 2);
        if (s < lo) lo = s;
        else if (s > hi) hi = s;
      }
      const row = peaks[c]!;
      row[2 * b] = Math.round((lo / 32768) * 127);
      row[2 * b + 1] = Math.round((hi / 32767) * 127);
    }
  }
  return { sampleRate, channels, durationMs: Math.round((frames / sampleRate) * 1000), peaks };
}

/** Recordings above this are not drawn (an hour of 16 kHz stereo is 230 MB). */
export const MAX_WAVEFORM_BYTES = 256 * 1024 * 1024;

export async function waveformOfFile(path: string, buckets: number): Promise<Waveform> {
  const file = await open(path, 'r');
  try {
    const { size } = await file.stat();
    if (size > MAX_WAVEFORM_BYTES)
      throw new WaveformError(`the recording is too large to draw (${size} bytes)`);
    const bytes = Buffer.alloc(size);
    await file.read(bytes, 0, size, 0);
    return waveformOf(bytes, buckets);
  } finally {
    await file.close();
  }
}
