/**
 * Alibaba Cloud NLS real-time transcription (SpeechTranscriber over the NLS WebSocket gateway),
 * through the official `alibabacloud-nls` SDK: StartTranscription with 8 kHz PCM, binary audio,
 * SentenceBegin / TranscriptionResultChanged / SentenceEnd events, StopTranscription at the end.
 * The SDK's start() never settles on a TaskFailed before TranscriptionStarted, and close() waits
 * forever for a server that went away, so every step here is bounded by `timeoutMs`.
 */
import { SpeechTranscription } from 'alibabacloud-nls';
import type { AsrEngine, AsrStream, AsrStreamOptions } from '../asr.js';
import type { NlsTokenProvider } from './nlsToken.js';
import { RemoteStreamState, within } from './remoteStream.js';

export interface NlsAsrEngineOptions {
  url: string;
  appKey: string;
  tokens: NlsTokenProvider;
  timeoutMs?: number;
  /** Words the engine should favour (NLS `vocabulary_id` is console-managed; these go nowhere yet). */
  hotwords?: string[];
}

interface NlsEvent {
  header?: { name?: string; status?: number; status_text?: string };
  payload?: { result?: string; time?: number; begin_time?: number; confidence?: number };
}

export class NlsAsrEngine implements AsrEngine {
  readonly name = 'nls';
  readonly #options: NlsAsrEngineOptions;

  constructor(options: NlsAsrEngineOptions) {
    this.#options = options;
  }

  createStream(options: AsrStreamOptions): AsrStream {
    return new NlsAsrStream(this.#options, options);
  }

  async close(): Promise<void> {}
}

class NlsAsrStream implements AsrStream {
  readonly #state: RemoteStreamState;
  #st: SpeechTranscription | null = null;
  #finishing = false;
  readonly #started: Promise<boolean>;

  constructor(engine: NlsAsrEngineOptions, options: AsrStreamOptions) {
    this.#state = new RemoteStreamState(options.onEvent, engine.timeoutMs ?? 5000);
    this.#started = this.#start(engine, options.pauseMs ?? 800, options.itn ?? false);
  }

  async #start(engine: NlsAsrEngineOptions, pauseMs: number, itn: boolean): Promise<boolean> {
    try {
      const token = await engine.tokens.token();
      if (this.#state.closed) return false;
      const st = new SpeechTranscription({ url: engine.url, appkey: engine.appKey, token });
      this.#st = st;
      const parse = (msg: string): NlsEvent => JSON.parse(msg) as NlsEvent;
      st.on('changed', (msg) => {
        const p = parse(msg).payload ?? {};
        if (p.result)
          this.#state.onEvent({
            type: 'partial',
            text: p.result,
            beginMs: p.begin_time ?? 0,
            endMs: p.time ?? this.#state.positionMs,
            confidence: p.confidence ?? 1,
          });
      });
      st.on('end', (msg) => {
        const p = parse(msg).payload ?? {};
        const text = (p.result ?? '').trim();
        const beginMs = p.begin_time ?? 0;
        const endMs = p.time ?? this.#state.positionMs;
        if (text) this.#state.onEvent({ type: 'final', text, beginMs, endMs, confidence: p.confidence ?? 1 });
        else this.#state.onEvent({ type: 'rejected', reason: 'no-match', beginMs, endMs });
      });
      let failed = (_: string) => {};
      const failure = new Promise<string>((resolve) => {
        failed = resolve;
      });
      st.on('failed', (msg) => {
        const h = parse(msg).header ?? {};
        const detail = `nls: ${h.status ?? ''} ${h.status_text ?? 'task failed'}`.trim();
        failed(detail);
        this.#state.fail(detail);
      });
      st.on('closed', () => {
        if (!this.#finishing) this.#state.fail('nls: connection closed');
      });
      const start = st.start(
        {
          format: 'pcm',
          sample_rate: 8000,
          enable_intermediate_result: true,
          enable_punctuation_prediction: true,
          enable_inverse_text_normalization: itn,
          max_sentence_silence: Math.max(200, Math.min(2000, pauseMs)),
        },
        true,
        6000,
      );
      start.catch((err: unknown) => this.#state.fail(`nls: ${errorText(err)}`));
      const startedOrFailed = Promise.race([start.then(() => 'started' as const), failure]).catch(
        (err: unknown) => `nls: ${errorText(err)}`,
      );
      const outcome = (await within(startedOrFailed, this.#state.timeoutMs))
        ? await startedOrFailed
        : 'timeout';
      if (outcome !== 'started') {
        this.#state.fail(outcome === 'timeout' ? 'nls: no TranscriptionStarted in time' : outcome);
        st.shutdown();
        return false;
      }
      this.#state.open((pcm) => st.sendAudio(pcm));
      return true;
    } catch (err) {
      this.#state.fail(`nls: ${errorText(err)}`);
      return false;
    }
  }

  write(frame: Int16Array): void {
    this.#state.write(frame);
  }

  async finish(): Promise<void> {
    if (this.#state.closed) return;
    const started = await within(this.#started, this.#state.timeoutMs);
    if (started && this.#st && !this.#state.failed) {
      this.#finishing = true;
      const stop = this.#st.close();
      stop.catch(() => {});
      await within(stop, this.#state.timeoutMs);
    }
    this.close();
  }

  close(): void {
    if (this.#state.closed) return;
    this.#state.closed = true;
    this.#st?.shutdown();
  }
}

function errorText(err: unknown): string {
  if (err instanceof Error) return err.message;
  if (typeof err === 'string') {
    try {
      const h = (JSON.parse(err) as NlsEvent).header;
      if (h) return `${h.status ?? ''} ${h.status_text ?? ''}`.trim();
    } catch {
      return err;
    }
    return err;
  }
  return String(err);
}
