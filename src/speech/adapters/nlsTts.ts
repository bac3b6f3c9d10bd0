/**
 * Alibaba Cloud NLS speech synthesis (SpeechSynthesizer) through `alibabacloud-nls`: StartSynthesis
 * with PCM at 8 kHz, SmartCall's voice name, volume and speed; binary audio frames stream back
 * until SynthesisCompleted. A server that stops answering ends the stream after `timeoutMs`.
 */
import { SpeechSynthesizer } from 'alibabacloud-nls';
import { within } from '../../clock/within.js';
import type { Tts, TtsRequest } from '../tts.js';
import { DEFAULT_VOICE } from '../voices.js';
import type { NlsTokenProvider } from './nlsToken.js';

export interface NlsTtsOptions {
  url: string;
  appKey: string;
  tokens: NlsTokenProvider;
  timeoutMs?: number;
}

export class NlsTts implements Tts {
  readonly name = 'nls';
  readonly #options: NlsTtsOptions;

  constructor(options: NlsTtsOptions) {
    this.#options = options;
  }

  async *synthesize(request: TtsRequest): AsyncIterable<Int16Array> {
    const timeoutMs = this.#options.timeoutMs ?? 5000;
    const token = await this.#options.tokens.token();
    const tts = new SpeechSynthesizer({ url: this.#options.url, appkey: this.#options.appKey, token });
    const chunks: Int16Array[] = [];
    let wake: (() => void) | null = null;
    let finished = false;
    let failure: string | null = null;
    const notify = () => {
      wake?.();
      wake = null;
    };
    tts.on('data', (msg) => {
      const b = msg as Buffer;
      const even = b.length - (b.length % 2);
      const pcm = new Int16Array(even / 2);
      new Uint8Array(pcm.buffer).set(b.subarray(0, even));
      chunks.push(pcm);
      notify();
    });
    tts.on('failed', (msg) => {
      failure = String(msg);
      notify();
    });
    const started = tts.start(
      {
        voice: request.voice ?? DEFAULT_VOICE,
        format: 'pcm',
        sample_rate: 8000,
        // SmartCall TtsVolume 0 means "default"; NLS's default is 50.
        volume: request.volume ? Math.max(0, Math.min(100, request.volume)) : 50,
        speech_rate: Math.max(-500, Math.min(500, request.speed ?? 0)),
        pitch_rate: 0,
        text: request.text,
      },
      true,
      6000,
    );
    started.then(
      () => {
        finished = true;
        notify();
      },
      (err: unknown) => {
        failure = String(err);
        notify();
      },
    );
    try {
      for (;;) {
        if (chunks.length > 0) {
          yield chunks.shift()!;
          continue;
        }
        if (failure) throw new Error(`nls tts: ${failure}`);
        if (finished || request.signal?.aborted) return;
        const arrived = await within(
          new Promise<void>((resolve) => {
            wake = resolve;
          }),
          timeoutMs,
        );
        if (!arrived) throw new Error(`nls tts: no audio for ${timeoutMs} ms`);
      }
    } finally {
      tts.shutdown();
    }
  }

  async close(): Promise<void> {}
}
