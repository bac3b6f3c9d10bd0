/**
 * Configured engines failing under a call's stream (issue 19 item 5), against the local peers of
 * the real servers: a connection dropped or a task failed after the first sentence reconnects with
 * a fresh task and the second sentence still arrives (NLS, FunASR, Vosk); a server that never
 * answers gives `rejected` (`timeout`) and, staying silent, makes the stream fall back to the
 * embedded engine; a server that stops reading makes the stream fail with a bounded backlog; an
 * engine that was down at start-up is used once a re-probe finds it up.
 */
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { after, describe, test } from 'node:test';
import { createLogger } from '../../src/observability/logger.js';
import { FunAsrEngine } from '../../src/speech/adapters/funAsrEngine.js';
import { MAX_UNSENT_MS } from '../../src/speech/adapters/remoteStream.js';
import type { AsrEvent, AsrStream } from '../../src/speech/asr.js';
import { parseSpeechConfig, type SpeechConfigInput } from '../../src/speech/speechConfig.js';
import { SpeechEngines } from '../../src/speech/speechEngines.js';
import { freePort } from '../helpers/ports.js';
import { type NlsGateway, nlsGateway } from './nlsPeers.js';
import { funAsrServer, type Peer, stalledServer, voskServer } from './wsPeers.js';

const QUIET = new Int16Array(160);
const LOUD = new Int16Array(160).fill(2000);

function capture() {
  const lines: string[] = [];
  const log = createLogger({
    level: 'debug',
    destination: new Writable({
      write(chunk, _enc, cb) {
        lines.push(String(chunk));
        cb();
      },
    }),
  });
  return { lines, log };
}

