/**
 * Alibaba Cloud NLS real-time transcription (SpeechTranscriber over the NLS WebSocket gateway),
 * through the official `alibabacloud-nls` SDK: StartTranscription with 8 kHz PCM (the appkey's
 * project must use an 8 kHz model, else the task fails with 41010101), binary audio,
 * SentenceBegin / TranscriptionResultChanged / SentenceEnd events, StopTranscription at the end.
 * The SDK's start() never settles on a TaskFailed before TranscriptionStarted, and close() waits
 * forever for a server that went away, so every step here is bounded by `timeoutMs`.
 */
import { SpeechTranscription } from 'alibabacloud-nls';
import type { AsrEngine, AsrEvent, AsrStream, AsrStreamOptions } from '../asr.js';
import { isTokenRefusal, type NlsTokenProvider } from './nlsToken.js';
import { RemoteStreamState, within } from './remoteStream.js';

export interface NlsAsrEngineOptions {
  url: string;
  appKey: string;
  tokens: NlsTokenProvider;
  timeoutMs?: number;
  /** A hot-word table made in the NLS console (`vocabulary_id`). */
  vocabularyId?: string;
  /** A custom language model trained in the NLS console (`customization_id`). */
  customizationId?: string;
}

interface NlsEvent {
  header?: { name?: string; status?: number; status_text?: string };
  payload?: { result?: string; time?: number; begin_time?: number; confidence?: number };
}

/** What a failed task's status means for the person who configured it (ISI status codes). */
export function explainNlsFailure(detail: string): string {
  if (/\b41010101\b|UNSUPPORTED_SAMPLE_RATE/.test(detail))
    return `${detail} (the appkey's project must use an 8 kHz model: smartcall sends 8000 Hz telephone audio)`;
  if (/\b40020105\b|APPKEY_NOT_EXIST/.test(detail)) return `${detail} (check appKey: no such project)`;
  if (/\b40020106\b|APPKEY_UID_MISMATCH/.test(detail))
    return `${detail} (the appKey and the token belong to different accounts)`;
  return detail;
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

/**
 * The start-up probe: a real task (StartTranscription with the engine's parameters, 200 ms of
 * silence, StopTranscription), so a wrong appkey, a refused token or a 16 kHz project shows before
 * the first call. Null when the task ran; else why it did not.
 */
export async function probeNlsTranscription(engine: NlsAsrEngineOptions): Promise<string | null> {
  let failure: string | null = null;
  const stream = new NlsAsrStream(engine, {
    onEvent: (e: AsrEvent) => {
      if (e.type === 'rejected' && e.reason === 'error') failure ??= e.detail ?? 'nls: task failed';
    },
  });
  stream.write(new Int16Array(1600));
  await stream.started();
  await stream.finish();
  return failure;
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

  /** Resolves when the task has started (true) or failed to (false; the failure was reported). */
  started(): Promise<boolean> {
    return this.#started;
  }

  async #start(engine: NlsAsrEngineOptions, pauseMs: number, itn: boolean): Promise<boolean> {
    let token = '';
    const fail = (detail: string) => {
      if (token && isTokenRefusal(detail)) engine.tokens.refuse(token, detail);
      this.#state.fail(explainNlsFailure(detail));
    };
    try {
      token = await engine.tokens.token();
      if (this.#state.closed) return false;
      const st = new SpeechTranscription({ url: engine.url, appkey: engine.appKey, token });
      this.#st = st;
      const parse = (msg: string): NlsEvent => JSON.parse(msg) as NlsEvent;
      // TranscriptionResultChanged has no begin_time: the sentence starts at its SentenceBegin.time.
      let sentenceBeginMs = 0;
      st.on('begin', (msg) => {
        sentenceBeginMs = parse(msg).payload?.time ?? this.#state.positionMs;
      });
      st.on('changed', (msg) => {
        const p = parse(msg).payload ?? {};
        if (p.result)
          this.#state.onEvent({
            type: 'partial',
            text: p.result,
            beginMs: sentenceBeginMs,
            endMs: p.time ?? this.#state.positionMs,
            confidence: p.confidence ?? 1,
          });
      });
      st.on('end', (msg) => {
        const p = parse(msg).payload ?? {};
        const text = (p.result ?? '').trim();
        const beginMs = p.begin_time ?? sentenceBeginMs;
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
        fail(detail);
      });
      let opened = false;
      st.on('closed', () => {
        // Before TranscriptionStarted the start's own outcome (a 403 upgrade, TaskFailed, the
        // timeout) says what went wrong; a close after it is the failure.
        if (opened && !this.#finishing) fail('nls: connection closed');
      });
      const start = st.start(
        {
          format: 'pcm',
          sample_rate: 8000,
          enable_intermediate_result: true,
          enable_punctuation_prediction: true,
          enable_inverse_text_normalization: itn,
          max_sentence_silence: Math.max(200, Math.min(2000, pauseMs)),
          ...(engine.vocabularyId ? { vocabulary_id: engine.vocabularyId } : {}),
          ...(engine.customizationId ? { customization_id: engine.customizationId } : {}),
        },
        true,
        6000,
      );
      start.catch((err: unknown) => fail(`nls: ${errorText(err)}`));
      const startedOrFailed = Promise.race([start.then(() => 'started' as const), failure]).catch(
        (err: unknown) => `nls: ${errorText(err)}`,
      );
      const outcome = (await within(startedOrFailed, this.#state.timeoutMs))
        ? await startedOrFailed
        : 'timeout';
      if (outcome !== 'started') {
        fail(outcome === 'timeout' ? 'nls: no TranscriptionStarted in time' : outcome);
        st.shutdown();
        return false;
      }
      opened = true;
      this.#state.open(
        (pcm) => st.sendAudio(pcm),
        () => sdkSocket(st)?.bufferedAmount ?? 0,
      );
      return true;
    } catch (err) {
      fail(`nls: ${errorText(err)}`);
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

/** The SDK's WebSocket (not part of its API: `_client._ws`), for its `bufferedAmount`. */
function sdkSocket(st: SpeechTranscription): { bufferedAmount?: number } | undefined {
  return (st as unknown as { _client?: { _ws?: { bufferedAmount?: number } } })._client?._ws;
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
