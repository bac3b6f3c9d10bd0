/**
 * 16-bit PCM WAV writing (RIFF/WAVE, format tag 1): a whole file from channel arrays, or just the
 * 44-byte header for writers that stream the data (CallRecorder).
 */
import { writeFile } from 'node:fs/promises';

export const WAV_HEADER_BYTES = 44;

/** Placeholder size for a header written before the data length is known (see CallRecorder). */
export const WAV_UNKNOWN_SIZE = 0xffffffff;

if (new Uint8Array(new Uint16Array([1]).buffer)[0] !== 1) {
  // Int16Array views are used to lay out WAV (little-endian) samples.
  throw new Error('smartcall media requires a little-endian host');
}

/** A canonical 44-byte header; `dataBytes` = WAV_UNKNOWN_SIZE writes the streaming placeholder. */
export function wavHeader(sampleRate: number, channels: number, dataBytes: number): Buffer {
  const h = Buffer.alloc(WAV_HEADER_BYTES);
  const blockAlign = channels * 2;
  h.write('RIFF', 0, 'ascii');
  h.writeUInt32LE(
    dataBytes === WAV_UNKNOWN_SIZE ? WAV_UNKNOWN_SIZE : Math.min(WAV_UNKNOWN_SIZE, 36 + dataBytes),
    4,
  );
  h.write('WAVE', 8, 'ascii');
  h.write('fmt ', 12, 'ascii');
  h.writeUInt32LE(16, 16);
  h.writeUInt16LE(1, 20); // WAVE_FORMAT_PCM
  h.writeUInt16LE(channels, 22);
  h.writeUInt32LE(sampleRate, 24);
  h.writeUInt32LE(sampleRate * blockAlign, 28);
  h.writeUInt16LE(blockAlign, 32);
  h.writeUInt16LE(16, 34);
  h.write('data', 36, 'ascii');
  h.writeUInt32LE(dataBytes, 40);
  return h;
}

/** A complete WAV file: one Int16Array per channel (equal lengths), interleaved on the way out. */
export function encodeWav(channels: readonly Int16Array[], sampleRate: number): Buffer {
  const n = channels.length;
  if (n < 1 || n > 8) throw new RangeError(`WAV channel count ${n} not supported`);
  const frames = channels[0]!.length;
  if (channels.some((c) => c.length !== frames)) throw new RangeError('WAV channels differ in length');
  const dataBytes = frames * n * 2;
  const out = Buffer.alloc(WAV_HEADER_BYTES + dataBytes);
  wavHeader(sampleRate, n, dataBytes).copy(out, 0);
  const samples = new Int16Array(out.buffer, out.byteOffset + WAV_HEADER_BYTES, frames * n);
  for (let c = 0; c < n; c++) {
    const ch = channels[c]!;
    for (let i = 0; i < frames; i++) samples[i * n + c] = ch[i]!;
  }
  return out;
}

export async function writeWavFile(
  path: string,
  channels: readonly Int16Array[],
  sampleRate: number,
): Promise<void> {
  await writeFile(path, encodeWav(channels, sampleRate));
}