async function startEngines(asr: SpeechConfigInput['asr'], extra: Partial<SpeechConfigInput> = {}) {
  const { lines, log } = capture();
  const engines = await SpeechEngines.start({
    config: parseSpeechConfig({ asr, ...extra }),
    withoutTts: true,
    log,
  });
  return { engines, lines, log };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until(what: string, ok: () => boolean, timeoutMs = 5000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!ok()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

function write(stream: AsrStream, frames: number, loud: boolean): void {
  for (let i = 0; i < frames; i++) stream.write(loud ? LOUD : QUIET);
}

const finals = (events: AsrEvent[]) => events.filter((e) => e.type === 'final');
const texts = (events: AsrEvent[]) => finals(events).map((e) => (e as { text: string }).text);

/**
 * Says one sentence (`speech` frames then `quiet` frames), waits for its final, then another,
 * and finishes: what a call does through two turns.
 */
async function twoSentences(stream: AsrStream, events: AsrEvent[], speech: number, quiet: number) {
  write(stream, speech, true);
  write(stream, quiet, false);
  await until('the first final', () => finals(events).length >= 1);
  write(stream, speech, true);
  write(stream, quiet, false);
  await until('the second final', () => finals(events).length >= 2);
  await stream.finish();
  stream.close();
}

describe('a connection lost after the first sentence', () => {
  const peers: { close(): Promise<void> }[] = [];
  const engines: SpeechEngines[] = [];
  after(async () => {
    for (const e of engines) await e.close();
    for (const p of peers) await p.close();
  });

  test('NLS: TaskFailed mid-stream; a fresh StartTranscription (new task_id) hears the second sentence', async () => {
    const gw: NlsGateway = await nlsGateway({ sentences: ['我现在没空', '下午再打'], failAfterSentences: 1 });
    peers.push(gw);
    const nls = { type: 'nls' as const, url: gw.url, appKey: 'app', token: 'good-token', timeoutMs: 2000 };
    const { engines: e, lines, log } = await startEngines({ engines: { aliyun: nls }, default: 'aliyun' });
    engines.push(e);
    const events: AsrEvent[] = [];
    const stream = e.asr().createStream({ onEvent: (x) => events.push(x), pauseMs: 600, log });
    const probes = gw.starts('StartTranscription').length;
    await twoSentences(stream, events, 50, 40);
    assert.deepEqual(texts(events), ['我现在没空', '下午再打']);
    assert.deepEqual(
      events.filter((x) => x.type === 'rejected'),
      [],
      'the failure is no sentence: nothing rejected',
    );
    const [first, second] = finals(events);
    assert.ok(second!.beginMs >= first!.endMs, `offsets on the stream's timeline: ${JSON.stringify(events)}`);
    const tasks = gw.received
      .filter((m) => (m.header as { name?: string }).name === 'StartTranscription')
      .slice(probes)
      .map((m) => (m.header as { task_id: string }).task_id);
    // (Each task fails after its sentence: the second one's failure starts a third task.)
    assert.ok(tasks.length >= 2, JSON.stringify(tasks));
    assert.equal(new Set(tasks).size, tasks.length, 'a fresh task_id each time');
    assert.ok(lines.some((l) => /reconnecting with a fresh task/.test(l) && /50000000 GRPC_ERROR/.test(l)));
  });

  test('FunASR: the socket is reset after the first 2pass-offline; a new connection hears the second', async () => {
    const peer = await funAsrServer({
      speechGated: true,
      dropAfterSentences: 1,
      sentences: [
        { increments: ['你', '好呀'], text: '你好呀' },
        { increments: ['我', '在忙'], text: '我在忙' },
      ],
    });
    peers.push(peer);
    const { engines: e } = await startEngines({
      engines: { far: { type: 'funasr', url: peer.url, timeoutMs: 2000 } },
      default: 'far',
    });
    engines.push(e);
    const events: AsrEvent[] = [];
    const stream = e.asr().createStream({ onEvent: (x) => events.push(x), pauseMs: 600 });
    await twoSentences(stream, events, 60, 60);
    assert.deepEqual(texts(events), ['你好呀', '我在忙']);
    assert.deepEqual(
      events.filter((x) => x.type === 'rejected'),
      [],
    );
    // The start-up probe's, the call's first connection's and the fresh one's.
    assert.equal(peer.received.filter((m) => m.mode === '2pass').length, 3, 'three start messages');
  });

  test('Vosk: the socket is reset after the first result; a new connection hears the second', async () => {
    const peer = await voskServer({ dropAfterSentences: 1 });
    peers.push(peer);
    const { engines: e } = await startEngines({
      engines: { vk: { type: 'vosk', url: peer.url, timeoutMs: 2000 } },
      default: 'vk',
    });
    engines.push(e);
    const events: AsrEvent[] = [];
    const stream = e.asr().createStream({ onEvent: (x) => events.push(x) });
    write(stream, 80, true); // 1.6 s: "wrong number" (420–1200 ms) ends at 1500 ms
    await until('the first final', () => finals(events).length >= 1);
    write(stream, 70, true); // to 3 s: "call me later" (1600–2200 ms) ends at 2500 ms
    await until('the second final', () => finals(events).length >= 2);
    await stream.finish();
    assert.deepEqual(texts(events), ['wrong number', 'call me later']);
    assert.equal(finals(events)[1]!.beginMs, 1600, 'offsets on the stream timeline');
    assert.deepEqual(
      events.filter((x) => x.type === 'rejected'),
      [],
    );
    assert.equal(
      peer.received.filter((m) => 'config' in m).length,
      3,
      "three configs: the probe's connection and the call's two",
    );
  });
});

describe('a recognizer that does not answer', () => {
  let peer: Peer;
  let engines: SpeechEngines;
  after(async () => {
    await engines?.close();
    await peer?.close();
  });

  test('yields rejected (timeout); staying silent, the stream falls back to the embedded engine', async () => {
    peer = await funAsrServer({ hang: (connection) => connection > 1 }); // hangs after the probe
    const started = await startEngines({
      engines: { mute: { type: 'funasr', url: peer.url, timeoutMs: 300 } },
      default: 'mute',
    });
    engines = started.engines;
    assert.equal(engines.asr().name, 'funasr', 'the probe passed: the server answered its test task');
    const events: AsrEvent[] = [];
    const stream = engines.asr().createStream({ onEvent: (x) => events.push(x), log: started.log });
    write(stream, 50, true);
    write(stream, 25, false);
    stream.sentenceEnded?.(0, 1000);
    await until('a rejection', () => events.length >= 1, 2000);
    assert.deepEqual(events[0], {
      type: 'rejected',
      reason: 'timeout',
      beginMs: 0,
      endMs: 1000,
      detail: 'mute: no answer within 300 ms',
    });
    await until('a reconnection', () => peer.connections() >= 3, 2000); // probe, first, fresh
    write(stream, 50, true);
    write(stream, 25, false);
    stream.sentenceEnded?.(1500, 2500);
    await until('a second rejection', () => events.length >= 2, 2000);
    assert.equal(events[1]!.type === 'rejected' && events[1]!.reason, 'timeout');
    await until('the fallback', () => started.lines.some((l) => /falls back to the embedded engine/.test(l)));
    assert.equal(engines.health.find((h) => h.name === 'mute')!.ok, false, 'marked down');
    assert.equal(engines.asr().name, 'phrase:customer_service_8k', 'new calls use the embedded engine');
    await stream.finish();
    stream.close();
  });
});

describe('a server that stops reading (backpressure)', () => {
  let peer: Peer;
  after(async () => peer?.close());

  test('the stream fails once the socket holds more than the bound, instead of growing memory', async () => {
    peer = await stalledServer();
    const events: AsrEvent[] = [];
    const stream = new FunAsrEngine({ url: peer.url, timeoutMs: 2000 }).createStream({
      onEvent: (x) => events.push(x),
    });
    await until('connected', () => peer.connections() === 1);
    await sleep(50);
    // Up to 20 minutes of audio, 10 s at a time, letting the socket write between bursts: the
    // kernel's buffers fill first (a few MB on loopback), then the client's.
    for (let s = 0; s < 1200 && events.length === 0; s += 10) {
      write(stream, 500, true);
      await new Promise((r) => setImmediate(r));
    }
    assert.equal(events.length, 1, 'failed once');
    const e = events[0]!;
    assert.ok(e.type === 'rejected' && e.fatal && e.reason === 'error');
    const unsent = Number(/(\d+) ms of it unsent/.exec(e.detail ?? '')?.[1]);
    assert.ok(unsent > MAX_UNSENT_MS && unsent <= MAX_UNSENT_MS + 20, `bounded: ${e.detail}`);
    stream.close();
  });
});

describe('an engine down at start-up', () => {
  let peer: Peer | undefined;
  let engines: SpeechEngines;
  after(async () => {
    await engines?.close();
    await peer?.close();
  });

  test('is re-probed on the interval and used by a later call once it is up', async () => {
    const port = await freePort();
    const started = await startEngines(
      {
        engines: { far: { type: 'funasr', url: `ws://127.0.0.1:${port}`, timeoutMs: 1000 } },
        default: 'far',
      },
      { reprobeMs: 200 },
    );
    engines = started.engines;
    assert.equal(engines.health.find((h) => h.name === 'far')!.ok, false);
    assert.equal(engines.asr().name, 'phrase:customer_service_8k');
    peer = await funAsrServer({ port });
    await until('the re-probe', () => engines.health.find((h) => h.name === 'far')!.ok, 3000);
    assert.ok(started.lines.some((l) => /"engine":"far".*speech engine is up: new calls use it/.test(l)));
    const engine = engines.asr();
    assert.equal(engine.name, 'funasr');
    const events: AsrEvent[] = [];
    const stream = engine.createStream({ onEvent: (x) => events.push(x) });
    write(stream, 150, true); // the peer's script: sentences laid out on the clock of the audio
    write(stream, 100, false);
    await until('a final', () => finals(events).length >= 1, 3000);
    await stream.finish();
    assert.equal(texts(events)[0], '好的可以');
  });
});
