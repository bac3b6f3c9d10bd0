/**
 * Local peers of Alibaba Cloud NLS on 127.0.0.1, replaying the documented behaviour of the real
 * services where a client can get it wrong:
 *
 * - `nlsGateway`: the WebSocket gateway (`/ws/v1`) as the `alibabacloud-nls` SDK talks to it.
 *   Statuses and texts are the ISI real-time ASR status-code table's: an unknown token is refused
 *   at the upgrade with HTTP 403; an expired one gets `TaskFailed` 40000001 "Gateway:ACCESS_DENIED:
 *   The token '…' has expired!"; an unknown appkey 40020105 "Meta:APPKEY_NOT_EXIST:Appkey not
 *   exist!"; a sample rate the appkey's project model does not take 41010101
 *   "UNSUPPORTED_SAMPLE_RATE"; a task may fail mid-stream (50000000 "GRPC_ERROR:Grpc error!").
 *   Transcription follows the audio: a 100 ms chunk with speech energy opens a sentence
 *   (`SentenceBegin{index,time}`), speech grows `TranscriptionResultChanged{index,time,result}`
 *   (no begin_time, as the real events), `max_sentence_silence` of quiet ends it with
 *   `SentenceEnd{index,time,begin_time,result}`; `StopTranscription` ends a sentence in progress
 *   with a trailing SentenceEnd, then `TranscriptionCompleted`. Synthesis: short-text synthesis
 *   takes at most 300 characters (longer text is a TaskFailed: the limit is documented, its status
 *   and text here are ours), audio comes in binary frames whose sizes are odd (1601, 1599, …
 *   bytes; the real gateway chooses its frame sizes), then `SynthesisCompleted`.
 * - `nlsMetaServer`: the CreateToken API (nls-meta, POP RPC 2019-02-28): checks the common
 *   parameters and the SignatureVersion 1.0 HMAC-SHA1 signature (with smartcall's own server-side
 *   implementation, src/openapi/signatures.ts) and answers `{RequestId, NlsRequestId, Token:{Id,
 *   ExpireTime, UserId}}`, or `{RequestId, Code, Message}` with HTTP 404/400 as POP does. Tokens it
 *   issues are valid at the gateway it is given until their ExpireTime.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { parseUrlEncoded } from '../../src/openapi/percentEncoding.js';
import { signaturesEqual, v1Signature, v1StringToSign } from '../../src/openapi/signatures.js';
import { type Peer, serve } from './wsPeers.js';

export interface NlsGatewayOptions {
  /** Token → expiry (epoch ms; Infinity: never). Default `good-token`, never expiring. */
  tokens?: Map<string, number>;
  /** Appkeys that exist (default: any). */
  appKeys?: string[];
  /** The sample rate of the appkey's project model (default 8000). */
  projectRate?: 8000 | 16000;
  /** The sentences the recogniser "hears", in turn (default 我现在没空). */
  sentences?: string[];
  /**
   * Fail the transcription task (TaskFailed 50000000) right after this many sentences on one
   * connection; a later task goes on with the next sentence.
   */
  failAfterSentences?: number;
}

export interface NlsGateway extends Peer {
  /** The tokens the gateway knows (mutable: set a token's expiry to the past to expire it). */
  tokens: Map<string, number>;
  /** Upgrades refused with 403. */
  refusedUpgrades(): number;
  /** The payloads of the `StartTranscription` or `StartSynthesis` requests received, in order. */
  starts(name: 'StartTranscription' | 'StartSynthesis'): Record<string, unknown>[];
}

const CHUNK_BYTES = 1600; // 100 ms of 8 kHz 16-bit audio
const LOUD = 300; // mean |sample| of a chunk with speech

/** The test's synthesized audio: sample k of a task is k % 1000 (continuity is checkable). */
export function synthesizedSample(k: number): number {
  return k % 1000;
}

