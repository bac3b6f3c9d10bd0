/**
 * The FunASR adapter against a peer that behaves like `funasr-wss-server-2pass`: WSS with a
 * certificate the client does not know (made here, signed by a CA made here), `2pass-online`
 * increments, segment finals, the `is_final` end handshake, online mode.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { FunAsrEngine } from '../../src/speech/adapters/funAsrEngine.js';
import type { AsrEngine, AsrEvent } from '../../src/speech/asr.js';
import { parseSpeechConfig } from '../../src/speech/speechConfig.js';
import { SpeechEngines } from '../../src/speech/speechEngines.js';
import { tempDir } from '../helpers/tempDir.js';
import { makeTestCa, type TestCa } from '../helpers/testCa.js';
import { funAsrServer, type Peer } from './wsPeers.js';

interface RunOptions {
  seconds: number;
  pauseMs?: number;
  /** Write at about ten times real time, so answers arrive while audio still flows (a live call). */
  paced?: boolean;
}

async function run(engine: AsrEngine, o: RunOptions): Promise<{ events: AsrEvent[]; beforeFinish: number }> {
  const events: AsrEvent[] = [];
  const stream = engine.createStream({ onEvent: (e) => events.push(e), pauseMs: o.pauseMs ?? 600 });
  const frame = new Int16Array(160).fill(100);
  for (let i = 0; i < o.seconds * 50; i++) {
    stream.write(frame);
    if (o.paced && i % 5 === 4) await new Promise((r) => setTimeout(r, 10));
  }
  await new Promise((r) => setTimeout(r, 100));
  const beforeFinish = events.length;
  await stream.finish();
  stream.close();
  return { events, beforeFinish };
}

const finals = (events: AsrEvent[]) => events.filter((e) => e.type === 'final');

