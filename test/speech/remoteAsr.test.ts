import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { FunAsrEngine } from '../../src/speech/adapters/funAsrEngine.js';
import { NlsAsrEngine } from '../../src/speech/adapters/nlsAsrEngine.js';
import { NlsTokenProvider } from '../../src/speech/adapters/nlsToken.js';
import { NlsTts } from '../../src/speech/adapters/nlsTts.js';
import type { AsrEngine, AsrEvent } from '../../src/speech/asr.js';
import { nlsGateway, type Peer } from './wsPeers.js';

async function run(engine: AsrEngine, seconds = 1.5): Promise<AsrEvent[]> {
  const events: AsrEvent[] = [];
  const stream = engine.createStream({ onEvent: (e) => events.push(e), pauseMs: 600 });
  const frame = new Int16Array(160).fill(100);
  for (let i = 0; i < seconds * 50; i++) stream.write(frame);
  // Give the server a moment to answer what it has, as a live call would.
  await new Promise((r) => setTimeout(r, 100));
  await stream.finish();
  stream.close();
  return events;
}

describe('remote ASR adapters against local servers', () => {
  let nls: Peer;
  before(async () => {
    nls = await nlsGateway();
  });
  after(async () => {
    await nls.close();
  });

  test('NLS transcription streams 8 kHz PCM and reports partial and final sentences', async () => {
    const engine = new NlsAsrEngine({
      url: nls.url,
      appKey: 'app',
      tokens: new NlsTokenProvider({ token: 'good-token' }),
      timeoutMs: 2000,
    });
    const events = await run(engine);
    assert.deepEqual(events, [
      { type: 'partial', text: '我现在', beginMs: 0, endMs: 800, confidence: 0.7 },
      { type: 'final', text: '我现在没空', beginMs: 320, endMs: 1000, confidence: 0.93 },
    ]);
    const start = nls.received.find((m) => (m.header as { name: string }).name === 'StartTranscription')!;
    assert.equal((start.payload as { sample_rate: number }).sample_rate, 8000);
    assert.equal((start.payload as { format: string }).format, 'pcm');
    assert.ok(nls.received.some((m) => (m.header as { name: string }).name === 'StopTranscription'));
  });

  test('an NLS task that fails to start is reported as a rejection, not a hang', async () => {
    const engine = new NlsAsrEngine({
      url: nls.url,
      appKey: 'app',
      tokens: new NlsTokenProvider({ token: 'bad-token' }),
      timeoutMs: 1000,
    });
    const events = await run(engine, 0.5);
    assert.equal(events.length, 1);
    assert.equal(events[0]!.type, 'rejected');
    assert.match((events[0] as { detail: string }).detail, /40000001/);
  });

  test('NLS synthesis returns 8 kHz PCM chunks with the SmartCall voice, volume and speed', async () => {
    const tts = new NlsTts({
      url: nls.url,
      appKey: 'app',
      tokens: new NlsTokenProvider({ token: 'good-token' }),
    });
    const chunks: Int16Array[] = [];
    for await (const c of tts.synthesize({ text: '您好', voice: 'xiaogang', volume: 80, speed: 100 }))
      chunks.push(c);
    assert.equal(chunks.length, 5);
    assert.equal(chunks[0]!.length, 800);
    const start = nls.received
      .filter((m) => (m.header as { name: string }).name === 'StartSynthesis')
      .at(-1)!;
    assert.deepEqual(
      { ...(start.payload as object) },
      {
        voice: 'xiaogang',
        format: 'pcm',
        sample_rate: 8000,
        volume: 80,
        speech_rate: 100,
        pitch_rate: 0,
        text: '您好',
      },
    );
  });

  test('an unreachable server yields an error rejection within the timeout', async () => {
    const started = Date.now();
    const events = await run(new FunAsrEngine({ url: 'ws://127.0.0.1:1', timeoutMs: 500 }), 0.2);
    assert.equal(events[0]?.type, 'rejected');
    assert.ok(Date.now() - started < 3000);
  });
});
