/**
 * A sherpa-onnx engine whose decode thread dies under a call's stream (issue 19 item 5, for the
 * sherpa row), through the stream a call gets from SpeechEngines (wrapped in ResilientAsrStream),
 * with the stand-in addon (fakeSherpaAddon.ts) ending its thread on demand:
 * - the thread dies once, after the first sentence was recognised: the stream opens a fresh one in
 *   the respawned thread, replays the audio since that sentence, and the second sentence arrives
 *   whole; the death is no sentence (nothing rejected);
 * - the thread dies on every stream: the call falls back to the embedded engine, which hears the
 *   sentence, and the log line saying so carries the call's CallId.
 */
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { after, test } from 'node:test';
import { createLogger } from '../../src/observability/logger.js';
import { onnxWithMetadata } from '../../src/speech/adapters/onnxMetadata.js';
import type { AsrEvent } from '../../src/speech/asr.js';
import { parseSpeechConfig } from '../../src/speech/speechConfig.js';
import { SpeechEngines } from '../../src/speech/speechEngines.js';
import { tempDir } from '../helpers/tempDir.js';
import {
  crashSherpaThreads,
  silenceFrames,
  stopCrashing,
  toneFrames,
  writeFakeSherpaAddon,
} from './fakeSherpaAddon.js';
import { speak } from './speechFixtures.js';

const dir = tempDir('sherpa-failover-');
const addon = writeFakeSherpaAddon(dir.path);
/** A streaming zipformer2 transducer as far as its files' metadata goes (the stand-in decodes). */
const modelDir = join(dir.path, 'zipformer');
mkdirSync(modelDir);
writeFileSync(
  join(modelDir, 'encoder.onnx'),
  onnxWithMetadata({ model_type: 'zipformer2', T: 45, decode_chunk_len: 32 }),
);
writeFileSync(join(modelDir, 'decoder.onnx'), onnxWithMetadata({ vocab_size: 3, context_size: 2 }));
writeFileSync(join(modelDir, 'joiner.onnx'), onnxWithMetadata({}));
writeFileSync(join(modelDir, 'tokens.txt'), '<blk> 0\n好 1\n的 2\n');

const started: SpeechEngines[] = [];
after(async () => {
  await Promise.all(started.map((e) => e.close()));
  dir.remove();
});