export async function nlsGateway(options: NlsGatewayOptions = {}): Promise<NlsGateway> {
  const tokens = options.tokens ?? new Map([['good-token', Number.POSITIVE_INFINITY]]);
  const sentences = options.sentences ?? ['我现在没空'];
  let refused = 0;
  /** The sentence a new task starts with (tasks that failed mid-stream have used the ones before). */
  let next = 0;
  const peer = (await serve(
    (ws, _peer, req) => {
      const token = String(req.headers['x-nls-token'] ?? '');
      let taskId = '';
      let namespace = 'SpeechTranscriber';
      let started = false;
      let maxSilenceMs = 800;
      let bytes = 0;
      let chunkEnergy = 0;
      let chunkBytes = 0;
      let sentence = next; // sentences ended so far
      let endedHere = 0;
      let begin: number | null = null; // ms where the sentence in progress began
      let quietMs = 0;
      let loudMs = 0;
      const header = (name: string, status = 20000000, statusText = 'Gateway:SUCCESS:Success.') => ({
        message_id: randomUUID().replaceAll('-', ''),
        task_id: taskId,
        namespace,
        name,
        status,
        status_text: statusText,
      });
      const send = (name: string, payload?: object) =>
        ws.send(JSON.stringify({ header: header(name), ...(payload ? { payload } : {}) }));
      const failTask = (status: number, text: string) => {
        ws.send(JSON.stringify({ header: header('TaskFailed', status, text) }));
        started = false;
        ws.close();
      };
      const text = () => sentences[sentence % sentences.length]!;
      const endSentence = (timeMs: number) => {
        if (begin === null) return;
        send('SentenceEnd', {
          index: sentence + 1,
          time: timeMs,
          begin_time: begin,
          result: text(),
          confidence: 0.93,
        });
        begin = null;
        loudMs = 0;
        sentence++;
        endedHere++;
        if (options.failAfterSentences !== undefined && endedHere >= options.failAfterSentences) {
          next = sentence;
          failTask(50000000, 'GRPC_ERROR:Grpc error!');
        }
      };
      /** One 100 ms chunk decoded. */
      const chunk = (loud: boolean) => {
        const endMs = (bytes / CHUNK_BYTES) * 100;
        if (loud) {
          quietMs = 0;
          if (begin === null) {
            begin = endMs - 100;
            send('SentenceBegin', { index: sentence + 1, time: begin });
          }
          loudMs += 100;
          const words = [...text()];
          const shown = Math.min(words.length, Math.ceil(loudMs / 200));
          send('TranscriptionResultChanged', {
            index: sentence + 1,
            time: endMs,
            result: words.slice(0, shown).join(''),
            confidence: 0.7,
          });
        } else if (begin !== null) {
          quietMs += 100;
          if (quietMs >= maxSilenceMs) endSentence(endMs);
        }
      };
      ws.on('message', (data, isBinary) => {
        if (isBinary) {
          if (!started || namespace !== 'SpeechTranscriber') return;
          const pcm = data as Buffer;
          for (let i = 0; i + 1 < pcm.length; i += 2) {
            chunkEnergy += Math.abs(pcm.readInt16LE(i));
            chunkBytes += 2;
            if (chunkBytes === CHUNK_BYTES) {
              bytes += CHUNK_BYTES;
              chunk(chunkEnergy / (CHUNK_BYTES / 2) > LOUD);
              if (!started) return;
              chunkEnergy = 0;
              chunkBytes = 0;
            }
          }
          return;
        }
        const msg = JSON.parse(data.toString()) as {
          header: { name: string; task_id: string; namespace: string; appkey: string };
          payload?: Record<string, unknown>;
        };
        taskId = msg.header.task_id;
        namespace = msg.header.namespace;
        const name = msg.header.name;
        if (name === 'StartTranscription' || name === 'StartSynthesis') {
          const expiry = tokens.get(token)!;
          if (expiry <= Date.now())
            return failTask(40000001, `Gateway:ACCESS_DENIED:The token '${token}' has expired!`);
          if (options.appKeys && !options.appKeys.includes(msg.header.appkey))
            return failTask(40020105, 'Meta:APPKEY_NOT_EXIST:Appkey not exist!');
        }
        if (name === 'StartTranscription') {
          if (Number(msg.payload?.sample_rate ?? 16000) !== (options.projectRate ?? 8000))
            return failTask(41010101, 'UNSUPPORTED_SAMPLE_RATE');
          maxSilenceMs = Number(msg.payload?.max_sentence_silence ?? 800);
          started = true;
          send('TranscriptionStarted', { session_id: randomUUID().replaceAll('-', '') });
        }
        if (name === 'StopTranscription' && started) {
          endSentence((bytes / CHUNK_BYTES) * 100);
          if (started) send('TranscriptionCompleted');
          started = false;
        }
        if (name === 'StartSynthesis') {
          const text = String(msg.payload?.text ?? '');
          if ([...text].length > 300)
            return failTask(40000003, 'Gateway:PARAMETER_INVALID:text is longer than 300 characters!');
          // 50 ms of audio per character, as a ramp, in odd-sized frames.
          const samples = [...text].length * 400;
          const audio = Buffer.alloc(samples * 2);
          for (let k = 0; k < samples; k++) audio.writeInt16LE(synthesizedSample(k), k * 2);
          for (let at = 0, i = 0; at < audio.length; i++) {
            const size = i % 2 === 0 ? 1601 : 1599;
            ws.send(audio.subarray(at, at + size), { binary: true });
            at += size;
          }
          send('SynthesisCompleted');
        }
      });
    },
    undefined,
    (req) => {
      // An unknown token is refused at the upgrade (HTTP 403 Forbidden).
      if (tokens.has(String(req.headers['x-nls-token'] ?? ''))) return true;
      refused++;
      return false;
    },
  )) as NlsGateway;
  peer.tokens = tokens;
  peer.refusedUpgrades = () => refused;
  peer.starts = (name) =>
    peer.received
      .filter((m) => (m.header as { name?: string } | undefined)?.name === name)
      .map((m) => (m.payload ?? {}) as Record<string, unknown>);
  return peer;
}

