/**
 * One recording through the embedded phrase recognizer, as a call's recognizer would hear it: what
 * `smartcall asr recognize` prints and the console's "try a WAV" shows. A decoder thread is started
 * for the trial and closed after it.
 */
import { resample } from '../../media/resampler.js';
import type { WavAudio } from '../../media/wavReader.js';
import { PhraseDecoderPool } from './phraseDecoderPool.js';
import { PhraseRecognizer } from './phraseRecognizer.js';

export interface PhraseTrialResult {
  durationMs: number;
  result: 'recognized' | 'rejected';
  text: string | null;
  confidence: number;
  scorePerFrame: number | null;
  framesPerPhone: number;
}

export async function tryPhrases(name: string, phrases: string, wav: WavAudio): Promise<PhraseTrialResult> {
  const samples = wav.sampleRate === 8000 ? wav.samples : resample(wav.samples, wav.sampleRate, 8000);
  const pool = new PhraseDecoderPool();
  try {
    await pool.ready();
    const recognizer = new PhraseRecognizer(name, phrases, pool);
    await recognizer.ready(); // a call's recognizer has its templates by the first reply
    const d = await recognizer.decide(samples);
    return {
      durationMs: Math.round(samples.length / 8),
      result: d.text === null ? 'rejected' : 'recognized',
      text: d.text,
      confidence: d.confidence,
      scorePerFrame: Number.isFinite(d.scorePerFrame) ? Math.round(d.scorePerFrame * 10) / 10 : null,
      framesPerPhone: Math.round(d.framesPerPhone * 10) / 10,
    };
  } finally {
    await pool.close();
  }
}
