/**
 * The embedded TTS: espeak-ng (WASM, warm worker threads) for Mandarin and English, resampled to
 * 8 kHz, SmartCall volume and speed applied, sentence by sentence, with a prompt cache.
 */
import { Resampler } from '../../media/resampler.js';
import type { WorkerPoolLoad } from '../../workers/workerPool.js';
import { speedFactor, splitSentences, type Tts, type TtsRequest, volumeGain } from '../tts.js';
import { TtsCache } from '../ttsCache.js';
import { ESPEAK_RATE, EspeakEngine } from './espeakEngine.js';
import { espeakVoiceFor, ssmlFor } from './espeakVoices.js';

export interface EspeakTtsOptions {
  /** Synthesis threads (default 1; each ≈ 50 MB). */
  workers?: number;
  /** Prompt cache size in bytes (default 32 MiB); 0 disables it. */
  cacheBytes?: number;
}

export class EspeakTts implements Tts {
  readonly name = 'espeak';
  readonly #engine: EspeakEngine;
  readonly #cache: TtsCache | null;

  constructor(options: EspeakTtsOptions = {}) {
    this.#engine = new EspeakEngine(options.workers ?? 1);
    const bytes = options.cacheBytes ?? 32 * 1024 * 1024;
    this.#cache = bytes > 0 ? new TtsCache(bytes) : null;
  }

  /** Resolves once the synthesis threads are warm; rejects with the reason they are not. */
  ready(): Promise<void> {
    return this.#engine.ready();
  }

  get cache(): TtsCache | null {
    return this.#cache;
  }

  /** The synthesis threads' load (metrics). */
  get load(): WorkerPoolLoad {
    return this.#engine.load;
  }

  async *synthesize(request: TtsRequest): AsyncIterable<Int16Array> {
    const voice = espeakVoiceFor(request.voice);
    const volume = request.volume ?? 0;
    const speed = request.speed ?? 0;
    const key = TtsCache.key(request.text, voice.name, volume, speed);
    const cached = this.#cache?.get(key);
    if (cached) {
      for (const chunk of cached) yield chunk;
      return;
    }
    const gain = volumeGain(volume);
    const rate = speedFactor(speed);
    const chunks: Int16Array[] = [];
    const sentences = splitSentences(request.text);
    // Synthesis of the next sentence overlaps the playback of this one.
    let next = sentences.length > 0 ? this.#engine.synthesize(ssmlFor(sentences[0]!, voice, rate)) : null;
    for (let i = 0; i < sentences.length; i++) {
      const pcm = await next!;
      next =
        i + 1 < sentences.length ? this.#engine.synthesize(ssmlFor(sentences[i + 1]!, voice, rate)) : null;
      if (request.signal?.aborted) {
        next?.catch(() => {});
        return;
      }
      const chunk = toTelephone(pcm, gain);
      chunks.push(chunk);
      yield chunk;
    }
    this.#cache?.set(key, chunks);
  }

  async close(): Promise<void> {
    await this.#engine.close();
  }
}

function toTelephone(pcm: Int16Array, gain: number): Int16Array {
  const resampler = new Resampler(ESPEAK_RATE, 8000);
  const head = resampler.process(pcm);
  const tail = resampler.flush();
  const out = new Int16Array(head.length + tail.length);
  out.set(head);
  out.set(tail, head.length);
  if (gain !== 1) {
    for (let i = 0; i < out.length; i++) {
      const v = Math.round(out[i]! * gain);
      out[i] = Math.min(32767, Math.max(v, -32768));
    }
  }
  return out;
}
