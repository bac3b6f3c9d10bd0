/**
 * Alibaba Cloud NLS speech synthesis (SpeechSynthesizer) through `alibabacloud-nls`: StartSynthesis
 * with PCM at 8 kHz, SmartCall's voice name, volume and speed; binary audio frames stream back
 * until SynthesisCompleted. A server that stops answering ends the stream after `timeoutMs`.
 *
 * Short-text synthesis takes at most 300 characters, so a longer prompt is cut into pieces at
 * sentence ends (then commas, then anywhere) and each piece is one task, played in turn. Frames
 * carry 16-bit samples but the gateway chooses their size: an odd byte is kept for the next frame.
 * When a task fails (refused token, TaskFailed, silence), the rest of the prompt — from the piece
 * that failed, or the next one if some of it was already heard — is spoken by `fallback`.
 */
import { SpeechSynthesizer } from 'alibabacloud-nls';
import { within } from '../../clock/within.js';
import type { Logger } from '../../observability/logger.js';
import type { Tts, TtsRequest } from '../tts.js';
import { DEFAULT_VOICE } from '../voices.js';
import { isTokenRefusal, type NlsTokenProvider } from './nlsToken.js';

export interface NlsTtsOptions {
  url: string;
  appKey: string;
  tokens: NlsTokenProvider;
  timeoutMs?: number;
  /** Speaks what NLS could not (the embedded TTS); without it a failure ends the prompt. */
  fallback?: Tts;
  log?: Logger;
  /** The engine's name, for log lines. */
  name?: string;
}

/** Longest text one short-text synthesis task accepts, in characters. */
export const NLS_TTS_MAX_CHARS = 300;

export class NlsTts implements Tts {
  readonly name = 'nls';
  readonly #options: NlsTtsOptions;

  constructor(options: NlsTtsOptions) {
    this.#options = options;
  }

  async *synthesize(request: TtsRequest): AsyncIterable<Int16Array> {
    const pieces = splitForSynthesis(request.text, NLS_TTS_MAX_CHARS);
    for (let i = 0; i < pieces.length; i++) {
      if (request.signal?.aborted) return;
      let heard = false;
      try {
        for await (const pcm of this.#task({ ...request, text: pieces[i]! })) {
          heard = true;
          yield pcm;
        }
      } catch (err) {
        const fallback = this.#options.fallback;
        if (!fallback) throw err;
        const rest = pieces.slice(heard ? i + 1 : i).join(' ');
        this.#options.log?.warn(
          { engine: this.#options.name, err: (err as Error).message, fallbackChars: [...rest].length },
          'NLS synthesis failed; the rest of the prompt is spoken by the embedded TTS',
        );
        if (rest) yield* fallback.synthesize({ ...request, text: rest });
        return;
      }
    }
  }

  /** One StartSynthesis task for text within the limit. */
  async *#task(request: TtsRequest): AsyncIterable<Int16Array> {
    const timeoutMs = this.#options.timeoutMs ?? 5000;
    const token = await this.#options.tokens.token();
    const tts = new SpeechSynthesizer({ url: this.#options.url, appkey: this.#options.appKey, token });
    const chunks: Int16Array[] = [];
    let wake: (() => void) | null = null;
    let finished = false;
    let failure: string | null = null;
    /** The odd byte at the end of the last frame: the first half of the next sample. */
    let carry: number | null = null;
    const notify = () => {
      wake?.();
      wake = null;
    };
    tts.on('data', (msg) => {
      let b = msg as Buffer;
      if (carry !== null) {
        b = Buffer.concat([Buffer.of(carry), b]);
        carry = null;
      }
      const even = b.length - (b.length % 2);
      if (even < b.length) carry = b[even]!;
      if (even === 0) return;
      const pcm = new Int16Array(even / 2);
      new Uint8Array(pcm.buffer).set(b.subarray(0, even));
      chunks.push(pcm);
      notify();
    });
    const fail = (detail: string) => {
      failure ??= detail;
      if (isTokenRefusal(detail)) this.#options.tokens.refuse(token, detail);
      notify();
    };
    tts.on('failed', (msg) => fail(taskFailure(msg)));
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
      (err: unknown) => fail(taskFailure(err)),
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

/**
 * The start-up probe: a real synthesis task of one word (8 kHz PCM), so a wrong appkey or a refused
 * token shows before the first call. Null when audio came back; else why not.
 */
export async function probeNlsSynthesis(options: NlsTtsOptions): Promise<string | null> {
  const tts = new NlsTts({ ...options, fallback: undefined });
  try {
    let samples = 0;
    for await (const pcm of tts.synthesize({ text: '您好' })) samples += pcm.length;
    return samples > 0 ? null : 'nls tts: the probe synthesis returned no audio';
  } catch (err) {
    return (err as Error).message;
  }
}

/** "status status_text" of a TaskFailed message (or the text of another rejection). */
function taskFailure(msg: unknown): string {
  if (msg instanceof Error) return msg.message;
  const text = String(msg);
  try {
    const h = (JSON.parse(text) as { header?: { status?: number; status_text?: string } }).header;
    if (h) return `${h.status ?? ''} ${h.status_text ?? 'task failed'}`.trim();
  } catch {
    // not JSON: keep the text
  }
  return text;
}

/**
 * `text` in pieces of at most `maxChars` characters, cut where speech pauses: sentence ends first,
 * then clause marks (，,、；;：:), then spaces, then anywhere. Whole sentences are packed together up
 * to the limit, so a prompt within it stays one piece.
 */
export function splitForSynthesis(text: string, maxChars: number): string[] {
  const trimmed = text.trim();
  if (!trimmed) return [];
  if ([...trimmed].length <= maxChars) return [trimmed];
  const units: string[] = [];
  for (const sentence of cutAfter(trimmed, /(?<=[。！？!?…\n])|(?<=[.](?=\s))/u)) {
    if ([...sentence].length <= maxChars) {
      units.push(sentence);
      continue;
    }
    for (const clause of cutAfter(sentence, /(?<=[，,、；;：:])/u)) {
      if ([...clause].length <= maxChars) {
        units.push(clause);
        continue;
      }
      for (const word of cutAfter(clause, /(?<=\s)/u)) {
        const chars = [...word];
        for (let i = 0; i < chars.length; i += maxChars) units.push(chars.slice(i, i + maxChars).join(''));
      }
    }
  }
  const pieces: string[] = [];
  let current = '';
  for (const unit of units) {
    if (current && [...current].length + [...unit].length > maxChars) {
      pieces.push(current.trim());
      current = '';
    }
    current += unit;
  }
  if (current.trim()) pieces.push(current.trim());
  return pieces.filter(Boolean);
}

function cutAfter(text: string, at: RegExp): string[] {
  return text.split(at).filter((s) => s.length > 0);
}