async function startEngines(withTts = false) {
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
  const engines = await SpeechEngines.start({
    config: parseSpeechConfig({
      asr: { engines: { local: { type: 'sherpa', modelDir, timeoutMs: 2000 } }, default: 'local' },
    }),
    withoutTts: !withTts,
    sherpaAddon: addon,
    log,
  });
  started.push(engines);
  assert.equal(engines.health.find((h) => h.name === 'local')?.ok, true, JSON.stringify(engines.health));
  assert.equal(engines.asr().name, 'sherpa');
  // What a call's stream gets: the call's logger, which carries its CallId (callSession.ts).
  return { engines, lines, callLog: log.child({ callId: 'call-sherpa-1' }) };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until(what: string, ok: () => boolean, timeoutMs = 8000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!ok()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

const finals = (events: AsrEvent[]) => events.filter((e) => e.type === 'final');
const texts = (events: AsrEvent[]) => finals(events).map((e) => (e.type === 'final' ? e.text : ''));

test('the decode thread dies after the first sentence: a fresh stream in the respawned thread hears the second', async () => {
  const { engines, lines, callLog } = await startEngines();
  const events: AsrEvent[] = [];
  const stream = engines.asr().createStream({ onEvent: (e) => events.push(e), pauseMs: 600, log: callLog });
  // 600 ms of speech: six letters, the sentence ends 600 ms after its last chunk is decoded.
  for (const f of [...toneFrames(600), ...silenceFrames(1000)]) stream.write(f);
  await until('the first final', () => finals(events).length >= 1);
  crashSherpaThreads(dir.path, 'once');
  // 400 ms of speech: the thread dies decoding its first chunk.
  for (const f of [...toneFrames(400), ...silenceFrames(1000)]) stream.write(f);
  await until('the second final', () => finals(events).length >= 2);
  await stream.finish();
  stream.close();
  // A fresh stream starts its letters at 'a' (the first one would have gone on at 'g': 'ghij'), and
  // hears all four 100 ms chunks of the second sentence (five when the replay starts mid-chunk).
  const said = texts(events);
  assert.equal(said.length, 2, JSON.stringify(events));
  assert.equal(said[0], 'abcdef');
  assert.match(
    said[1]!,
    /^abcde?$/,
    'the second sentence, whole, from a fresh stream: its start was replayed',
  );
  assert.ok(
    lines.some((l) => /"msg":"worker replaced"/.test(l) && /exited with code 70/.test(l)),
    'the decode thread died and was replaced',
  );
  assert.deepEqual(
    events.filter((e) => e.type === 'rejected'),
    [],
    'the death is no sentence: nothing rejected',
  );
  const [first, second] = finals(events);
  assert.ok(second!.beginMs >= first!.endMs, `offsets on the stream's timeline: ${JSON.stringify(events)}`);
  const reconnect = lines.find((l) => /reconnecting with a fresh task/.test(l));
  assert.ok(reconnect, 'the reconnection is logged');
  assert.match(reconnect, /"engine":"local"/);
  assert.match(reconnect, /"callId":"call-sherpa-1"/);
  assert.ok(!lines.some((l) => /falls back to the embedded engine/.test(l)), 'no fallback');
});

test('the thread dies after the callee listened 6 s: the replay of that silence does not count as falling behind', async () => {
  const { engines, lines, callLog } = await startEngines();
  const events: AsrEvent[] = [];
  const stream = engines.asr().createStream({ onEvent: (e) => events.push(e), pauseMs: 600, log: callLog });
  for (const f of [...toneFrames(600), ...silenceFrames(1000)]) stream.write(f);
  await until('the first final', () => finals(events).length >= 1);
  // The callee listens to a prompt: the audio since the last answer (kept for a replay) grows.
  for (const f of silenceFrames(6000)) stream.write(f);
  await sleep(100);
  crashSherpaThreads(dir.path, 'once');
  for (const f of [...toneFrames(400), ...silenceFrames(1000)]) stream.write(f);
  await until('the second final', () => finals(events).length >= 2);
  await stream.finish();
  stream.close();
  const said = texts(events);
  assert.equal(said[0], 'abcdef');
  assert.match(said[1]!, /^abcde?$/, 'the second sentence, from a fresh sherpa stream');
  assert.ok(!lines.some((l) => /falls back to the embedded engine/.test(l)), 'no fallback');
  assert.deepEqual(
    events.filter((e) => e.type === 'rejected'),
    [],
  );
});

test('a decode thread that dies on every stream: the call falls back to the embedded engine, logged with its CallId', async () => {
  const { engines, lines, callLog } = await startEngines(true);
  const speech = await speak(engines.tts(), '我现在没空');
  crashSherpaThreads(dir.path, 'always');
  try {
    const events: AsrEvent[] = [];
    const stream = engines.asr().createStream({ onEvent: (e) => events.push(e), pauseMs: 600, log: callLog });
    const audio = new Int16Array(speech.length + 8000 * 1.5);
    audio.set(speech, 4000);
    for (let at = 0; at + 160 <= audio.length; at += 160) stream.write(audio.subarray(at, at + 160));
    await until('the fallback', () => lines.some((l) => /falls back to the embedded engine/.test(l)));
    await until('an answer from the embedded engine', () => events.length >= 1, 15_000);
    await stream.finish();
    stream.close();
    const fallback = lines.find((l) => /falls back to the embedded engine/.test(l))!;
    assert.match(fallback, /"callId":"call-sherpa-1"/);
    assert.match(fallback, /"engine":"local"/);
    assert.match(fallback, /exited with code 70/, 'with the cause');
    assert.match(fallback, /"failures":2/, 'after two failures in a row, not more');
    assert.equal(
      lines.filter((l) => /"msg":"worker replaced"/.test(l)).length,
      2,
      'the thread died on the first stream and on the fresh one, and no sherpa stream was opened after',
    );
    assert.deepEqual(
      texts(events),
      ['我现在没空'],
      `the embedded engine heard it: ${JSON.stringify(events)}`,
    );
    assert.deepEqual(
      events.filter((e) => e.type === 'rejected'),
      [],
      'the deaths are no sentences',
    );
    // sherpa engines are not marked down for new calls: their thread restarts.
    assert.equal(engines.asr().name, 'sherpa');
  } finally {
    stopCrashing(dir.path);
  }
});
