/**
 * MP3 decoding through `mpg123-decoder` (libmpg123 compiled to WebAssembly, MIT, maintained with
 * wasm-audio-decoders): no native build, any MPEG-1/2/2.5 layer I–III rate and channel count.
 * The package (and its WebAssembly) is loaded on the first MP3 only: most installations play WAV
 * and never pay for it.
 */

/** Decoded audio: one Float32Array per channel (−1…1) at `sampleRate`. */
export interface DecodedPcm {
  channels: Float32Array[];
  sampleRate: number;
}

export type Mp3Decode = (bytes: Uint8Array) => Promise<DecodedPcm>;

/** The part of mpg123-decoder's API used here (its types.d.ts). */
export interface Mpg123Module {
  MPEGDecoder: new () => {
    ready: Promise<void>;
    decode(data: Uint8Array): {
      channelData: Float32Array[];
      samplesDecoded: number;
      sampleRate: number;
      errors: { message: string }[];
    };
    free(): void;
  };
}

/** Fed in slices so a long file does not hold the event loop (and the RTP tick) for long. */
const SLICE = 64 * 1024;

export function mp3DecoderFrom(mod: Mpg123Module): Mp3Decode {
  return async (bytes) => {
    const decoder = new mod.MPEGDecoder();
    try {
      await decoder.ready;
      const parts: Float32Array[][] = [];
      let sampleRate = 0;
      let errors = 0;
      for (let at = 0; at < bytes.length; at += SLICE) {
        const out = decoder.decode(bytes.subarray(at, at + SLICE));
        errors += out.errors.length;
        if (out.samplesDecoded > 0) {
          sampleRate = out.sampleRate;
          parts.push(out.channelData.map((c) => c.slice(0, out.samplesDecoded)));
        }
        await new Promise<void>((resolve) => setImmediate(resolve));
      }
      if (!parts.length || !sampleRate)
        throw new Error(errors ? `not decodable as MP3 (${errors} bad frames)` : 'no MP3 frames');
      const count = Math.max(...parts.map((p) => p.length));
      const channels = Array.from({ length: count }, (_, c) => concat(parts.map((p) => p[c] ?? p[0]!)));
      return { channels, sampleRate };
    } finally {
      decoder.free();
    }
  };
}

function concat(chunks: Float32Array[]): Float32Array {
  const out = new Float32Array(chunks.reduce((n, c) => n + c.length, 0));
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}

let loaded: Promise<Mp3Decode> | undefined;

/** The decoder, loaded on first use. */
export function loadMp3Decoder(): Promise<Mp3Decode> {
  loaded ??= (import('mpg123-decoder') as Promise<unknown> as Promise<Mpg123Module>).then(mp3DecoderFrom);
  return loaded;
}
