/**
 * Local WebSocket servers that speak the real protocols of the remote engines, on 127.0.0.1:
 * the Alibaba NLS gateway (in nlsPeers.ts, re-exported here), the FunASR runtime's
 * `funasr-wss-server-2pass` and vosk-server's `asr_server.py`. The FunASR and Vosk peers replay
 * what those servers do where a client can get it wrong (see each peer); their "recogniser" is a
 * script of sentences laid out on the audio's timeline.
 */
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { WebSocketServer } from 'ws';

export interface Peer {
  url: string;
  /** Text frames the server received, parsed (`{}` for a text that is not JSON). */
  received: Record<string, unknown>[];
  /** Text frames the server received, as sent. */
  receivedText: string[];
  /** Connections accepted so far. */
  connections(): number;
  audioBytes(): number;
  /** Every binary frame received, in order. */
  audio(): Buffer;
  close(): Promise<void>;
}

/** A certificate and key to serve WSS with. */
export interface PeerTls {
  key: string;
  cert: string;
}

export async function serve(
  handle: (ws: import('ws').WebSocket, peer: Peer, req: import('http').IncomingMessage) => void,
  tls?: PeerTls,
  /** Accepts or refuses (HTTP 403) an upgrade request. */
  admit?: (req: import('http').IncomingMessage) => boolean,
  /** The port to listen on (default: any free one). */
  port = 0,
): Promise<Peer> {
  const https = tls ? createHttpsServer({ key: tls.key, cert: tls.cert }) : null;
  const verifyClient = admit
    ? (info: { req: import('http').IncomingMessage }, cb: (ok: boolean, code?: number) => void) =>
        admit(info.req) ? cb(true) : cb(false, 403)
    : undefined;
  const wss = https
    ? new WebSocketServer({ server: https, verifyClient })
    : new WebSocketServer({ host: '127.0.0.1', port, verifyClient });
  if (https) await new Promise<void>((resolve) => https.listen(port, '127.0.0.1', () => resolve()));
  else await new Promise<void>((resolve) => wss.once('listening', () => resolve()));
  const bound = ((https ?? wss).address() as AddressInfo).port;
  let bytes = 0;
  const audio: Buffer[] = [];
  let connections = 0;
  const peer: Peer = {
    url: `${https ? 'wss' : 'ws'}://127.0.0.1:${bound}`,
    received: [],
    receivedText: [],
    connections: () => connections,
    audioBytes: () => bytes,
    audio: () => Buffer.concat(audio),
    close: () =>
      new Promise<void>((resolve) => {
        for (const c of wss.clients) c.terminate();
        wss.close(() => (https ? https.close(() => resolve()) : resolve()));
        https?.closeAllConnections();
      }),
  };
  wss.on('connection', (ws, req) => {
    connections++;
    ws.on('message', (data, isBinary) => {
      if (isBinary) {
        bytes += (data as Buffer).length;
        audio.push(data as Buffer);
        return;
      }
      const text = data.toString();
      peer.receivedText.push(text);
      try {
        peer.received.push(JSON.parse(text) as Record<string, unknown>);
      } catch {
        peer.received.push({});
      }
    });
    handle(ws, peer, req);
  });
  return peer;
}

/** One sentence the FunASR peer "recognises". */
export interface FunAsrSentence {
  /** `2pass-online` increments, one per 600 ms chunk of audio. */
  increments: string[];
  /** The `2pass-offline` text. */
  text: string;
  /** The timestamp model's string, "[[b,e],...]" ms. */
  timestamp?: string;
}