export interface NlsMetaOptions {
  /** AccessKey id → secret. */
  keys: Record<string, string>;
  /** The gateway whose tokens this issues. */
  gateway: NlsGateway;
  /** Token lifetime (default 24 h). */
  ttlSeconds?: number;
}

export interface NlsMeta {
  url: string;
  /** Every request's query parameters, decoded. */
  requests: Record<string, string>[];
  /** Tokens issued, in order. */
  issued: string[];
  close(): Promise<void>;
}

export async function nlsMetaServer(options: NlsMetaOptions): Promise<NlsMeta> {
  const requests: Record<string, string>[] = [];
  const issued: string[] = [];
  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    const pairs = parseUrlEncoded(url.search.slice(1));
    const params = Object.fromEntries(pairs);
    requests.push(params);
    const requestId = randomUUID().toUpperCase();
    const error = (status: number, code: string, message: string) => {
      res.writeHead(status, { 'content-type': 'application/json; charset=UTF-8' });
      res.end(JSON.stringify({ RequestId: requestId, Code: code, Message: message }));
    };
    for (const p of [
      'AccessKeyId',
      'Action',
      'Format',
      'SignatureMethod',
      'SignatureNonce',
      'SignatureVersion',
      'Timestamp',
      'Version',
      'Signature',
    ])
      if (!params[p])
        return error(
          400,
          'MissingParameter',
          `The input parameter "${p}" that is mandatory for processing this request is not supplied.`,
        );
    if (params.Action !== 'CreateToken' || params.Version !== '2019-02-28')
      return error(
        404,
        'InvalidAction.NotFound',
        'Specified api is not found, please check your url and method.',
      );
    if (params.SignatureMethod !== 'HMAC-SHA1' || params.SignatureVersion !== '1.0')
      return error(400, 'InvalidSignatureMethod', 'Specified signature method is not supported.');
    if (
      !/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/.test(params.Timestamp!) ||
      Math.abs(Date.parse(params.Timestamp!) - Date.now()) > 15 * 60_000
    )
      return error(400, 'InvalidTimeStamp.Expired', 'Specified time stamp or date value is expired.');
    const secret = options.keys[params.AccessKeyId!];
    if (secret === undefined)
      return error(404, 'InvalidAccessKeyId.NotFound', 'Specified access key is not found.');
    const signed = pairs.filter(([k]) => k !== 'Signature');
    const expected = v1Signature(secret, v1StringToSign(req.method ?? 'GET', signed));
    if (!signaturesEqual(expected, params.Signature!))
      return error(400, 'SignatureDoesNotMatch', 'Specified signature is not matched with our calculation.');
    const id = randomUUID().replaceAll('-', '');
    const expireTime = Math.floor(Date.now() / 1000) + (options.ttlSeconds ?? 86_400);
    options.gateway.tokens.set(id, expireTime * 1000);
    issued.push(id);
    res.writeHead(200, { 'content-type': 'application/json; charset=UTF-8' });
    res.end(
      JSON.stringify({
        NlsRequestId: randomUUID().replaceAll('-', ''),
        RequestId: requestId,
        Token: { ExpireTime: expireTime, Id: id, UserId: '1234567890' },
      }),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests,
    issued,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
