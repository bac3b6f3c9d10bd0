/**
 * Local WebSocket servers that speak the real protocols of the remote engines, on 127.0.0.1:
 * the Alibaba NLS gateway (as alibabacloud-nls talks to it), the FunASR runtime server and the
 * Vosk server. Each answers with fixed text once it has received a second of audio.
 */
import type { AddressInfo } from 'node:net';
import { WebSocketServer } from 'ws';

export interface Peer {
  url: string;
  /** Text frames the server received, parsed. */
  received: Record<string, unknown>[];
  audioBytes(): number;
  close(): Promise<void>;
}

async function serve(
  handle: (ws: import('ws').WebSocket, peer: Peer, req: import('http').IncomingMessage) => void,
): Promise<Peer> {
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  await new Promise<void>((resolve) => wss.once('listening', () => resolve()));
  let bytes = 0;
  const peer: Peer = {
    url: `ws://127.0.0.1:${(wss.address() as AddressInfo).port}`,
    received: [],
    audioBytes: () => bytes,
    close: () =>
      new Promise<void>((resolve) => {
        for (const c of wss.clients) c.terminate();
        wss.close(() => resolve());
      }),
  };
  wss.on('connection', (ws, req) => {
    ws.on('message', (data, isBinary) => {
      if (isBinary) bytes += (data as Buffer).length;
      else peer.received.push(JSON.parse(data.toString()) as Record<string, unknown>);
    });
    handle(ws, peer, req);
  });
  return peer;
}

const SECOND = 16000; // bytes of 8 kHz 16-bit audio

/** NLS gateway: SpeechTranscriber and SpeechSynthesizer namespaces; token must be `good-token`. */
export function nlsGateway(): Promise<Peer> {
  return serve((ws, _peer, req) => {
    const tokenOk = req.headers['x-nls-token'] === 'good-token';
    let taskId = '';
    let audio = 0;
    let sentenceSent = false;
    const header = (name: string, namespace: string, status = 20000000) => ({
      message_id: 'm' + Math.random().toString(16).slice(2),
      task_id: taskId,
      namespace,
      name,
      status,
      status_text:
        status === 20000000 ? 'Gateway:SUCCESS:Success.' : 'Gateway:ACCESS_DENIED:The token is invalid!',
    });
    ws.on('message', (data, isBinary) => {
      if (isBinary) {
        audio += (data as Buffer).length;
        if (audio >= SECOND && !sentenceSent) {
          sentenceSent = true;
          ws.send(
            JSON.stringify({
              header: header('SentenceBegin', 'SpeechTranscriber'),
              payload: { index: 1, time: 320 },
            }),
          );
          ws.send(
            JSON.stringify({
              header: header('TranscriptionResultChanged', 'SpeechTranscriber'),
              payload: { index: 1, time: 800, result: '我现在', confidence: 0.7 },
            }),
          );
          ws.send(
            JSON.stringify({
              header: header('SentenceEnd', 'SpeechTranscriber'),
              payload: { index: 1, time: 1000, begin_time: 320, result: '我现在没空', confidence: 0.93 },
            }),
          );
        }
        return;
      }
      const msg = JSON.parse(data.toString()) as {
        header: { name: string; task_id: string };
        payload: Record<string, unknown>;
      };
      taskId = msg.header.task_id;
      if (!tokenOk) {
        const ns = msg.header.name === 'StartSynthesis' ? 'SpeechSynthesizer' : 'SpeechTranscriber';
        ws.send(JSON.stringify({ header: header('TaskFailed', ns, 40000001) }));
        ws.close();
        return;
      }
      if (msg.header.name === 'StartTranscription')
        ws.send(
          JSON.stringify({
            header: header('TranscriptionStarted', 'SpeechTranscriber'),
            payload: { session_id: 's1' },
          }),
        );
      if (msg.header.name === 'StopTranscription')
        ws.send(JSON.stringify({ header: header('TranscriptionCompleted', 'SpeechTranscriber') }));
      if (msg.header.name === 'StartSynthesis') {
        const rate = Number(msg.payload.sample_rate);
        for (let i = 0; i < 5; i++) ws.send(Buffer.alloc((rate / 10) * 2, i + 1), { binary: true });
        ws.send(JSON.stringify({ header: header('SynthesisCompleted', 'SpeechSynthesizer') }));
      }
    });
  });
}

/** FunASR runtime server in 2pass mode. */
export function funAsrServer(): Promise<Peer> {
  return serve((ws) => {
    let audio = 0;
    let sent = false;
    ws.on('message', (data, isBinary) => {
      if (isBinary) {
        audio += (data as Buffer).length;
        if (audio >= SECOND && !sent) {
          sent = true;
          ws.send(
            JSON.stringify({ mode: '2pass-online', wav_name: 'smartcall', text: '好的', is_final: false }),
          );
          ws.send(
            JSON.stringify({
              mode: '2pass-offline',
              wav_name: 'smartcall',
              text: '好的可以',
              is_final: false,
              timestamp: '[[250,500],[500,900]]',
            }),
          );
        }
        return;
      }
      const msg = JSON.parse(data.toString()) as { is_speaking?: boolean };
      if (msg.is_speaking === false)
        ws.send(JSON.stringify({ mode: '2pass-offline', wav_name: 'smartcall', text: '', is_final: true }));
    });
  });
}

/** Vosk server. */
export function voskServer(): Promise<Peer> {
  return serve((ws) => {
    let audio = 0;
    let sent = false;
    ws.on('message', (data, isBinary) => {
      if (isBinary) {
        audio += (data as Buffer).length;
        if (audio >= SECOND && !sent) {
          sent = true;
          ws.send(JSON.stringify({ partial: 'wrong' }));
          ws.send(
            JSON.stringify({
              result: [
                { conf: 1.0, end: 0.84, start: 0.42, word: 'wrong' },
                { conf: 0.8, end: 1.2, start: 0.84, word: 'number' },
              ],
              text: 'wrong number',
            }),
          );
        } else ws.send(JSON.stringify({ partial: '' }));
        return;
      }
      const msg = JSON.parse(data.toString()) as { eof?: number };
      if (msg.eof) {
        ws.send(JSON.stringify({ text: '' }));
        ws.close();
      }
    });
  });
}
