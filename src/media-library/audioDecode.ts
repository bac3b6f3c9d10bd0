/**
 * A downloaded prompt file to telephony audio (mono 16-bit at 8 kHz): WAV (anything wavReader
 * reads) or MP3 (mp3Decoder), at any rate and channel count (channels averaged, then resampled).
 * The bytes decide the format; the Content-Type and the URL only break a tie.
 */
import { resample } from '../media/resampler.js';
import { readWav } from '../media/wavReader.js';
import type { DecodedPcm, Mp3Decode } from './mp3Decoder.js';

export type AudioFormat = 'wav' | 'mp3';

export function sniffFormat(bytes: Uint8Array, contentType = '', url = ''): AudioFormat | undefined {
  const head = Buffer.from(bytes.subarray(0, 4)).toString('latin1');
  if (head === 'RIFF' || head === 'RIFX' || head === 'RF64') return 'wav';
  if (head.startsWith('ID3')) return 'mp3';
  // An MPEG audio frame header: 11 sync bits.
  if (bytes.length > 1 && bytes[0] === 0xff && (bytes[1]! & 0xe0) === 0xe0) return 'mp3';
  if (/audio\/(mpeg|mp3)/i.test(contentType) || /\.mp3($|\?)/i.test(url)) return 'mp3';
  if (/audio\/(x-)?wav/i.test(contentType) || /\.wav($|\?)/i.test(url)) return 'wav';
  return undefined;
}

/** Throws Error with a reason a person can act on. */
export async function decodeTelephony(
  bytes: Uint8Array,
  mp3: () => Promise<Mp3Decode>,
  contentType?: string,
  url?: string,
): Promise<Int16Array> {
  const format = sniffFormat(bytes, contentType, url);
  if (format === 'wav') {
    const audio = readWav(bytes);
    return audio.sampleRate === 8000 ? audio.samples : resample(audio.samples, audio.sampleRate, 8000);
  }
  if (format === 'mp3') {
    const pcm = await (await mp3())(bytes);
    const mono = downmix(pcm);
    return pcm.sampleRate === 8000 ? mono : resample(mono, pcm.sampleRate, 8000);
  }
  throw new Error(`neither WAV nor MP3${contentType ? ` (Content-Type ${contentType})` : ''}`);
}

function downmix({ channels }: DecodedPcm): Int16Array {
  const n = channels[0]?.length ?? 0;
  const out = new Int16Array(n);
  for (let i = 0; i < n; i++) {
    let sum = 0;
    for (const c of channels) sum += c[i] ?? 0;
    const v = (sum / channels.length) * 32767;
    out[i] = v > 32767 ? 32767 : v < -32768 ? -32768 : Math.round(v);
  }
  return out;
}