export interface FunAsrPeerOptions {
  /** Serve WSS with this certificate (the runtime's default: TLS with its own self-signed one). */
  tls?: PeerTls;
  sentences?: FunAsrSentence[];
  /** 600 ms chunks of silence after each sentence; its `2pass-offline` goes out on the first. */
  silenceChunks?: number;
  /**
   * Hold every `2pass-offline` back until the end flag and send them then, before the last result:
   * segment results that are still being decoded when the client says it is done.
   */
  lateOffline?: boolean;
  /**
   * Follow the audio instead of the clock: a 600 ms chunk with speech energy gives the next
   * increment, the first quiet chunk after speech ends the sentence (as the server's VAD would).
   */
  speechGated?: boolean;
  /**
   * Drop the connection (TCP reset, no close frame) 50 ms after this many `2pass-offline` results
   * on it; a later connection goes on with the next sentence (a load balancer or server restart).
   */
  dropAfterSentences?: number;
  /** Listen on this port (default: any free one). */
  port?: number;
  /**
   * Be the offline-only `funasr-wss-server` (runtime/websocket/bin/websocket-server.cpp): `mode`
   * and `chunk_size` are ignored, audio is only buffered, and the end flag is answered with one
   * `{"mode": "offline", "text": ..., "is_final": false}` for the whole recording (`text` empty
   * when it held no speech); nothing is sent while audio flows.
   */
  offlineOnly?: boolean;
  /** Connections (1-based) that are accepted and then never answered (a hung server). */
  hang?: (connection: number) => boolean;
}

const DEFAULT_SENTENCES: FunAsrSentence[] = [
  { increments: ['好的', '可以'], text: '好的可以', timestamp: '[[250,500],[500,900]]' },
  { increments: ['我', '在忙'], text: '我在忙' },
];

/**
 * `funasr-wss-server-2pass` (runtime/websocket/bin/websocket-server-2pass.cpp), as a client sees
 * it: the first text frame sets `mode`, `audio_fs` (default 16000) and `chunk_size` (without three
 * entries no online handle is made and nothing is recognised); audio is decoded in 800-sample
 * slices at `audio_fs`; every 600 ms chunk of speech yields a `2pass-online` message carrying only
 * that chunk's increment; a sentence's end (VAD) yields one `2pass-offline` with the whole
 * sentence, except in `online` mode, which never sends a final pass; after `{"is_speaking":
 * false}` the rest is decoded and exactly one message with `is_final: true` follows (a
 * `2pass-offline` for the tail in 2pass mode, the last increment in online mode, `text: ""` when
 * nothing is left), and the socket stays open. Every message carries a numeric `timestamp` (ms
 * since the epoch), as the current server does; the timestamp model's string replaces it on
 * offline results. The last result comes 50 ms after the end flag (decoding takes time).
 */
export function funAsrServer(options: FunAsrPeerOptions = {}): Promise<Peer> {
  const sentences = options.sentences ?? DEFAULT_SENTENCES;
  const silenceChunks = options.silenceChunks ?? 2;
  const drop = options.dropAfterSentences;
  /** The sentence the next connection starts with (when connections are dropped). */
  let next = 0;
  let accepted = 0;
  return serve(
    (ws) => {
      if (options.hang?.(++accepted)) return;
      if (options.offlineOnly) return offlineServer(ws, sentences);
      let finals = 0;
      let mode = '2pass';
      let audioFs = 16000;
      let online = false;
      let samples = 0;
      let energy = 0;
      let chunks = 0;
      let sentence = drop === undefined ? 0 : next;
      let increment = 0;
      let silence = 0;
      let ended = false;
      const held: string[] = [];
      const send = (msg: Record<string, unknown>) => {
        const text = JSON.stringify({ timestamp: Date.now(), ...msg, wav_name: 'smartcall' });
        if (msg.mode === '2pass-offline' && options.lateOffline && !msg.is_final) held.push(text);
        else ws.send(text);
      };
      const offline = (s: FunAsrSentence, isFinal: boolean) => {
        if (mode === 'online') return false;
        send({
          mode: '2pass-offline',
          text: s.text,
          is_final: isFinal,
          ...(s.timestamp ? { timestamp: s.timestamp } : {}),
        });
        if (drop !== undefined && ++finals >= drop) {
          next = sentence + 1;
          ended = true;
          setTimeout(() => ws.terminate(), 50);
        }
        return true;
      };
      let heardSpeech = false;
      /** One 600 ms chunk of audio decoded. */
      const chunk = (loud: boolean) => {
        const s = sentences[sentence];
        if (!s) return;
        if (options.speechGated) {
          if (loud) {
            heardSpeech = true;
            if (increment < s.increments.length && mode !== 'offline')
              send({ mode: '2pass-online', text: s.increments[increment], is_final: false });
            increment = Math.min(increment + 1, s.increments.length);
          } else if (heardSpeech) {
            heardSpeech = false;
            offline(s, false);
            sentence++;
            increment = 0;
          }
          return;
        }
        if (increment < s.increments.length) {
          if (mode !== 'offline')
            send({ mode: '2pass-online', text: s.increments[increment], is_final: false });
          increment++;
          return;
        }
        if (silence === 0) offline(s, false);
        silence++;
        if (silence >= silenceChunks) {
          sentence++;
          increment = 0;
          silence = 0;
        }
      };
      ws.on('message', (data, isBinary) => {
        if (ended) return;
        if (isBinary) {
          if (!online) return;
          const pcm = data as Buffer;
          for (let i = 0; i + 1 < pcm.length; i += 2) energy += Math.abs(pcm.readInt16LE(i));
          samples += pcm.length / 2;
          // 800-sample slices at audio_fs; a chunk is 600 ms of them.
          const slices = Math.floor(samples / 800);
          const due = Math.floor((slices * 800 * 1000) / audioFs / 600);
          while (chunks < due) {
            chunks++;
            chunk(energy / ((audioFs * 600) / 1000) > 300);
            energy = 0;
          }
          return;
        }
        const msg = JSON.parse(data.toString()) as {
          mode?: string;
          audio_fs?: number;
          chunk_size?: number[];
          is_speaking?: boolean;
        };
        if (msg.mode) mode = msg.mode;
        if (msg.audio_fs) audioFs = msg.audio_fs;
        if (Array.isArray(msg.chunk_size) && msg.chunk_size.length === 3) online = true;
        if (msg.is_speaking === false) {
          ended = true;
          for (const text of held.splice(0)) ws.send(text);
          const s = sentences[sentence];
          setTimeout(() => {
            if (!online) return; // no handle: the real server answers nothing
            // The tail: what is left of the sentence in progress.
            const inProgress = s && increment > 0 && silence === 0;
            if (inProgress && offline(s, true)) return;
            // Online mode: the rest of the sentence is one more increment.
            const last = inProgress && mode === 'online' ? (s.increments[increment] ?? '') : '';
            send({ ...(last ? { mode: '2pass-online' } : {}), text: last, is_final: true });
          }, 50);
        }
      });
    },
    options.tls,
    undefined,
    options.port,
  );
}

