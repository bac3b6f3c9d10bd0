/**
 * FunASR runtime WebSocket server (runtime/docs/websocket_protocol.md): a JSON start message
 * (`mode`, `audio_fs: 8000`, `wav_format: pcm`, `is_speaking: true`, hot words), binary 16-bit PCM,
 * then `{"is_speaking": false}`. Results are JSON: `2pass-online`/`online` texts are partial,
 * `2pass-offline`/`offline` texts are final sentences; `timestamp` ("[[b,e],...]" ms) or
 * `stamp_sents` give the offsets when the model provides them.
 */
import WebSocket from 'ws';
import type { AsrEngine, AsrStream, AsrStreamOptions } from '../asr.js';
import { RemoteStreamState, within } from './remoteStream.js';

export interface FunAsrEngineOptions {
  url: string;
  mode?: '2pass' | 'online' | 'offline';
  timeoutMs?: number;
  /** Phrases the server should favour (sent as FunASR hot words, weight 20). */
  hotwords?: string[];
}

interface FunAsrMessage {
  mode?: string;
  text?: string;
  is_final?: boolean;
  timestamp?: string;
  stamp_sents?: { start: number; end: number }[];
}

export class FunAsrEngine implements AsrEngine {
  readonly name = 'funasr';
  readonly #options: FunAsrEngineOptions;

  constructor(options: FunAsrEngineOptions) {
    this.#options = options;
  }

  createStream(options: AsrStreamOptions): AsrStream {
    return new FunAsrStream(this.#options, options);
  }

  async close(): Promise<void> {}
}

class FunAsrStream implements AsrStream {
  readonly #state: RemoteStreamState;
  readonly #ws: WebSocket;
  readonly #done: Promise<void>;
  #sentenceStartMs = 0;

  constructor(engine: FunAsrEngineOptions, options: AsrStreamOptions) {
    const timeoutMs = engine.timeoutMs ?? 5000;
    this.#state = new RemoteStreamState(options.onEvent, timeoutMs);
    const mode = engine.mode ?? '2pass';
    this.#ws = new WebSocket(engine.url, { handshakeTimeout: timeoutMs });
    this.#done = new Promise<void>((resolve) => this.#ws.once('close', () => resolve()));
    this.#ws.on('error', (err) => this.#state.fail(`funasr: ${err.message}`));
    this.#ws.on('close', () => {
      if (!this.#state.closed) this.#state.fail('funasr: connection closed');
    });
    this.#ws.on('open', () => {
      const hotwords = engine.hotwords?.length
        ? JSON.stringify(Object.fromEntries(engine.hotwords.map((w) => [w, 20])))
        : undefined;
      this.#ws.send(
        JSON.stringify({
          mode,
          wav_name: 'smartcall',
          wav_format: 'pcm',
          audio_fs: 8000,
          is_speaking: true,
          chunk_size: [5, 10, 5],
          chunk_interval: 10,
          itn: options.itn ?? false,
          ...(hotwords ? { hotwords } : {}),
        }),
      );
      this.#state.open((pcm) => this.#ws.send(pcm));
    });
    this.#ws.on('message', (data, isBinary) => {
      if (isBinary) return;
      let msg: FunAsrMessage;
      try {
        msg = JSON.parse(data.toString()) as FunAsrMessage;
      } catch {
        return;
      }
      this.#result(msg);
    });
  }

  #result(msg: FunAsrMessage): void {
    const text = (msg.text ?? '').trim();
    const final = msg.mode === '2pass-offline' || msg.mode === 'offline';
    const span = spanOf(msg);
    const beginMs = span?.[0] ?? this.#sentenceStartMs;
    const endMs = span?.[1] ?? this.#state.positionMs;
    if (!final) {
      if (text) this.#state.onEvent({ type: 'partial', text, beginMs, endMs, confidence: 1 });
      return;
    }
    this.#sentenceStartMs = endMs;
    if (text) this.#state.onEvent({ type: 'final', text, beginMs, endMs, confidence: 1 });
  }

  write(frame: Int16Array): void {
    this.#state.write(frame);
  }

  async finish(): Promise<void> {
    if (this.#state.closed) return;
    if (!this.#state.failed && this.#ws.readyState === WebSocket.OPEN) {
      this.#ws.send(JSON.stringify({ is_speaking: false }));
      // The server answers the end flag with its last results; it may or may not close by itself.
      const finalSeen = new Promise<void>((resolve) =>
        this.#ws.on('message', (data, isBinary) => {
          if (!isBinary && /"is_final"\s*:\s*true|"mode"\s*:\s*"(2pass-)?offline"/.test(data.toString()))
            resolve();
        }),
      );
      await within(Promise.race([finalSeen, this.#done]), this.#state.timeoutMs);
    }
    this.close();
  }

  close(): void {
    if (this.#state.closed) return;
    this.#state.closed = true;
    this.#ws.terminate();
  }
}

function spanOf(msg: FunAsrMessage): [number, number] | null {
  if (msg.stamp_sents && msg.stamp_sents.length > 0) {
    return [msg.stamp_sents[0]!.start, msg.stamp_sents[msg.stamp_sents.length - 1]!.end];
  }
  if (msg.timestamp) {
    try {
      const pairs = JSON.parse(msg.timestamp) as [number, number][];
      if (pairs.length > 0) return [pairs[0]![0], pairs[pairs.length - 1]![1]];
    } catch {
      return null;
    }
  }
  return null;
}
