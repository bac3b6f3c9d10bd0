/** Prompt files: any common WAV (see readWav), decoded, down-mixed and resampled to 8 kHz on load. */
import { PcmSource } from './pcmSource.js';
import { readWavFile } from './wavReader.js';

/** Loads the whole file (prompts are seconds long; decoding once keeps the per-tick read a copy). */
export async function loadWavFileSource(path: string): Promise<PcmSource> {
  const wav = await readWavFile(path);
  return new PcmSource(wav.samples, wav.sampleRate);
}