describe('FunASR runtime adapter', () => {
  let dir: { path: string; remove(): void };
  let ca: TestCa;
  const peers: Peer[] = [];
  const peer = async (options: Parameters<typeof funAsrServer>[0] = {}) => {
    const p = await funAsrServer({ tls: { key: ca.key, cert: ca.cert }, ...options });
    peers.push(p);
    return p;
  };
  before(() => {
    dir = tempDir('funasr-tls-');
    ca = makeTestCa(dir.path, ['localhost'], ['127.0.0.1']);
  });
  after(async () => {
    await Promise.all(peers.map((p) => p.close()));
    dir.remove();
  });

  test('2pass over WSS: increments add up to one partial, segments and the tail are finals', async () => {
    const server = await peer();
    const engine = new FunAsrEngine({ url: server.url, ca: ca.ca, hotwords: ['好的'] });
    const { events } = await run(engine, { seconds: 3.9 });
    assert.deepEqual(
      events.map((e) => (e.type === 'rejected' ? e : { type: e.type, text: e.text, beginMs: e.beginMs })),
      [
        { type: 'partial', text: '好的', beginMs: 0 },
        { type: 'partial', text: '好的可以', beginMs: 0 },
        { type: 'final', text: '好的可以', beginMs: 250 },
        { type: 'partial', text: '我', beginMs: 900 },
        { type: 'partial', text: '我在忙', beginMs: 900 },
        { type: 'final', text: '我在忙', beginMs: 900 },
      ],
    );
    assert.deepEqual(
      finals(events).map((e) => [e.type === 'final' && e.beginMs, e.endMs]),
      [
        [250, 900],
        [900, 3900],
      ],
    );
    const start = server.received[0]!;
    assert.equal(start.mode, '2pass');
    assert.equal(start.audio_fs, 16000, 'the audio is sent at 16 kHz, what every FunASR model expects');
    assert.deepEqual(start.chunk_size, [5, 10, 5]);
    assert.equal(start.hotwords, '{"好的":20}');
    assert.equal(server.audioBytes(), 3.9 * 16000 * 2, '3.9 s of 16 kHz 16-bit audio');
    assert.deepEqual(server.received.at(-1), { is_speaking: false });
  });

  test('the 8 kHz call audio reaches the server upsampled, not stretched', async () => {
    const server = await peer({ sentences: [] });
    const engine = new FunAsrEngine({ url: server.url, rejectUnauthorized: false });
    const stream = engine.createStream({ onEvent: () => {} });
    // A 1 kHz tone at 8 kHz: 8 samples per period.
    const tone = Int16Array.from({ length: 160 }, (_, i) =>
      Math.round(8000 * Math.sin((2 * Math.PI * i) / 8)),
    );
    for (let i = 0; i < 25; i++) stream.write(tone);
    // The audio precedes the end flag, and the server answers the flag: all of it has arrived.
    await stream.finish();
    stream.close();
    const pcm = server.audio();
    const samples = new Int16Array(pcm.buffer, pcm.byteOffset, pcm.length / 2);
    // 1 kHz at 16 kHz: 16 samples per period, so zero crossings every 8 samples.
    let crossings = 0;
    for (let i = 100; i < samples.length - 100; i++) if (samples[i - 1]! < 0 && samples[i]! >= 0) crossings++;
    const periods = (samples.length - 200) / 16;
    assert.ok(Math.abs(crossings - periods) <= 2, `${crossings} rising crossings for ${periods} periods`);
  });

  test('online mode yields finals: a sentence ends on silence, the last one with the end handshake', async () => {
    const server = await peer();
    const engine = new FunAsrEngine({ url: server.url, ca: ca.ca, mode: 'online' });
    const { events, beforeFinish } = await run(engine, { seconds: 3.3, pauseMs: 300, paced: true });
    assert.equal(server.received[0]!.mode, 'online');
    assert.deepEqual(
      finals(events).map((e) => e.type === 'final' && e.text),
      ['好的可以', '我在忙'],
    );
    const first = events.findIndex((e) => e.type === 'final');
    assert.ok(first < beforeFinish, 'the first sentence ended while the call was still speaking');
  });

  test('finish() waits for the is_final message, not for a late result of an earlier segment', async () => {
    const server = await peer({ lateOffline: true });
    const engine = new FunAsrEngine({ url: server.url, ca: ca.ca });
    const { events } = await run(engine, { seconds: 3.3 });
    assert.deepEqual(
      finals(events).map((e) => e.type === 'final' && e.text),
      ['好的可以', '我在忙'],
    );
  });

  test('a certificate the client does not trust fails the stream with what to configure', async () => {
    const server = await peer();
    const { events } = await run(new FunAsrEngine({ url: server.url, timeoutMs: 2000 }), { seconds: 0.2 });
    assert.equal(events[0]?.type, 'rejected');
    assert.match((events[0] as { detail: string }).detail, /certificate.*caFile.*tlsVerify: false/);
  });

  test('the start-up probe connects with caFile or tlsVerify: false, and explains an untrusted certificate', async () => {
    const server = await peer();
    const engines = await SpeechEngines.start({
      withoutTts: true,
      config: parseSpeechConfig({
        asr: {
          engines: {
            strict: { type: 'funasr', url: server.url, timeoutMs: 2000 },
            trusting: { type: 'funasr', url: server.url, caFile: ca.caFile },
            lax: { type: 'funasr', url: server.url, tlsVerify: false },
            missing: { type: 'funasr', url: server.url, caFile: join(dir.path, 'nope.pem') },
          },
          baseModels: { customer_service_8k: 'lax' },
        },
      }),
    });
    try {
      const health = Object.fromEntries(engines.health.map((h) => [h.name, h]));
      assert.equal(health.trusting!.ok, true, health.trusting!.detail);
      assert.equal(health.lax!.ok, true, health.lax!.detail);
      assert.equal(health.strict!.ok, false);
      assert.match(
        health.strict!.detail!,
        /wss:\/\/127\.0\.0\.1:\d+: .*certificate.*caFile.*tlsVerify: false/,
      );
      assert.equal(health.missing!.ok, false);
      assert.match(health.missing!.detail!, /caFile .*nope\.pem cannot be read/);
      // Calls reach the server through the probed engine.
      const engine = engines.asr({ asrBaseId: 'customer_service_8k' });
      assert.equal(engine.name, 'funasr');
      const { events } = await run(engine, { seconds: 2 });
      assert.deepEqual(
        finals(events).map((e) => e.type === 'final' && e.text),
        ['好的可以'],
      );
    } finally {
      await engines.close();
    }
  });

  test('the config refuses TLS settings for a ws:// url, and caFile together with tlsVerify: false', () => {
    assert.throws(
      () =>
        parseSpeechConfig({
          asr: { engines: { f: { type: 'funasr', url: 'ws://127.0.0.1:10095', tlsVerify: false } } },
        }),
      /caFile and tlsVerify apply to a wss:\/\/ url only/,
    );
    assert.throws(
      () =>
        parseSpeechConfig({
          asr: {
            engines: { f: { type: 'funasr', url: 'wss://h:10095', caFile: '/ca.pem', tlsVerify: false } },
          },
        }),
      /give caFile .* or tlsVerify: false .* not both/,
    );
  });
});
