/**
 * WAV reading for prompts and uploads: any format `wavefile` understands (8/16/24/32-bit integer
 * PCM, 32/64-bit float, µ-law, A-law, IMA ADPCM; RIFF, RIFX, RF64; any rate, any channel count),
 * returned as mono 16-bit PCM at the file's own rate (channels averaged) plus what the file was.
 *
 * Files from a streaming writer that died before patching its header (our CallRecorder, or any
 * recorder) carry a data size of 0 or 0xFFFFFFFF; the size is repaired to what the file holds
 * before parsing.
 */
import { readFile } from 'node:fs/promises';
import wavefile from 'wavefile';

export interface WavAudio {
  /** Mono samples at {@link sampleRate}. */
  samples: Int16Array;
  sampleRate: number;
  /** Channels in the file (they were averaged into {@link samples}). */
  channels: number;
  /** wavefile's bit-depth code as found: '8', '16', '24', '32', '32f', '64', '8m' (µ-law), '8a' (A-law), '4' (IMA ADPCM). */
  bitDepth: string;
  /** The fmt chunk's format tag (1 PCM, 3 float, 6 A-law, 7 µ-law, 17 IMA ADPCM, 0xFFFE extensible). */
  formatTag: number;
  durationMs: number;
}

/** Thrown for bytes that are not a readable WAV file. */
export class WavFormatError extends Error {
  readonly code = 'WAV_FORMAT';
  constructor(message: string) {
    super(message);
    this.name = 'WavFormatError';
  }
}

export async function readWavFile(path: string): Promise<WavAudio> {
  return readWav(await readFile(path));
}

export function readWav(bytes: Uint8Array): WavAudio {
  const fixed = repairDataSize(bytes);
  let wav: InstanceType<typeof wavefile.WaveFile>;
  try {
    wav = new wavefile.WaveFile(fixed);
  } catch (err) {
    throw new WavFormatError(`not a readable WAV file: ${(err as Error).message}`);
  }
  // Copy the format out now: wavefile rebuilds its fmt chunk object when converting.
  const { numChannels, sampleRate, audioFormat } = wav.fmt as {
    numChannels: number;
    sampleRate: number;
    audioFormat: number;
  };
  const bitDepth = wav.bitDepth;
  try {
    if (bitDepth === '8m') wav.fromMuLaw('16');
    else if (bitDepth === '8a') wav.fromALaw('16');
    else if (bitDepth === '4') wav.fromIMAADPCM('16');
    if (wav.bitDepth !== '16') wav.toBitDepth('16');
  } catch (err) {
    throw new WavFormatError(`unsupported WAV encoding (bit depth ${bitDepth}): ${(err as Error).message}`);
  }
  const raw = wav.getSamples(false, Int16Array) as unknown as Int16Array | Int16Array[];
  const channels = Array.isArray(raw) ? raw : [raw];
  const samples = channels.length === 1 ? channels[0]! : downmix(channels);
  if (!sampleRate) throw new WavFormatError('WAV file declares a sample rate of 0');
  return {
    samples,
    sampleRate,
    channels: numChannels,
    bitDepth,
    formatTag: audioFormat,
    durationMs: (samples.length * 1000) / sampleRate,
  };
}

function downmix(channels: Int16Array[]): Int16Array {
  const n = channels.length;
  const length = channels[0]!.length;
  const out = new Int16Array(length);
  for (let i = 0; i < length; i++) {
    let sum = 0;
    for (let c = 0; c < n; c++) sum += channels[c]![i]!;
    out[i] = Math.round(sum / n);
  }
  return out;
}

/**
 * Returns `bytes`, or a copy whose RIFF and data sizes match the file when the data size is 0 or
 * runs past the end (an unpatched streaming header). Only little-endian RIFF is repaired.
 */
function repairDataSize(bytes: Uint8Array): Uint8Array {
  if (bytes.length < 12) return bytes;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (ascii(bytes, 0) !== 'RIFF' || ascii(bytes, 8) !== 'WAVE') return bytes;
  let at = 12;
  let blockAlign = 1;
  while (at + 8 <= bytes.length) {
    const id = ascii(bytes, at);
    const size = view.getUint32(at + 4, true);
    if (id === 'fmt ' && at + 22 <= bytes.length) blockAlign = Math.max(1, view.getUint16(at + 20, true));
    if (id === 'data') {
      const available = bytes.length - (at + 8);
      if (size !== 0 && size <= available) return bytes;
      const fixedSize = available - (available % blockAlign);
      const copy = Uint8Array.from(bytes.subarray(0, at + 8 + fixedSize));
      const out = new DataView(copy.buffer);
      out.setUint32(at + 4, fixedSize, true);
      out.setUint32(4, copy.length - 8, true);
      return copy;
    }
    at += 8 + size + (size % 2);
  }
  return bytes;
}

function ascii(b: Uint8Array, at: number): string {
  return String.fromCharCode(b[at]!, b[at + 1]!, b[at + 2]!, b[at + 3]!);
}