/** websocket-server.cpp on one connection: buffer everything, answer the end flag once. */
function offlineServer(ws: import('ws').WebSocket, sentences: FunAsrSentence[]): void {
  let loud = false;
  ws.on('message', (data, isBinary) => {
    if (isBinary) {
      const pcm = data as Buffer;
      for (let i = 0; i + 1 < pcm.length; i += 2) if (Math.abs(pcm.readInt16LE(i)) > 300) loud = true;
      return;
    }
    const msg = JSON.parse(data.toString()) as { is_speaking?: boolean; is_finished?: boolean };
    if (msg.is_speaking === false || msg.is_finished === true) {
      const text = loud ? sentences.map((s) => s.text).join('') : '';
      setTimeout(
        () => ws.send(JSON.stringify({ text, mode: 'offline', is_final: false, wav_name: 'smartcall' })),
        50,
      );
    }
  });
}

/** One utterance the Vosk peer "hears", on the audio's timeline. */
export interface VoskUtterance {
  words: string[];
  startMs: number;
  endMs: number;
}

export interface VoskPeerOptions {
  utterances?: VoskUtterance[];
  /** The model's words; grammar tokens outside it are dropped (all words when unset). */
  vocabulary?: string[];
  /**
   * Drop the connection (TCP reset) 50 ms after this many results on it; a later connection goes
   * on with the next utterance, its audio taken to start where the dropped one's result ended (the
   * client sends again what followed its last result) and its times counted from there.
   */
  dropAfterSentences?: number;
}

const DEFAULT_UTTERANCES: VoskUtterance[] = [
  { words: ['wrong', 'number'], startMs: 420, endMs: 1200 },
  { words: ['call', 'me', 'later'], startMs: 1600, endMs: 2200 },
];

/** Trailing silence after which Kaldi's endpointer ends an utterance. */
const VOSK_ENDPOINT_MS = 300;

