/**
 * Vosk server (alphacep/vosk-server, websocket/asr_server.py): an optional
 * `{"config": {"sample_rate": 8000, "words": 1, "max_alternatives": 0, "phrase_list": [...]}}`
 * first, binary 16-bit PCM, and the end of stream. The server answers every message with one
 * reply: `{"partial": "..."}` while a sentence grows, `{"result": [{"word","start","end","conf"}...],
 * "text": "..."}` when it ends (times in seconds); an empty `text` means a stretch without speech.
 *
 * The end of stream is compared as a string: only the exact text `{"eof" : 1}` (with the spaces)
 * makes the server send its last result and close; any other text is fed to the recogniser as audio,
 * which raises, and the server drops the connection without the last sentence.
 * `max_alternatives` is pinned to 0: a server started with VOSK_ALTERNATIVES would otherwise answer
 * `{"alternatives": [...]}`, which has no `text`. Phrases become a hard grammar ({@link voskPhraseList}).
 */
import WebSocket from 'ws';
import type { AsrEngine, AsrEvent, AsrStream, AsrStreamOptions } from '../asr.js';
import { RemoteStreamState, within } from './remoteStream.js';
import { voskPhraseList, voskText } from './voskGrammar.js';

/** The exact end-of-stream text asr_server.py compares against. */
export const VOSK_EOF = '{"eof" : 1}';

export interface VoskAsrEngineOptions {
  url: string;
  timeoutMs?: number;
  /** Restricts recognition to these phrases (Vosk `phrase_list`, needs a model with a dynamic graph). */
  phrases?: string[];
}

interface VoskMessage {
  partial?: string;
  text?: string;
  result?: { word: string; start: number; end: number; conf: number }[];
}

export class VoskAsrEngine implements AsrEngine {
  readonly name = 'vosk';
  readonly #options: VoskAsrEngineOptions;

  constructor(options: VoskAsrEngineOptions) {
    this.#options = options;
  }

  createStream(options: AsrStreamOptions): AsrStream {
    return new VoskStream(this.#options, options);
  }

  async close(): Promise<void> {}
}

/**
 * The start-up (and re-probe) check: a real task as a call runs it (the config message, 200 ms of
 * silence, the exact `{"eof" : 1}`), whose end of stream must be answered with a result carrying
 * `text` within `timeoutMs`. A socket that opens is not enough: a hung server, or one that is not
 * asr_server.py, accepts and says nothing. Null when the task was answered; else why it was not.
 */
export async function probeVosk(engine: VoskAsrEngineOptions): Promise<string | null> {
  const timeoutMs = engine.timeoutMs ?? 5000;
  let failure: string | null = null;
  const stream = new VoskStream(engine, {
    onEvent: (e: AsrEvent) => {
      if (e.type === 'rejected' && e.reason === 'error') failure ??= e.detail ?? 'vosk: task failed';
    },
  });
  stream.write(new Int16Array(1600));
  await stream.finish();
  if (stream.answered) return null;
  if (failure !== null) return `${engine.url}: ${(failure as string).replace(/^vosk: /, '')}`;
  return `${engine.url}: connected but no answer to a test task (config, 200 ms of silence, {"eof" : 1}) within ${timeoutMs} ms: is it vosk-server's websocket/asr_server.py, and has it loaded its model?`;
}

class VoskStream implements AsrStream {
  readonly #state: RemoteStreamState;
  readonly #ws: WebSocket;
  readonly #done: Promise<void>;
  #sentenceStartMs = 0;
  #finishing = false;
  /** The end of stream was answered with a result (`text`). */
  answered = false;

  constructor(engine: VoskAsrEngineOptions, options: AsrStreamOptions) {
    const timeoutMs = engine.timeoutMs ?? 5000;
    this.#state = new RemoteStreamState(options.onEvent, timeoutMs);
    this.#ws = new WebSocket(engine.url, { handshakeTimeout: timeoutMs });
    this.#done = new Promise<void>((resolve) => this.#ws.once('close', () => resolve()));
    this.#ws.on('error', (err) => this.#state.fail(`vosk: ${err.message}`));
    this.#ws.on('close', () => {
      // The server closes after answering our eof; any other close is a failure.
      if (!this.#finishing) this.#state.fail('vosk: connection closed');
    });
    this.#ws.on('open', () => {
      const config: Record<string, unknown> = { sample_rate: 8000, words: 1, max_alternatives: 0 };
      const phraseList = voskPhraseList(engine.phrases ?? []);
      if (phraseList.length > 0) config.phrase_list = phraseList;
      this.#ws.send(JSON.stringify({ config }));
      this.#state.open(
        (pcm) => this.#ws.send(pcm),
        () => this.#ws.bufferedAmount,
      );
    });
    this.#ws.on('message', (data, isBinary) => {
      if (isBinary) return;
      try {
        this.#result(JSON.parse(data.toString()) as VoskMessage);
      } catch {
        // not JSON: ignore
      }
    });
  }

  #result(msg: VoskMessage): void {
    if (typeof msg.partial === 'string') {
      const text = voskText(msg.partial);
      if (text)
        this.#state.onEvent({
          type: 'partial',
          text,
          beginMs: this.#sentenceStartMs,
          endMs: this.#state.positionMs,
          confidence: 1,
        });
      return;
    }
    if (typeof msg.text !== 'string') return;
    if (this.#finishing) this.answered = true;
    const text = voskText(msg.text);
    const words = msg.result ?? [];
    const beginMs = words.length ? Math.round(words[0]!.start * 1000) : this.#sentenceStartMs;
    const endMs = words.length ? Math.round(words[words.length - 1]!.end * 1000) : this.#state.positionMs;
    this.#sentenceStartMs = endMs;
    if (!text) {
      // Speech the grammar does not hold comes back as `[unk]`: heard, but not a listed phrase.
      if (msg.text.trim())
        this.#state.onEvent({
          type: 'rejected',
          reason: 'no-match',
          beginMs,
          endMs,
          detail: msg.text.trim(),
        });
      return;
    }
    const confidence = words.length ? words.reduce((s, w) => s + w.conf, 0) / words.length : 1;
    this.#state.onEvent({
      type: 'final',
      text,
      beginMs,
      endMs,
      confidence: Math.round(confidence * 1000) / 1000,
    });
  }

  write(frame: Int16Array): void {
    this.#state.write(frame);
  }

  async finish(): Promise<void> {
    if (this.#state.closed) return;
    if (this.#ws.readyState === WebSocket.CONNECTING) {
      // The queued audio goes out on open: wait for it rather than drop the whole stream.
      const opened = new Promise<void>((resolve) => this.#ws.once('open', () => resolve()));
      await within(Promise.race([opened, this.#done]), this.#state.timeoutMs);
    }
    if (!this.#state.failed && this.#ws.readyState === WebSocket.OPEN) {
      this.#finishing = true;
      this.#ws.send(VOSK_EOF);
      await within(this.#done, this.#state.timeoutMs);
    }
    this.close();
  }

  close(): void {
    if (this.#state.closed) return;
    this.#state.closed = true;
    this.#ws.terminate();
  }
}
