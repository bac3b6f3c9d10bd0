/**
 * FunASR runtime, real-time server `funasr-wss-server-2pass` (runtime/docs/websocket_protocol.md,
 * runtime/websocket/bin/websocket-server-2pass.cpp). A JSON start message (`mode`, `audio_fs`,
 * `wav_format: pcm`, `is_speaking: true`, `chunk_size`, hot words), binary 16-bit PCM, then
 * `{"is_speaking": false}`, which the server answers with one message carrying `is_final: true`.
 *
 * What the real servers do, and what this adapter does about it:
 * - The server speaks WSS with its bundled self-signed certificate unless started with
 *   `--certfile 0`: `ca` trusts a given CA, `rejectUnauthorized: false` skips verification.
 * - Audio goes out at 16 kHz (`audio_fs: 16000`), upsampled here: the Python server ignores
 *   `audio_fs` and would decode 8 kHz audio as 16 kHz.
 * - `2pass-online` / `online` texts are increments (the reference client concatenates them); they
 *   are accumulated into one growing partial sentence.
 * - `2pass-offline` / `offline` texts are final sentences (once per VAD segment in 2pass mode).
 *   `timestamp` ("[[b,e],...]" ms, a string) or `stamp_sents` give the offsets when the model
 *   provides them; newer servers also put a numeric `timestamp` on every message, ignored.
 * - In `online` mode the C++ server never sends a final pass, so a sentence ends here when no
 *   increment has come for PauseTime plus one 600 ms chunk of audio, and at the end of the stream.
 * - `is_final` means "last message of the stream" only after our end flag: the Python server sets
 *   it from its own `is_speaking` (true while audio flows), so it is not a sentence end.
 */
import WebSocket from 'ws';
import { Resampler } from '../../media/resampler.js';
import type { AsrEngine, AsrEvent, AsrStream, AsrStreamOptions } from '../asr.js';
import { RemoteStreamState, within } from './remoteStream.js';

export interface FunAsrEngineOptions {
  url: string;
  mode?: '2pass' | 'online' | 'offline';
  timeoutMs?: number;
  /** Phrases the server should favour (sent as FunASR hot words, weight 20). */
  hotwords?: string[];
  /** PEM CA certificate(s) trusted for a `wss://` server (instead of the system store). */
  ca?: string;
  /** `false`: accept any certificate (the runtime's bundled self-signed one). Default true. */
  rejectUnauthorized?: boolean;
}

interface FunAsrMessage {
  mode?: string;
  text?: string;
  is_final?: boolean;
  timestamp?: unknown;
  stamp_sents?: { start: number; end: number }[];
}

/** The rate sent to the server: every FunASR model is 16 kHz. */
const SERVER_RATE = 16000;
/** One online chunk (`chunk_size` [5,10,5]: 10 × 60 ms). */
const CHUNK_MS = 600;

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

/** WebSocket client options for a FunASR URL (TLS trust as configured). */
export function funAsrSocketOptions(
  engine: Pick<FunAsrEngineOptions, 'ca' | 'rejectUnauthorized'>,
  timeoutMs: number,
): WebSocket.ClientOptions {
  return {
    handshakeTimeout: timeoutMs,
    ...(engine.ca ? { ca: engine.ca } : {}),
    ...(engine.rejectUnauthorized === false ? { rejectUnauthorized: false } : {}),
  };
}

/** Adds what to do about a certificate the client does not trust to a TLS error message. */
export function explainTlsError(err: Error & { code?: string }): string {
  const code = err.code ?? '';
  if (/CERT|SELF_SIGNED|UNABLE_TO_VERIFY|ERR_TLS/.test(code))
    return `${err.message} (give the server's CA as caFile, or set tlsVerify: false)`;
  return err.message;
}

/**
 * The start-up (and re-probe) check: a real task as a call runs it (the start message with the
 * engine's mode and TLS settings, 0.5 s of silence sent at 16 kHz, `{"is_speaking": false}`), which
 * must be answered within `timeoutMs` the way the adapter waits for it: a message with
 * `is_final: true` (or, for `mode: offline`, the `offline` result). A socket that opens is not
 * enough: the offline `funasr-wss-server` answers a streaming task only with one `offline` result
 * (`is_final: false`), the Python demo server sends nothing after the end flag for silence, and a
 * hung server nothing at all. Null when the task was answered; else why it was not.
 */
export async function probeFunAsr(engine: FunAsrEngineOptions): Promise<string | null> {
  const timeoutMs = engine.timeoutMs ?? 5000;
  let failure: string | null = null;
  const stream = new FunAsrStream(engine, {
    onEvent: (e: AsrEvent) => {
      if (e.type === 'rejected' && e.reason === 'error') failure ??= e.detail ?? 'funasr: task failed';
    },
  });
  for (let i = 0; i < 25; i++) stream.write(new Int16Array(160)); // 0.5 s of 8 kHz call audio
  await stream.finish();
  if (stream.answered) return null;
  if (failure !== null) return `${engine.url}: ${(failure as string).replace(/^funasr: /, '')}`;
  const mode = engine.mode ?? '2pass';
  if (stream.offlineReply)
    return `${engine.url} answered a ${mode} test task the way the offline funasr-wss-server does (one "offline" result, no is_final): run funasr-wss-server-2pass, or set mode: offline`;
  return mode === 'offline'
    ? `${engine.url}: connected but no answer to a test task within ${timeoutMs} ms: is it a FunASR runtime server, and has it loaded its models?`
    : `${engine.url}: connected but no answer to a test task within ${timeoutMs} ms: is it the 2pass/online server (funasr-wss-server-2pass)? The Python demo server sends no is_final, and a server still loading its models answers nothing`;
}