/**
 * vosk-server `asr_server.py` with `process_chunk` as written: a text frame containing `config` is
 * read and not answered; every other message gets exactly one reply; the end of stream is the
 * exact text `{"eof" : 1}`, answered with `FinalResult()` (the words of the utterance in progress)
 * and a normal close; any other text goes to `AcceptWaveform(str)`, raises a TypeError, and the
 * connection dies (1011) without a reply. Audio is 8 kHz. With a `phrase_list` the recogniser
 * follows vosk's grammar rule: phrases split on single spaces, tokens outside the vocabulary
 * dropped, `[unk]` for speech no phrase holds when the list has it, otherwise the closest phrase.
 * Replies are ASCII JSON, as Python's json.dumps writes them.
 */
export function voskServer(options: VoskPeerOptions = {}): Promise<Peer> {
  const utterances = options.utterances ?? DEFAULT_UTTERANCES;
  const vocabulary = options.vocabulary ? new Set(options.vocabulary) : null;
  const drop = options.dropAfterSentences;
  let next = { done: 0, offsetMs: 0 };
  return serve((ws) => {
    let grammar: string[][] | null = null;
    let samples = 0;
    let results = 0;
    let dropped = false;
    let done = next.done; // utterances already given as a Result
    const offsetMs = next.offsetMs; // where this connection's audio starts on the script's timeline
    const ms = () => offsetMs + samples / 8;
    const reply = (msg: object) =>
      ws.send(
        JSON.stringify(msg).replace(
          /[\u0080-\uffff]/g,
          (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
        ),
      );
    const heard = (u: VoskUtterance) => {
      const span = (u.endMs - u.startMs) / u.words.length;
      return u.words.filter((_, i) => u.startMs + i * span < ms());
    };
    /** What the recogniser outputs for these spoken words. */
    const recognise = (spoken: string[]): string[] => {
      if (!grammar) return spoken;
      const exact = grammar.find((p) => p.join(' ') === spoken.join(' '));
      if (exact) return exact;
      if (grammar.some((p) => p.length === 1 && p[0] === '[unk]')) return ['[unk]'];
      const score = (p: string[]) => p.filter((w) => spoken.includes(w)).length;
      return [...grammar].sort((a, b) => score(b) - score(a))[0] ?? [];
    };
    const result = (u: VoskUtterance, spoken: string[]) => {
      const words = recognise(spoken);
      const span = (u.endMs - u.startMs) / Math.max(1, words.length);
      return {
        result: words.map((word, i) => ({
          conf: 1 - i * 0.2,
          end: (u.startMs - offsetMs + (i + 1) * span) / 1000,
          start: (u.startMs - offsetMs + i * span) / 1000,
          word,
        })),
        text: words.join(' '),
      };
    };
    ws.on('message', (data, isBinary) => {
      if (dropped) return;
      if (!isBinary) {
        const text = data.toString();
        if (text.includes('config')) {
          const config = (JSON.parse(text) as { config: { phrase_list?: string[] } }).config;
          if (config.phrase_list)
            grammar = config.phrase_list.map((p) =>
              p.split(' ').filter((w) => w === '[unk]' || !vocabulary || vocabulary.has(w)),
            );
          return;
        }
        if (text === '{"eof" : 1}') {
          const u = utterances[done];
          const spoken = u ? heard(u) : [];
          reply(u && spoken.length > 0 ? result(u, spoken) : { text: '' });
          ws.close();
          return;
        }
        // rec.AcceptWaveform(str): TypeError in the handler; websockets closes with 1011.
        ws.close(1011);
        return;
      }
      samples += (data as Buffer).length / 2;
      const u = utterances[done];
      if (u && ms() >= u.endMs + VOSK_ENDPOINT_MS) {
        done++;
        reply(result(u, u.words));
        if (drop !== undefined && ++results >= drop) {
          dropped = true;
          next = { done, offsetMs: u.endMs };
          setTimeout(() => ws.terminate(), 50);
        }
        return;
      }
      reply({ partial: u ? recognise(heard(u)).join(' ') : '' });
    });
  });
}

/** A server that accepts WebSocket connections and then never says anything (a hung engine). */
export function silentServer(): Promise<Peer> {
  return serve(() => {});
}

/**
 * A server that accepts a connection and then stops reading it (a stalled engine behind a live
 * TCP connection): what the client sends piles up in the kernel's buffers, then in its own.
 */
export function stalledServer(): Promise<Peer> {
  return serve((ws) => {
    (ws as unknown as { _socket: import('node:net').Socket })._socket.pause();
  });
}

export { nlsGateway } from './nlsPeers.js';