class FunAsrStream implements AsrStream {
  readonly #state: RemoteStreamState;
  readonly #ws: WebSocket;
  readonly #done: Promise<void>;
  readonly #mode: '2pass' | 'online' | 'offline';
  readonly #upsampler = new Resampler(8000, SERVER_RATE);
  readonly #sentenceEndMs: number;
  #sentenceStartMs = 0;
  /** Online increments of the sentence in progress. */
  #pending = '';
  #pendingAtMs = 0;
  /** The end flag was sent: the next `is_final: true` message is the server's last. */
  #ended = false;
  #lastSeen: (() => void) | null = null;
  /** The server's last message came (what finish() waits for). */
  answered = false;
  /** After the end flag, an `offline` result came while streaming (the offline-only server's reply). */
  offlineReply = false;

  constructor(engine: FunAsrEngineOptions, options: AsrStreamOptions) {
    const timeoutMs = engine.timeoutMs ?? 5000;
    this.#state = new RemoteStreamState(options.onEvent, timeoutMs, SERVER_RATE);
    this.#mode = engine.mode ?? '2pass';
    this.#sentenceEndMs = (options.pauseMs ?? 800) + CHUNK_MS;
    this.#ws = new WebSocket(engine.url, funAsrSocketOptions(engine, timeoutMs));
    this.#done = new Promise<void>((resolve) => this.#ws.once('close', () => resolve()));
    this.#ws.on('error', (err) => this.#state.fail(`funasr: ${explainTlsError(err)}`));
    this.#ws.on('close', () => {
      if (!this.#state.closed) this.#state.fail('funasr: connection closed');
    });
    this.#ws.on('open', () => {
      const hotwords = engine.hotwords?.length
        ? JSON.stringify(Object.fromEntries(engine.hotwords.map((w) => [w, 20])))
        : undefined;
      this.#ws.send(
        JSON.stringify({
          mode: this.#mode,
          wav_name: 'smartcall',
          wav_format: 'pcm',
          audio_fs: SERVER_RATE,
          is_speaking: true,
          chunk_size: [5, 10, 5],
          chunk_interval: 10,
          itn: options.itn ?? false,
          ...(hotwords ? { hotwords } : {}),
        }),
      );
      this.#state.open(
        (pcm) => this.#ws.send(pcm),
        () => this.#ws.bufferedAmount,
      );
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
    const last =
      this.#ended && (msg.is_final === true || (this.#mode === 'offline' && msg.mode === 'offline'));
    const final = msg.mode === '2pass-offline' || msg.mode === 'offline';
    if (this.#ended && msg.mode === 'offline' && this.#mode !== 'offline') this.offlineReply = true;
    if (final) {
      this.#pending = '';
      this.#final(text, spanOf(msg));
    } else if (text) {
      this.#pending += text;
      this.#pendingAtMs = this.#state.positionMs;
      this.#state.onEvent({
        type: 'partial',
        text: this.#pending,
        beginMs: this.#sentenceStartMs,
        endMs: this.#state.positionMs,
        confidence: 1,
      });
    }
    if (last) {
      // Online mode has no final pass: what was heard of the last sentence is its text.
      if (this.#mode === 'online' && this.#pending) this.#final(this.#pending, null);
      this.#pending = '';
      this.answered = true;
      this.#lastSeen?.();
    }
  }

  #final(text: string, span: [number, number] | null): void {
    const beginMs = span?.[0] ?? this.#sentenceStartMs;
    const endMs = span?.[1] ?? this.#state.positionMs;
    this.#sentenceStartMs = endMs;
    this.#pending = '';
    if (text) this.#state.onEvent({ type: 'final', text, beginMs, endMs, confidence: 1 });
  }

  write(frame: Int16Array): void {
    this.#state.write(this.#upsampler.process(frame), frame.length / 8);
    this.#afterWrite();
  }

  /** A G.722 call's 16 kHz frame: the server's own rate, sent as it is (no upsampling). */
  writeWide(frame: Int16Array): void {
    this.#state.write(frame, frame.length / 16);
    this.#afterWrite();
  }

  #afterWrite(): void {
    if (
      this.#mode === 'online' &&
      this.#pending &&
      this.#state.positionMs - this.#pendingAtMs >= this.#sentenceEndMs
    )
      this.#final(this.#pending, null);
  }

  async finish(): Promise<void> {
    if (this.#state.closed) return;
    if (this.#ws.readyState === WebSocket.CONNECTING) {
      // The queued audio goes out on open: wait for it rather than drop the whole stream.
      const opened = new Promise<void>((resolve) => this.#ws.once('open', () => resolve()));
      await within(Promise.race([opened, this.#done]), this.#state.timeoutMs);
    }
    if (!this.#state.failed && this.#ws.readyState === WebSocket.OPEN) {
      const tail = this.#upsampler.flush();
      if (tail.length > 0) this.#state.write(tail, 0);
      const lastSeen = new Promise<void>((resolve) => {
        this.#lastSeen = resolve;
      });
      this.#ended = true;
      this.#ws.send(JSON.stringify({ is_speaking: false }));
      // The C++ server answers the end flag with one `is_final: true` message and keeps the socket
      // open; results of earlier segments may still arrive before it.
      await within(Promise.race([lastSeen, this.#done]), this.#state.timeoutMs);
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
  if (typeof msg.timestamp === 'string' && msg.timestamp) {
    try {
      const pairs = JSON.parse(msg.timestamp) as [number, number][];
      if (Array.isArray(pairs) && pairs.length > 0) return [pairs[0]![0], pairs[pairs.length - 1]![1]];
    } catch {
      return null;
    }
  }
  return null;
}
